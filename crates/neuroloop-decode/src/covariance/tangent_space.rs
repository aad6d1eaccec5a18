//! `tangent_space`: per band, the window's (shrunk) covariance mapped to
//! the tangent space at the training data's Riemannian mean; the vectors of
//! all bands concatenated; L2 logistic regression fitted to convergence.
//! pyriemann's `Covariances → TangentSpace → LogisticRegression`, with an
//! optional filter bank in front (SSVEP), and optionally re-centred per
//! recording (`recenter`, see the `recenter` module).

use faer::Mat;
use neuroloop_core::Window;
use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::recenter::{RecenterRecord, Recentring, recenter_training};
use super::record::{check_len, mat_rows, square_from_rows};
use super::{CovarianceRecord, FilterBank, TangentSpaceSpec, check_bands, check_c, check_recenter};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::{LinearModel, LogisticOptions, fit_logistic};
use crate::spd::{
    CovarianceWorkspace, Estimator, MeanOptions, TangentMap, invsqrtm, mean_riemann, tangent_len,
};
use crate::{DecodeError, Decoder};

/// The fitted parameters of a tangent-space decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TangentSpaceRecord {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// The filter bank's bands (empty: broadband).
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band.
    pub filter_order: usize,
    /// Per band, the reference point (Riemannian mean), as rows.
    pub references: Vec<Vec<Vec<f64>>>,
    /// Logistic regression on the concatenated tangent vectors.
    pub model: LinearModel,
    /// Re-centring across recordings (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recenter: Option<RecenterRecord>,
}

/// Per band, the covariance of every epoch.
pub(crate) fn band_covariances(
    estimator: Estimator,
    bank: &mut FilterBank,
    data: &EpochSet,
) -> Result<Vec<Vec<Mat<f64>>>, DecodeError> {
    let c = data.channels;
    let mut ws = CovarianceWorkspace::new(c, data.samples);
    let mut covs = vec![Vec::with_capacity(data.len()); bank.bands()];
    for i in 0..data.len() {
        bank.apply(data.epoch(i));
        for (b, band_covs) in covs.iter_mut().enumerate() {
            let mut cov = Mat::zeros(c, c);
            ws.estimate(estimator, bank.band(b), cov.as_mut())?;
            band_covs.push(cov);
        }
    }
    Ok(covs)
}

/// Fits the tangent-space decoder on `data`.
///
/// # Errors
/// [`DecodeError::Config`] for a band outside the sample rate;
/// [`DecodeError::Numerical`] if a covariance, the mean or the regression
/// fails.
pub fn fit_tangent_space(
    spec: &TangentSpaceSpec,
    data: &EpochSet,
) -> Result<TangentSpaceRecord, DecodeError> {
    let (c, t) = (data.channels, data.samples);
    let mut bank = FilterBank::new(
        &spec.bands_hz,
        spec.filter_order,
        data.sample_rate,
        c,
        t,
        "tangent_space",
    )?;
    let mut covs = band_covariances(spec.estimator, &mut bank, data)?;
    let recenter = spec
        .recenter
        .then(|| recenter_training(&mut covs, &data.recording, spec.recenter_memory))
        .transpose()?;
    let len = tangent_len(c);
    let width = len * covs.len();
    let mut features = vec![0.0; data.len() * width];
    let mut references = Vec::with_capacity(covs.len());
    for (b, band) in covs.iter().enumerate() {
        let reference = mean_riemann(band, None, MeanOptions::default())?;
        let mut map = TangentMap::new(invsqrtm(reference.as_ref())?);
        for (i, cov) in band.iter().enumerate() {
            let start = i * width + b * len;
            map.vector(cov.as_ref(), &mut features[start..start + len])?;
        }
        references.push(mat_rows(&reference));
    }
    let options = LogisticOptions {
        c: spec.c,
        ..LogisticOptions::default()
    };
    let model = fit_logistic(&features, &data.labels, data.classes.len(), &options)?;
    Ok(TangentSpaceRecord {
        estimator: spec.estimator,
        bands_hz: spec.bands_hz.clone(),
        filter_order: spec.filter_order,
        references,
        model,
        recenter,
    })
}

/// The real-time tangent-space decoder. No allocation per window.
#[derive(Debug)]
pub struct TangentSpaceDecoder {
    frame: Frame,
    estimator: Estimator,
    ws: CovarianceWorkspace,
    cov: Mat<f64>,
    maps: Vec<TangentMap>,
    model: LinearModel,
    features: Vec<f64>,
    recentring: Option<Recentring>,
}

impl TangentSpaceDecoder {
    /// Builds the decoder for `channels × samples` windows at
    /// `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree or a
    /// reference is not SPD; [`DecodeError::Config`] for a bad band.
    pub fn new(
        record: &TangentSpaceRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        let bank = FilterBank::new(
            &record.bands_hz,
            record.filter_order,
            sample_rate,
            channels,
            samples,
            "tangent_space",
        )?;
        check_len(
            "tangent-space references",
            record.references.len(),
            bank.bands(),
        )?;
        let maps = record
            .references
            .iter()
            .map(|rows| {
                let reference = square_from_rows("tangent-space reference", rows, channels)?;
                Ok(TangentMap::new(invsqrtm(reference.as_ref())?))
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        let width = tangent_len(channels) * maps.len();
        check_len("logistic-regression inputs", record.model.features, width)?;
        check_len(
            "logistic-regression classes",
            record.model.classes,
            classes.len(),
        )?;
        record.model.validate()?;
        let recentring = record
            .recenter
            .as_ref()
            .map(|r| Recentring::new(r, channels, maps.len()))
            .transpose()?;
        Ok(Self {
            frame: Frame::new(classes, channels, samples, bank),
            estimator: record.estimator,
            ws: CovarianceWorkspace::new(channels, samples),
            cov: Mat::zeros(channels, channels),
            maps,
            model: record.model.clone(),
            features: vec![0.0; width],
            recentring,
        })
    }
}

impl Decoder for TangentSpaceDecoder {
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
        let len = tangent_len(self.frame.channels);
        for (b, map) in self.maps.iter_mut().enumerate() {
            self.ws
                .estimate(self.estimator, self.frame.bank.band(b), self.cov.as_mut())?;
            let cov = match self.recentring.as_mut() {
                Some(r) => r.whiten(b, self.cov.as_ref())?,
                None => self.cov.as_ref(),
            };
            map.vector(cov, &mut self.features[b * len..(b + 1) * len])?;
        }
        self.model
            .probabilities(&self.features, &mut self.frame.probs);
        self.frame.store(probabilities)
    }
}

/// `tangent_space`.
pub(crate) const TANGENT_SPACE: CovarianceArchitecture<TangentSpaceSpec> = CovarianceArchitecture {
    name: "tangent_space",
    description: "Riemannian tangent space, L2 logistic regression",
    default: TangentSpaceSpec::default,
    check: |s, path, _channels, rate, errors| {
        check_c(path, s.c, errors);
        check_bands(path, &s.bands_hz, s.filter_order, rate, errors);
        check_recenter(path, s.recenter_memory, errors);
    },
    fit: |s, data| Ok(CovarianceRecord::TangentSpace(fit_tangent_space(s, data)?)),
};
