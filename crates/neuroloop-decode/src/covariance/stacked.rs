//! `stacked_tangent_space`: the window band-passed into every band of a
//! filter bank, the bands stacked as one `bands · channels` signal, its
//! (shrunk) covariance mapped to the tangent space at the training mean,
//! L2 logistic regression. The "extended SSVEP signal" covariance of
//! Kalunga et al. 2016 (pyriemann's SSVEP example): unlike per-band
//! covariances (`tangent_space` with `bands_hz`), it keeps how the bands
//! co-vary, e.g. a stimulus frequency with its harmonic.

use faer::Mat;
use neuroloop_core::ConfigError;
use neuroloop_core::Window;
use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::record::{mat_rows, square_from_rows};
use super::tangent_head::{TangentHead, fit_tangent_logistic};
use super::{CovarianceRecord, FilterBank, check_bands};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::LinearModel;
use crate::spd::{CovarianceWorkspace, Estimator};
use crate::{DecodeError, Decoder};

/// Hyperparameters of `stacked_tangent_space`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StackedSpec {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
    /// Bands `[low, high]` Hz (at least one).
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band (applied forward and backward).
    pub filter_order: usize,
}

impl Default for StackedSpec {
    /// ±1 Hz around 13, 17 and 21 Hz (the stimulus frequencies of the
    /// Kalunga 2016 SSVEP recordings); Ledoit–Wolf; `C = 1`.
    fn default() -> Self {
        Self {
            estimator: Estimator::Lwf,
            c: 1.0,
            bands_hz: vec![[12.0, 14.0], [16.0, 18.0], [20.0, 22.0]],
            filter_order: 4,
        }
    }
}

/// Checks the spec against the data's rate.
pub(crate) fn check_stacked(
    path: &str,
    spec: &StackedSpec,
    rate: f64,
    errors: &mut Vec<ConfigError>,
) {
    super::check_c(path, spec.c, errors);
    check_bands(path, &spec.bands_hz, spec.filter_order, rate, errors);
    if spec.bands_hz.is_empty() {
        errors.push(ConfigError::new(
            format!("{path}.bands_hz"),
            "needs at least one band",
        ));
    }
}

/// The fitted parameters of a `stacked_tangent_space` decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackedRecord {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// The filter bank's bands.
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band.
    pub filter_order: usize,
    /// The Riemannian mean of the training covariances, as rows.
    pub reference: Vec<Vec<f64>>,
    /// Logistic regression on the tangent vectors.
    pub model: LinearModel,
}

fn bank(
    bands: &[[f64; 2]],
    order: usize,
    rate: f64,
    c: usize,
    t: usize,
) -> Result<FilterBank, DecodeError> {
    FilterBank::new(bands, order, rate, c, t, "stacked_tangent_space")
}

/// Fits `stacked_tangent_space` on `data`.
///
/// # Errors
/// [`DecodeError::Config`] for a band outside the rate;
/// [`DecodeError::Numerical`] if a covariance, the mean or the regression
/// fails.
pub fn fit_stacked(spec: &StackedSpec, data: &EpochSet) -> Result<StackedRecord, DecodeError> {
    let (c, t) = (data.channels, data.samples);
    let mut bank = bank(&spec.bands_hz, spec.filter_order, data.sample_rate, c, t)?;
    let n = bank.bands() * c;
    let mut ws = CovarianceWorkspace::new(n, t);
    let mut covs = Vec::with_capacity(data.len());
    for i in 0..data.len() {
        bank.apply(data.epoch(i));
        let mut cov = Mat::zeros(n, n);
        ws.estimate(spec.estimator, bank.stacked(), cov.as_mut())?;
        covs.push(cov);
    }
    let (reference, model) = fit_tangent_logistic(&covs, spec.c, data)?;
    Ok(StackedRecord {
        estimator: spec.estimator,
        bands_hz: spec.bands_hz.clone(),
        filter_order: spec.filter_order,
        reference: mat_rows(&reference),
        model,
    })
}

/// The real-time `stacked_tangent_space` decoder. No allocation per window.
#[derive(Debug)]
pub struct StackedDecoder {
    frame: Frame,
    estimator: Estimator,
    ws: CovarianceWorkspace,
    cov: Mat<f64>,
    head: TangentHead,
}

impl StackedDecoder {
    /// Builds the decoder for `channels × samples` windows at `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree or the
    /// reference is not SPD; [`DecodeError::Config`] for a bad band.
    pub fn new(
        record: &StackedRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        let bank = bank(
            &record.bands_hz,
            record.filter_order,
            sample_rate,
            channels,
            samples,
        )?;
        let n = bank.bands() * channels;
        let reference = square_from_rows("stacked reference", &record.reference, n)?;
        let head = TangentHead::new(reference.as_ref(), &record.model, classes.len())?;
        Ok(Self {
            frame: Frame::new(classes, channels, samples, bank),
            estimator: record.estimator,
            ws: CovarianceWorkspace::new(n, samples),
            cov: Mat::zeros(n, n),
            head,
        })
    }
}

impl Decoder for StackedDecoder {
    fn classes(&self) -> &[String] {
        &self.frame.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.frame.channels, self.frame.samples)
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        self.frame.load(window, probabilities)?;
        self.ws
            .estimate(self.estimator, self.frame.bank.stacked(), self.cov.as_mut())?;
        self.head
            .probabilities(self.cov.as_ref(), &mut self.frame.probs)?;
        self.frame.store(probabilities)
    }
}

/// `stacked_tangent_space`.
pub(crate) const STACKED_TANGENT_SPACE: CovarianceArchitecture<StackedSpec> =
    CovarianceArchitecture {
        name: "stacked_tangent_space",
        description: "covariance of a filter bank's bands stacked as one signal, tangent \
                      space, L2 logistic regression (SSVEP)",
        default: StackedSpec::default,
        check: |s, path, _channels, rate, errors| check_stacked(path, s, rate, errors),
        fit: |s, data| Ok(CovarianceRecord::StackedTangentSpace(fit_stacked(s, data)?)),
    };
