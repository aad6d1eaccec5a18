//! `cca_lr`: SSVEP by canonical correlation (Lin et al. 2006). For each
//! stimulus frequency `f`, the largest canonical correlation between the
//! window's channels and the references `sin(2πkft)`, `cos(2πkft)`
//! (`k = 1..=harmonics`); the correlations, standardised, go to an L2
//! logistic regression, which also learns a class without stimulation
//! ("rest": every correlation low).
//!
//! `ρ_f² = λ_max(B̂ᵀ B̂)`, `B̂ = S^{-1/2} X Ŷ_fᵀ / T`, with `S` the sample
//! covariance of the window `X` (`C × T`), `Ŷ_f` the centred references
//! made orthonormal (`Ŷ Ŷᵀ = T·I`).

use faer::Mat;
use faer::linalg::matmul::matmul;
use faer::{Accum, Par};
use neuroloop_core::{ConfigError, Window};
use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::record::{Standardiser, check_len};
use super::{CovarianceRecord, FilterBank, check_c};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::{LinearModel, LogisticOptions, fit_logistic};
use crate::spd::{CovarianceWorkspace, Estimator, SymEigen, invsqrtm};
use crate::{DecodeError, Decoder};

/// Hyperparameters of `cca_lr`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CcaSpec {
    /// Stimulus frequencies, Hz.
    pub frequencies_hz: Vec<f64>,
    /// Harmonics per frequency in the references (1: the fundamental only).
    pub harmonics: usize,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
}

impl Default for CcaSpec {
    /// 13, 17 and 21 Hz (the Kalunga 2016 stimuli), two harmonics, `C = 1`.
    fn default() -> Self {
        Self {
            frequencies_hz: vec![13.0, 17.0, 21.0],
            harmonics: 2,
            c: 1.0,
        }
    }
}

/// Checks the spec against the rate.
pub(crate) fn check_cca(path: &str, spec: &CcaSpec, rate: f64, errors: &mut Vec<ConfigError>) {
    check_c(path, spec.c, errors);
    if spec.frequencies_hz.is_empty() || spec.frequencies_hz.len() > 32 {
        errors.push(ConfigError::new(
            format!("{path}.frequencies_hz"),
            "needs 1 to 32 frequencies",
        ));
    }
    if !(1..=8).contains(&spec.harmonics) {
        errors.push(ConfigError::new(
            format!("{path}.harmonics"),
            format!("{} is outside 1..=8", spec.harmonics),
        ));
    }
    for (i, f) in spec.frequencies_hz.iter().enumerate() {
        let top = f * spec.harmonics.clamp(1, 8) as f64;
        if !(f.is_finite() && *f > 0.0 && top < rate / 2.0) {
            errors.push(ConfigError::new(
                format!("{path}.frequencies_hz[{i}]"),
                format!(
                    "{f} Hz: it and its harmonics must lie in (0, {}) Hz",
                    rate / 2.0
                ),
            ));
        }
    }
}

/// The fitted parameters of a `cca_lr` decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CcaRecord {
    /// Stimulus frequencies, Hz.
    pub frequencies_hz: Vec<f64>,
    /// Harmonics per frequency.
    pub harmonics: usize,
    /// Standardisation of the correlations.
    pub standardiser: Standardiser,
    /// Logistic regression on the standardised correlations.
    pub model: LinearModel,
}

/// The canonical correlations of windows with fixed references, every
/// buffer preallocated.
#[derive(Debug)]
pub struct CanonicalCorrelations {
    samples: usize,
    /// Per frequency, `Ŷ_f` (`2·harmonics × samples`).
    references: Vec<Mat<f64>>,
    ws: CovarianceWorkspace,
    cov: Mat<f64>,
    eig: SymEigen,
    inv_root: Mat<f64>,
    b: Mat<f64>,
    b_hat: Mat<f64>,
    gram: Mat<f64>,
    small: SymEigen,
}

impl CanonicalCorrelations {
    /// The references of `frequencies` for `channels × samples` windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the references are degenerate (a
    /// frequency at 0 or Nyquist, or too few samples).
    pub fn new(
        frequencies: &[f64],
        harmonics: usize,
        rate: f64,
        channels: usize,
        samples: usize,
    ) -> Result<Self, DecodeError> {
        let rows = 2 * harmonics;
        let mut references = Vec::with_capacity(frequencies.len());
        for &f in frequencies {
            let mut y = Mat::from_fn(rows, samples, |r, s| {
                let phase = 2.0 * std::f64::consts::PI * f * (r / 2 + 1) as f64 * s as f64 / rate;
                if r % 2 == 0 { phase.sin() } else { phase.cos() }
            });
            for r in 0..rows {
                let mean = (0..samples).map(|s| y[(r, s)]).sum::<f64>() / samples as f64;
                (0..samples).for_each(|s| y[(r, s)] -= mean);
            }
            let gram = &y * y.transpose() * faer::Scale(1.0 / samples as f64);
            references.push(invsqrtm(gram.as_ref())? * &y);
        }
        Ok(Self {
            samples,
            references,
            ws: CovarianceWorkspace::new(channels, samples),
            cov: Mat::zeros(channels, channels),
            eig: SymEigen::new(channels, true),
            inv_root: Mat::zeros(channels, channels),
            b: Mat::zeros(channels, rows),
            b_hat: Mat::zeros(channels, rows),
            gram: Mat::zeros(rows, rows),
            small: SymEigen::new(rows, false),
        })
    }

