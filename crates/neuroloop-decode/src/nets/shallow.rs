//! ShallowConvNet (Schirrmeister et al. 2017) as braindecode 1.8 builds it
//! (`ShallowFBCSPNet`, `split_first_layer=True`): the faithful burn form,
//! trained with autodiff.
//!
//! Layers, with braindecode's state-dict names: `conv_time` (1 →
//! n_filters_time, kernel `(filter_time_length, 1)`, bias) → `conv_spat`
//! (n_filters_time → n_filters_spat, kernel `(1, n_chans)`, bias only
//! without batch norm) → `bnorm` (momentum `batch_norm_alpha`, epsilon
//! 1e-5) → square → `pool` (kernel `pool_time_length`, stride
//! `pool_time_stride`) → safe log (`log(max(x, 1e-6))`) → `drop` →
//! `final_layer.conv_classifier` (kernel `(final_conv_length, 1)`, bias),
//! squeezed to logits. braindecode runs the two first convolutions as one
//! merged kernel (`CombinedConv`); the result is the same.
//!
//! As in [`EEGNet`](super::EEGNet), burn's running variance uses the biased
//! batch variance (PyTorch: unbiased), a negligible difference.
//!
//! # Shapes
//! Input `[batch, n_chans, n_times]`, seen as braindecode's
//! `[batch, 1, n_times, n_chans]`; `n_times - filter_time_length + 1`
//! samples after the first convolutions, `pooled` after the pool (see
//! [`ShallowConvNetShapes`]); output logits `[batch, n_outputs]`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer};
use burn::tensor::{Device, Tensor};
use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use super::common::{PoolMode, check_input, pool2d, positive, unit_interval};
use crate::DecodeError;

/// Clamp of braindecode's `SafeLog` before the logarithm.
pub(crate) const SAFE_LOG_EPS: f32 = 1e-6;
/// Epsilon of braindecode's `nn.BatchNorm2d` (PyTorch's default).
const BATCH_NORM_EPS: f64 = 1e-5;

/// Hyper-parameters of [`ShallowConvNet`], with braindecode 1.8's names and
/// defaults (square and safe-log non-linearities, split first layer).
#[derive(Config, Debug)]
pub struct ShallowConvNetConfig {
    /// Input channels (electrodes).
    pub n_chans: usize,
    /// Classes (logits).
    pub n_outputs: usize,
    /// Samples per window.
    pub n_times: usize,
    /// Temporal filters.
    #[config(default = 40)]
    pub n_filters_time: usize,
    /// Length of the temporal kernel.
    #[config(default = 25)]
    pub filter_time_length: usize,
    /// Spatial filters.
    #[config(default = 40)]
    pub n_filters_spat: usize,
    /// Pool kernel length.
    #[config(default = 75)]
    pub pool_time_length: usize,
    /// Pool stride.
    #[config(default = 15)]
    pub pool_time_stride: usize,
    /// Time extent of the classifier; `None` is braindecode's `"auto"`, the
    /// only value giving one prediction per window.
    #[config(default = "None")]
    pub final_conv_length: Option<usize>,
    /// Pooling mode.
    #[config(default = "PoolMode::Mean")]
    pub pool_mode: PoolMode,
    /// Batch norm after the spatial filters (else `conv_spat` has a bias).
    #[config(default = true)]
    pub batch_norm: bool,
    /// Batch-norm momentum (PyTorch meaning).
    #[config(default = 0.1)]
    pub batch_norm_alpha: f64,
    /// Dropout probability before the classifier.
    #[config(default = 0.5)]
    pub drop_prob: f64,
}

/// Time-axis lengths through a [`ShallowConvNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShallowConvNetShapes {
    /// Samples after the temporal and spatial convolutions.
    pub filtered: usize,
    /// Samples after the pool: the classifier's kernel length.
    pub pooled: usize,
}

impl ShallowConvNetConfig {
    /// Checks every hyper-parameter and the window length.
    ///
    /// # Errors
    /// [`DecodeError::Config`] listing every problem: zero sizes, a
    /// probability outside `[0, 1)`, a window too short for the filter and
    /// pool (with the minimum), or a `final_conv_length` that would not give
    /// one prediction per window.
    pub fn shapes(&self) -> Result<ShallowConvNetShapes, DecodeError> {
        let mut errors = Vec::new();
        positive(
            &mut errors,
            &[
                ("n_chans", self.n_chans),
                ("n_outputs", self.n_outputs),
                ("n_times", self.n_times),
                ("n_filters_time", self.n_filters_time),
                ("filter_time_length", self.filter_time_length),
                ("n_filters_spat", self.n_filters_spat),
                ("pool_time_length", self.pool_time_length),
                ("pool_time_stride", self.pool_time_stride),
            ],
        );
        unit_interval(&mut errors, "drop_prob", self.drop_prob);
        unit_interval(&mut errors, "batch_norm_alpha", self.batch_norm_alpha);
        if !errors.is_empty() {
            return Err(DecodeError::Config(errors));
        }
        let min_times = self.filter_time_length + self.pool_time_length - 1;
        if self.n_times < min_times {
            return Err(DecodeError::Config(vec![ConfigError::new(
                "n_times",
                format!(
                    "{} samples are too short for ShallowFBCSPNet's filter and pool: at least \
                     {min_times} needed",
                    self.n_times
                ),
            )]));
        }
        let filtered = self.n_times - self.filter_time_length + 1;
        let pooled = (filtered - self.pool_time_length) / self.pool_time_stride + 1;
        if let Some(n) = self.final_conv_length
            && n != pooled
        {
            return Err(DecodeError::Config(vec![ConfigError::new(
                "final_conv_length",
                format!("{n} does not give one prediction per window; use auto ({pooled})"),
            )]));
        }
        Ok(ShallowConvNetShapes { filtered, pooled })
    }

