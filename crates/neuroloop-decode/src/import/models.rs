//! How each net's module paths relate to braindecode's state-dict keys.

use super::TorchImport;
use crate::{EEGNet, EegTransformer, ShallowConvNet};

impl TorchImport for EEGNet {
    fn renames(&self) -> &'static [(&'static str, &'static str)] {
        &[("final_layer.conv_classifier", "conv_classifier")]
    }

    fn max_norms(&self) -> Vec<(&'static str, f64)> {
        vec![("conv_spatial", self.config.conv_spatial_max_norm)]
    }
}

impl TorchImport for ShallowConvNet {
    fn renames(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("conv_time_spat.conv_time", "conv_time"),
            ("conv_time_spat.conv_spat", "conv_spat"),
            ("final_layer.conv_classifier", "conv_classifier"),
        ]
    }

    fn max_norms(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
}

/// The patch transformer has no braindecode counterpart: its file keys are
/// the module's paths, in PyTorch's layout (`[out, in]` linear weights,
/// layer norms as `weight`/`bias`), with PyTorch's fused attention
/// projection split into `mha.query`, `mha.key` and `mha.value`, as
/// tools/decode/make_transformer_fixture.py writes them from an
/// `nn.TransformerEncoder`.
impl TorchImport for EegTransformer {
    fn renames(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    fn max_norms(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
}
