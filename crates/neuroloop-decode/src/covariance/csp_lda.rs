//! `csp_lda` and `fbcsp`: CSP filters per band, log-variance features
//! standardised with the training statistics, optionally the best features
//! by Fisher score, then shrinkage LDA.

use faer::Mat;
use neuroloop_core::Window;
use serde::{Deserialize, Serialize};

use super::csp::{fit_csp, log_variance};
use super::frame::Frame;
use super::record::{Standardiser, check_len, mat_from_rows, mat_rows};
use super::tangent_space::band_covariances;
use super::{CovarianceRecord, CspSpec, FbcspSpec, FilterBank, check_csp};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::{LinearModel, fit_lda};
use crate::spd::Estimator;
use crate::{DecodeError, Decoder};

/// The fitted parameters of a CSP decoder (stored in a bundle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CspLdaRecord {
    /// The filter bank's bands (empty: broadband).
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band.
    pub filter_order: usize,
    /// Per band, the CSP filters as rows (`[filters, channels]`).
    pub filters: Vec<Vec<Vec<f64>>>,
    /// Feature standardisation from the training data.
    pub standardiser: Standardiser,
    /// Indices of the features kept, ascending.
    pub selected: Vec<usize>,
    /// Shrinkage LDA on the kept features.
    pub model: LinearModel,
}

/// Fits CSP + LDA on `data`.
///
/// # Errors
/// [`DecodeError::Config`] for a band outside the sample rate;
/// [`DecodeError::Numerical`] if a covariance, CSP problem or LDA fails.
pub fn fit_csp_lda(spec: &CspSpec, data: &EpochSet) -> Result<CspLdaRecord, DecodeError> {
    let (c, t, k) = (data.channels, data.samples, data.classes.len());
    let mut bank = FilterBank::new(
        &spec.bands_hz,
        spec.filter_order,
        data.sample_rate,
        c,
        t,
        "csp",
    )?;
    let bands = bank.bands();
    let covs = band_covariances(spec.estimator, &mut bank, data)?;
    let sample_covs = band_covariances(Estimator::Scm, &mut bank, data)?;
    let filters = covs
        .iter()
        .zip(&sample_covs)
        .map(|(band, scm)| fit_csp(band, scm, &data.labels, k, spec.pairs))
        .collect::<Result<Vec<_>, _>>()?;
    let per_band = filters[0].nrows();
    let width = bands * per_band;
    let mut features = vec![0.0; data.len() * width];
    for (i, row) in features.chunks_exact_mut(width).enumerate() {
        bank.apply(data.epoch(i));
        for (b, f) in filters.iter().enumerate() {
            log_variance(
                f,
                bank.band(b),
                t,
                &mut row[b * per_band..(b + 1) * per_band],
            );
        }
    }
    let standardiser = Standardiser::fit(&features, width);
    standardiser.apply_all(&mut features);
    let selected = select_features(&features, &data.labels, k, width, spec.select);
    let kept: Vec<f64> = features
        .chunks_exact(width)
        .flat_map(|row| selected.iter().map(move |&j| row[j]))
        .collect();
    let model = fit_lda(&kept, &data.labels, k)?;
    Ok(CspLdaRecord {
        bands_hz: spec.bands_hz.clone(),
        filter_order: spec.filter_order,
        filters: filters.iter().map(mat_rows).collect(),
        standardiser,
        selected,
        model,
    })
}

/// The `select` features with the highest Fisher score (between-class over
/// within-class variance), in ascending index order; all when `None`.
fn select_features(
    features: &[f64],
    labels: &[usize],
    classes: usize,
    width: usize,
    select: Option<usize>,
) -> Vec<usize> {
    let Some(keep) = select.filter(|&s| s < width) else {
        return (0..width).collect();
    };
    let mut scores: Vec<(f64, usize)> = (0..width)
        .map(|j| {
            let column: Vec<f64> = features.chunks_exact(width).map(|r| r[j]).collect();
            (fisher_score(&column, labels, classes), j)
        })
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = scores.iter().take(keep.max(1)).map(|s| s.1).collect();
    chosen.sort_unstable();
    chosen
}

