//! Hyperparameters of the xDAWN decoders, with their validation.
//!
//! Defaults follow pyriemann's P300 examples (`XdawnCovariances(nfilter=2)`
//! then tangent space + `LogisticRegression(C=1)`, or MDM), with the
//! Ledoit–Wolf estimator for the filters' fit and the epoch covariances
//! (pyriemann's default is the unshrunk sample covariance; shrinkage keeps
//! the `2·k·nfilter`-row covariances positive definite on short epochs).

use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::spd::Estimator;

/// `xdawn_tangent_space`: xDAWN ERP covariances, tangent space at their
/// Riemannian mean, L2 logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XdawnSpec {
    /// xDAWN filters per class (at most the channel count).
    pub nfilter: usize,
    /// Covariance estimator (filters' fit and epoch covariances).
    pub estimator: Estimator,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
}

impl Default for XdawnSpec {
    fn default() -> Self {
        Self {
            nfilter: 2,
            estimator: Estimator::Lwf,
            c: 1.0,
        }
    }
}

/// `xdawn_mdm`: xDAWN ERP covariances, minimum distance to the Riemannian
/// class means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XdawnMdmSpec {
    /// xDAWN filters per class (at most the channel count).
    pub nfilter: usize,
    /// Covariance estimator (filters' fit and epoch covariances).
    pub estimator: Estimator,
}

impl Default for XdawnMdmSpec {
    fn default() -> Self {
        let s = XdawnSpec::default();
        Self {
            nfilter: s.nfilter,
            estimator: s.estimator,
        }
    }
}

/// `erp_tangent_space`: ERP covariances of every channel with the class
/// means (no xDAWN), tangent space, L2 logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpSpec {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
}

impl Default for ErpSpec {
    fn default() -> Self {
        Self {
            estimator: Estimator::Lwf,
            c: 1.0,
        }
    }
}

/// Checks `nfilter` against the channel count.
pub(crate) fn check_nfilter(
    path: &str,
    nfilter: usize,
    channels: usize,
    errors: &mut Vec<ConfigError>,
) {
    if nfilter == 0 || nfilter > channels {
        errors.push(ConfigError::new(
            format!("{path}.nfilter"),
            format!("{nfilter} is outside 1..={channels} ({channels} channels)"),
        ));
    }
}