    /// The correlation with each frequency's references of the
    /// channel-major window `x` into `out`. No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] for wrong sizes, non-finite values or a
    /// singular window covariance.
    pub fn compute(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), DecodeError> {
        check_len("canonical correlations", out.len(), self.references.len())?;
        self.ws.estimate(Estimator::Scm, x, self.cov.as_mut())?;
        self.eig.compute(self.cov.as_ref())?;
        self.eig.apply(
            "canonical correlation",
            |l| 1.0 / l.sqrt(),
            self.inv_root.as_mut(),
        )?;
        let t = self.samples;
        for (y, rho) in self.references.iter().zip(out.iter_mut()) {
            for (c, row) in x.chunks_exact(t).enumerate() {
                for j in 0..y.nrows() {
                    let dot: f64 = row.iter().enumerate().map(|(s, v)| v * y[(j, s)]).sum();
                    self.b[(c, j)] = dot / t as f64;
                }
            }
            matmul(
                self.b_hat.as_mut(),
                Accum::Replace,
                self.inv_root.as_ref(),
                self.b.as_ref(),
                1.0,
                Par::Seq,
            );
            matmul(
                self.gram.as_mut(),
                Accum::Replace,
                self.b_hat.transpose(),
                self.b_hat.as_ref(),
                1.0,
                Par::Seq,
            );
            self.small.compute(self.gram.as_ref())?;
            let top = self.small.values().iter().copied().fold(0.0, f64::max);
            *rho = top.sqrt().min(1.0);
        }
        Ok(())
    }
}

/// Fits `cca_lr` on `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if a window covariance is singular or the
/// regression fails.
pub fn fit_cca(spec: &CcaSpec, data: &EpochSet) -> Result<CcaRecord, DecodeError> {
    let (c, t) = (data.channels, data.samples);
    let mut cca =
        CanonicalCorrelations::new(&spec.frequencies_hz, spec.harmonics, data.sample_rate, c, t)?;
    let k = spec.frequencies_hz.len();
    let mut features = vec![0.0; data.len() * k];
    let mut x = vec![0.0; c * t];
    for (i, out) in features.chunks_exact_mut(k).enumerate() {
        x.iter_mut()
            .zip(data.epoch(i))
            .for_each(|(d, &v)| *d = f64::from(v));
        cca.compute(&x, out)?;
    }
    let standardiser = Standardiser::fit(&features, k);
    standardiser.apply_all(&mut features);
    let options = LogisticOptions {
        c: spec.c,
        ..LogisticOptions::default()
    };
    let model = fit_logistic(&features, &data.labels, data.classes.len(), &options)?;
    Ok(CcaRecord {
        frequencies_hz: spec.frequencies_hz.clone(),
        harmonics: spec.harmonics,
        standardiser,
        model,
    })
}

/// The real-time `cca_lr` decoder. No allocation per window.
#[derive(Debug)]
pub struct CcaDecoder {
    frame: Frame,
    cca: CanonicalCorrelations,
    standardiser: Standardiser,
    model: LinearModel,
    features: Vec<f64>,
}

impl CcaDecoder {
    /// Builds the decoder for `channels × samples` windows at `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree or the
    /// references are degenerate.
    pub fn new(
        record: &CcaRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        let k = record.frequencies_hz.len();
        if !(1..=8).contains(&record.harmonics) || k == 0 {
            return Err(super::record::inconsistent(
                "CCA: harmonics outside 1..=8 or no frequency",
            ));
        }
        record.standardiser.check(k)?;
        check_len("logistic-regression inputs", record.model.features, k)?;
        check_len(
            "logistic-regression classes",
            record.model.classes,
            classes.len(),
        )?;
        record.model.validate()?;
        let bank = FilterBank::new(&[], 1, sample_rate, channels, samples, "cca_lr")?;
        Ok(Self {
            frame: Frame::new(classes, channels, samples, bank),
            cca: CanonicalCorrelations::new(
                &record.frequencies_hz,
                record.harmonics,
                sample_rate,
                channels,
                samples,
            )?,
            standardiser: record.standardiser.clone(),
            model: record.model.clone(),
            features: vec![0.0; k],
        })
    }
}

impl Decoder for CcaDecoder {
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
        self.cca
            .compute(self.frame.bank.band(0), &mut self.features)?;
        self.standardiser.apply(&mut self.features);
        self.model
            .probabilities(&self.features, &mut self.frame.probs);
        self.frame.store(probabilities)
    }
}

/// `cca_lr`.
pub(crate) const CCA_LR: CovarianceArchitecture<CcaSpec> = CovarianceArchitecture {
    name: "cca_lr",
    description: "canonical correlations with sine references, standardised, L2 logistic \
                  regression (SSVEP)",
    default: CcaSpec::default,
    check: |s, path, _channels, rate, errors| check_cca(path, s, rate, errors),
    fit: |s, data| Ok(CovarianceRecord::CcaLr(fit_cca(s, data)?)),
};
