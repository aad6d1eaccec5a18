//! [`ModelSpec`]: which architecture to train, with its hyperparameters.
//!
//! The input shape (channels, samples, classes) comes from the data, so a
//! spec can be written once (JSON or TOML) and trained on any recording.

use serde::{Deserialize, Serialize};

use crate::covariance::{
    CcaSpec, CspSpec, ErpSpec, FbcspSpec, MdmSpec, StackedSpec, TangentSpaceSpec, XdawnMdmSpec,
    XdawnSpec,
};
use crate::{DecodeError, Taper};

/// Which model to train, tagged by `architecture`.
///
/// ```
/// use neuroloop_decode::fit::ModelSpec;
/// let spec: ModelSpec = serde_json::from_str(r#"{"architecture": "eegnet", "f1": 4, "drop_prob": 0.5}"#).unwrap();
/// assert_eq!(spec.architecture(), "eegnet");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "architecture", rename_all = "snake_case")]
pub enum ModelSpec {
    /// Log band power per channel and band, standardised, linear layer.
    Bandpower(BandpowerSpec),
    /// EEGNet (Lawhern et al. 2018).
    Eegnet(Hyperparameters),
    /// ShallowConvNet (Schirrmeister et al. 2017).
    ShallowConvnet(Hyperparameters),
    /// A transformer over time patches.
    Transformer(Hyperparameters),
    /// CSP spatial filters, log-variance, shrinkage LDA.
    CspLda(CspSpec),
    /// Filter-bank CSP with feature selection, shrinkage LDA.
    Fbcsp(FbcspSpec),
    /// Riemannian tangent space, L2 logistic regression.
    TangentSpace(TangentSpaceSpec),
    /// Minimum distance to the Riemannian class means.
    Mdm(MdmSpec),
    /// xDAWN ERP covariances, tangent space, L2 logistic regression (P300).
    XdawnTangentSpace(XdawnSpec),
    /// xDAWN ERP covariances, minimum distance to the class means (P300).
    XdawnMdm(XdawnMdmSpec),
    /// ERP covariances (class means and window), tangent space, L2 logistic
    /// regression (P300).
    ErpTangentSpace(ErpSpec),
    /// ERP covariances, minimum distance to the class means (P300).
    ErpMdm(MdmSpec),
    /// Covariance of a filter bank's bands stacked as one signal, tangent
    /// space, L2 logistic regression (SSVEP).
    StackedTangentSpace(StackedSpec),
    /// Canonical correlations with sine references, standardised, L2
    /// logistic regression (SSVEP).
    CcaLr(CcaSpec),
}

/// The architecture names [`ModelSpec::named`] knows.
pub const ARCHITECTURES: [&str; 14] = [
    "bandpower",
    "eegnet",
    "shallow_convnet",
    "transformer",
    "csp_lda",
    "fbcsp",
    "tangent_space",
    "mdm",
    "xdawn_tangent_space",
    "xdawn_mdm",
    "erp_tangent_space",
    "erp_mdm",
    "stacked_tangent_space",
    "cca_lr",
];

impl ModelSpec {
    /// The spec of `architecture` with default hyperparameters.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name.
    pub fn named(architecture: &str) -> Result<Self, DecodeError> {
        Ok(match architecture {
            "bandpower" => ModelSpec::Bandpower(BandpowerSpec::default()),
            "eegnet" => ModelSpec::Eegnet(Hyperparameters::default()),
            "shallow_convnet" => ModelSpec::ShallowConvnet(Hyperparameters::default()),
            "transformer" => ModelSpec::Transformer(Hyperparameters::default()),
            "csp_lda" => ModelSpec::CspLda(CspSpec::csp_lda()),
            "fbcsp" => ModelSpec::Fbcsp(FbcspSpec::default()),
            "tangent_space" => ModelSpec::TangentSpace(TangentSpaceSpec::default()),
            "mdm" => ModelSpec::Mdm(MdmSpec::default()),
            "xdawn_tangent_space" => ModelSpec::XdawnTangentSpace(XdawnSpec::default()),
            "xdawn_mdm" => ModelSpec::XdawnMdm(XdawnMdmSpec::default()),
            "erp_tangent_space" => ModelSpec::ErpTangentSpace(ErpSpec::default()),
            "erp_mdm" => ModelSpec::ErpMdm(MdmSpec::default()),
            "stacked_tangent_space" => ModelSpec::StackedTangentSpace(StackedSpec::default()),
            "cca_lr" => ModelSpec::CcaLr(CcaSpec::default()),
            other => return Err(DecodeError::ArchitectureUnavailable(other.to_string())),
        })
    }