    /// Builds an untrained [`ShallowConvNet`] with braindecode's
    /// initialisation: Xavier-uniform convolutions, zero biases, unit
    /// batch-norm scales.
    ///
    /// # Errors
    /// As [`ShallowConvNetConfig::shapes`].
    pub fn init(&self, device: &Device) -> Result<ShallowConvNet, DecodeError> {
        let shapes = self.shapes()?;
        let xavier = Initializer::XavierUniform { gain: 1.0 };
        let zero_bias = |mut conv: Conv2d| {
            conv.bias = conv.bias.map(|b| b.map(|t| t.zeros_like()));
            conv
        };
        let (nt, ns) = (self.n_filters_time, self.n_filters_spat);
        Ok(ShallowConvNet {
            conv_time: zero_bias(
                Conv2dConfig::new([1, nt], [self.filter_time_length, 1])
                    .with_initializer(xavier.clone())
                    .init(device),
            ),
            conv_spat: zero_bias(
                Conv2dConfig::new([nt, ns], [1, self.n_chans])
                    .with_bias(!self.batch_norm)
                    .with_initializer(xavier.clone())
                    .init(device),
            ),
            bnorm: self.batch_norm.then(|| {
                BatchNormConfig::new(ns)
                    .with_epsilon(BATCH_NORM_EPS)
                    .with_momentum(self.batch_norm_alpha)
                    .init(device)
            }),
            drop: DropoutConfig::new(self.drop_prob).init(),
            conv_classifier: zero_bias(
                Conv2dConfig::new([ns, self.n_outputs], [shapes.pooled, 1])
                    .with_initializer(xavier)
                    .init(device),
            ),
            config: self.clone(),
            shapes,
        })
    }
}

/// ShallowFBCSPNet, faithful to braindecode 1.8.
///
/// Layers, with braindecode's state-dict names: `conv_time` (1 →
/// n_filters_time, kernel `(filter_time_length, 1)`, bias) → `conv_spat`
/// (n_filters_time → n_filters_spat, kernel `(1, n_chans)`, bias only
/// without batch norm) → `bnorm` (momentum `batch_norm_alpha`, epsilon
/// 1e-5) → square → `pool` (kernel `pool_time_length`, stride
/// `pool_time_stride`) → safe log (`log(max(x, 1e-6))`) → `drop` →
/// `final_layer.conv_classifier` (kernel `(final_conv_length, 1)`, bias),
/// squeezed to logits. braindecode runs the two first convolutions as one
/// merged kernel (`CombinedConv`); the result is the same.
///
/// As in [`EEGNet`](super::EEGNet), burn's running variance uses the biased
/// batch variance (PyTorch: unbiased), a negligible difference.
///
/// # Shapes
/// Input `[batch, n_chans, n_times]`, seen as braindecode's
/// `[batch, 1, n_times, n_chans]`; `n_times - filter_time_length + 1`
/// samples after the first convolutions, `pooled` after the pool (see
/// [`ShallowConvNetShapes`]); output logits `[batch, n_outputs]`.
///
/// Field names are braindecode's state-dict names, without the
/// `conv_time_spat.` and `final_layer.` prefixes (braindecode's own
/// `mapping` accepts both spellings).
#[derive(Module, Debug)]
pub struct ShallowConvNet {
    /// Temporal filters, weight `[n_filters_time, 1, filter_time_length, 1]`, bias.
    pub conv_time: Conv2d,
    /// Spatial filters, weight `[n_filters_spat, n_filters_time, 1, n_chans]`.
    pub conv_spat: Conv2d,
    /// Batch norm over the spatial filters (absent with `batch_norm = false`).
    pub bnorm: Option<BatchNorm>,
    /// Dropout before the classifier.
    pub drop: Dropout,
    /// Classifier, weight `[n_outputs, n_filters_spat, pooled, 1]`, bias.
    pub conv_classifier: Conv2d,
    /// The hyper-parameters the model was built with.
    #[module(skip)]
    pub config: ShallowConvNetConfig,
    /// Time-axis lengths, from the config.
    #[module(skip)]
    pub shapes: ShallowConvNetShapes,
}

impl ShallowConvNet {
    /// Class logits (no softmax).
    ///
    /// Dropout and batch norm run in training mode on an autodiff device,
    /// in eval mode otherwise.
    ///
    /// # Shapes
    /// `[batch, n_chans, n_times]` → `[batch, n_outputs]`. Use
    /// [`ShallowConvNet::try_forward`] where the shape is not known to fit.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [batch, chans, times] = x.dims();
        let c = &self.config;
        let x = x.swap_dims(1, 2).reshape([batch, 1, times, chans]);
        let x = self.conv_spat.forward(self.conv_time.forward(x));
        let x = match &self.bnorm {
            Some(bn) => bn.forward(x),
            None => x,
        };
        let x = x.powi_scalar(2);
        let x = pool2d(
            x,
            c.pool_mode,
            [c.pool_time_length, 1],
            [c.pool_time_stride, 1],
        );
        let x = self.drop.forward(x.clamp_min(SAFE_LOG_EPS).log());
        self.conv_classifier
            .forward(x)
            .reshape([batch, c.n_outputs])
    }

    /// [`ShallowConvNet::forward`] after checking the input shape.
    ///
    /// # Errors
    /// [`DecodeError::WindowShape`] if `x` is not `[_, n_chans, n_times]`.
    pub fn try_forward(&self, x: Tensor<3>) -> Result<Tensor<2>, DecodeError> {
        check_input(x.dims(), self.config.n_chans, self.config.n_times)?;
        Ok(self.forward(x))
    }
}