fn fisher_score(x: &[f64], labels: &[usize], classes: usize) -> f64 {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let (mut between, mut within) = (0.0, 0.0);
    for k in 0..classes {
        let xs: Vec<f64> = x
            .iter()
            .zip(labels)
            .filter(|(_, l)| **l == k)
            .map(|(v, _)| *v)
            .collect();
        if xs.is_empty() {
            continue;
        }
        let mk = xs.iter().sum::<f64>() / xs.len() as f64;
        between += xs.len() as f64 * (mk - mean).powi(2);
        within += xs.iter().map(|v| (v - mk).powi(2)).sum::<f64>();
    }
    between / within.max(f64::MIN_POSITIVE)
}

/// The real-time CSP decoder. No allocation per window.
#[derive(Debug, Clone)]
pub struct CspLdaDecoder {
    frame: Frame,
    filters: Vec<Mat<f64>>,
    standardiser: Standardiser,
    selected: Vec<usize>,
    model: LinearModel,
    features: Vec<f64>,
    kept: Vec<f64>,
}

impl CspLdaDecoder {
    /// Builds the decoder for `channels × samples` windows at
    /// `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree with each
    /// other or with the window; [`DecodeError::Config`] for a bad band.
    pub fn new(
        record: &CspLdaRecord,
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
            "csp",
        )?;
        check_len("CSP filter banks", record.filters.len(), bank.bands())?;
        let filters = record
            .filters
            .iter()
            .map(|rows| mat_from_rows("CSP filters", rows, channels))
            .collect::<Result<Vec<_>, _>>()?;
        let per_band = filters.first().map_or(0, Mat::nrows);
        if filters.iter().any(|f| f.nrows() != per_band) {
            return Err(super::record::inconsistent(
                "CSP filters differ in count between bands",
            ));
        }
        let width = per_band * filters.len();
        record.standardiser.check(width)?;
        if record.selected.iter().any(|&j| j >= width) {
            return Err(super::record::inconsistent(
                "a selected feature index is out of range",
            ));
        }
        check_len("LDA inputs", record.model.features, record.selected.len())?;
        check_len("LDA classes", record.model.classes, classes.len())?;
        record.model.validate()?;
        Ok(Self {
            frame: Frame::new(classes, channels, samples, bank),
            filters,
            standardiser: record.standardiser.clone(),
            selected: record.selected.clone(),
            model: record.model.clone(),
            features: vec![0.0; width],
            kept: vec![0.0; record.selected.len()],
        })
    }
}

impl Decoder for CspLdaDecoder {
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
        let per_band = self.filters[0].nrows();
        for (b, f) in self.filters.iter().enumerate() {
            let out = &mut self.features[b * per_band..(b + 1) * per_band];
            log_variance(f, self.frame.bank.band(b), self.frame.samples, out);
        }
        self.standardiser.apply(&mut self.features);
        for (dst, &j) in self.kept.iter_mut().zip(&self.selected) {
            *dst = self.features[j];
        }
        self.model.probabilities(&self.kept, &mut self.frame.probs);
        self.frame.store(probabilities)
    }
}

/// `csp_lda`.
pub(crate) const CSP_LDA: CovarianceArchitecture<CspSpec> = CovarianceArchitecture {
    name: "csp_lda",
    description: "CSP spatial filters, log-variance, shrinkage LDA",
    default: CspSpec::csp_lda,
    check: |s, path, channels, rate, errors| check_csp(path, s, channels, rate, errors),
    fit: |s, data| Ok(CovarianceRecord::CspLda(fit_csp_lda(s, data)?)),
};

/// `fbcsp`.
pub(crate) const FBCSP: CovarianceArchitecture<FbcspSpec> = CovarianceArchitecture {
    name: "fbcsp",
    description: "filter-bank CSP with feature selection, shrinkage LDA",
    default: FbcspSpec::default,
    check: |s, path, channels, rate, errors| {
        check_csp(path, &s.csp(), channels, rate, errors);
        if s.bands_hz.is_empty() {
            errors.push(neuroloop_core::ConfigError::new(
                format!("{path}.bands_hz"),
                "needs at least one band",
            ));
        }
    },
    fit: |s, data| Ok(CovarianceRecord::Fbcsp(fit_csp_lda(&s.csp(), data)?)),
};