    /// The spec of `architecture` with `hyperparameters` (its fields, as
    /// a JSON object) laid over the defaults.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name,
    /// [`DecodeError::Config`] for hyperparameters that do not belong to it
    /// (deep networks check theirs when built).
    pub fn with_hyperparameters(
        architecture: &str,
        hyperparameters: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, DecodeError> {
        Self::named(architecture)?;
        if hyperparameters.contains_key("architecture") {
            return Err(DecodeError::Config(vec![neuroloop_core::ConfigError::new(
                "hyperparameters.architecture",
                "the architecture is given on its own, not as a hyperparameter",
            )]));
        }
        let mut map = hyperparameters;
        map.insert("architecture".into(), architecture.into());
        serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| {
            DecodeError::Config(vec![neuroloop_core::ConfigError::new(
                format!("{architecture} hyperparameters"),
                e.to_string(),
            )])
        })
    }

    /// The `architecture` tag.
    #[must_use]
    pub fn architecture(&self) -> &'static str {
        match self {
            ModelSpec::Bandpower(_) => "bandpower",
            ModelSpec::Eegnet(_) => "eegnet",
            ModelSpec::ShallowConvnet(_) => "shallow_convnet",
            ModelSpec::Transformer(_) => "transformer",
            ModelSpec::CspLda(_) => "csp_lda",
            ModelSpec::Fbcsp(_) => "fbcsp",
            ModelSpec::TangentSpace(_) => "tangent_space",
            ModelSpec::Mdm(_) => "mdm",
            ModelSpec::XdawnTangentSpace(_) => "xdawn_tangent_space",
            ModelSpec::XdawnMdm(_) => "xdawn_mdm",
            ModelSpec::ErpTangentSpace(_) => "erp_tangent_space",
            ModelSpec::ErpMdm(_) => "erp_mdm",
            ModelSpec::StackedTangentSpace(_) => "stacked_tangent_space",
            ModelSpec::CcaLr(_) => "cca_lr",
        }
    }

    /// Whether this is a covariance decoder (fitted in closed form or to
    /// convergence, no epochs of gradient descent).
    #[must_use]
    pub fn is_covariance(&self) -> bool {
        matches!(
            self,
            ModelSpec::CspLda(_)
                | ModelSpec::Fbcsp(_)
                | ModelSpec::TangentSpace(_)
                | ModelSpec::Mdm(_)
                | ModelSpec::XdawnTangentSpace(_)
                | ModelSpec::XdawnMdm(_)
                | ModelSpec::ErpTangentSpace(_)
                | ModelSpec::ErpMdm(_)
                | ModelSpec::StackedTangentSpace(_)
                | ModelSpec::CcaLr(_)
        )
    }
}

/// Hyperparameters of the bandpower decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BandpowerSpec {
    /// Frequency bands `[low, high)` in Hz.
    pub bands_hz: Vec<[f64; 2]>,
    /// Taper before the DFT.
    pub taper: Taper,
    /// Inverse L2 regularisation strength of the logistic regression:
    /// 1 (scikit-learn's default) suits independent trials; windows that
    /// overlap (a session's calibration at a short hop) repeat each trial
    /// many times and need a smaller value.
    pub c: f64,
}

impl Default for BandpowerSpec {
    fn default() -> Self {
        Self {
            bands_hz: vec![[8.0, 13.0], [13.0, 30.0]],
            taper: Taper::default(),
            c: 1.0,
        }
    }
}

/// Hyperparameters of a deep network: any field of its burn config
/// ([`EEGNetConfig`](crate::EEGNetConfig),
/// [`ShallowConvNetConfig`](crate::ShallowConvNetConfig),
/// [`TransformerConfig`](crate::TransformerConfig)) except the shape
/// fields `n_chans`, `n_outputs` and `n_times`, which come from the data,
/// and the Euclidean alignment of every network, `align` and
/// `align_memory` ([`crate::align`]). Fields left out keep the default;
/// unknown fields are errors when the network is built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hyperparameters(pub serde_json::Map<String, serde_json::Value>);

impl Hyperparameters {
    /// Sets one hyperparameter (builder style).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }
}
