//! One tangent space at a reference and a logistic regression on it, for
//! the decoders that reduce a window to a single covariance
//! (`stacked_tangent_space`, `xdawn_tangent_space`, `erp_tangent_space`):
//! [`fit_tangent_logistic`] fits both on training covariances, and
//! [`TangentHead`] applies them to one covariance per window without
//! allocating.

use faer::{Mat, MatRef};

use super::record::check_len;
use crate::DecodeError;
use crate::fit::EpochSet;
use crate::linear::{LinearModel, LogisticOptions, fit_logistic};
use crate::spd::{MeanOptions, TangentMap, invsqrtm, mean_riemann, tangent_len};

/// The Riemannian mean of `covs` and an L2 logistic regression (inverse
/// strength `c`) on their tangent vectors at it, labelled by `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if the mean or the regression fails.
pub(crate) fn fit_tangent_logistic(
    covs: &[Mat<f64>],
    c: f64,
    data: &EpochSet,
) -> Result<(Mat<f64>, LinearModel), DecodeError> {
    let reference = mean_riemann(covs, None, MeanOptions::default())?;
    let mut map = TangentMap::new(invsqrtm(reference.as_ref())?);
    let len = tangent_len(reference.nrows());
    let mut features = vec![0.0; covs.len() * len];
    for (cov, out) in covs.iter().zip(features.chunks_exact_mut(len)) {
        map.vector(cov.as_ref(), out)?;
    }
    let options = LogisticOptions {
        c,
        ..LogisticOptions::default()
    };
    let model = fit_logistic(&features, &data.labels, data.classes.len(), &options)?;
    Ok((reference, model))
}

/// A fitted tangent space + logistic regression, with its feature buffer
/// allocated once.
#[derive(Debug)]
pub(crate) struct TangentHead {
    map: TangentMap,
    model: LinearModel,
    features: Vec<f64>,
}

impl TangentHead {
    /// The head at `reference` (`n × n`) with `model`, for `classes`
    /// classes.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the model's sizes disagree with `n`
    /// and `classes`, or the reference is not SPD.
    pub(crate) fn new(
        reference: MatRef<'_, f64>,
        model: &LinearModel,
        classes: usize,
    ) -> Result<Self, DecodeError> {
        let n = reference.nrows();
        check_len("logistic-regression inputs", model.features, tangent_len(n))?;
        check_len("logistic-regression classes", model.classes, classes)?;
        model.validate()?;
        Ok(Self {
            map: TangentMap::new(invsqrtm(reference)?),
            model: model.clone(),
            features: vec![0.0; tangent_len(n)],
        })
    }

    /// Class probabilities of one covariance into `probs`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the covariance is not SPD.
    pub(crate) fn probabilities(
        &mut self,
        cov: MatRef<'_, f64>,
        probs: &mut [f64],
    ) -> Result<(), DecodeError> {
        self.map.vector(cov, &mut self.features)?;
        self.model.probabilities(&self.features, probs);
        Ok(())
    }
}
