//! `mdm`: minimum distance to the Riemannian class means. The
//! probabilities are pyriemann's: `softmax(−δ²)` over the distances `δ` of
//! the window's covariance to each class mean. Optionally re-centred per
//! recording (`recenter`, see the `recenter` module).

use faer::Mat;
use neuroloop_core::Window;
use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::recenter::{RecenterRecord, Recentring, recenter_training};
use super::record::{check_len, mat_rows, square_from_rows};
use super::tangent_space::band_covariances;
use super::{CovarianceRecord, FilterBank, MdmSpec, check_recenter};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::softmax_in_place;
use crate::spd::{
    CovarianceWorkspace, Estimator, MeanOptions, SymEigen, congruence, invsqrtm, log_eigen_norm,
    mean_riemann,
};
use crate::{DecodeError, Decoder};

/// The fitted parameters of an MDM decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdmRecord {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// The Riemannian mean of each class, as rows.
    pub means: Vec<Vec<Vec<f64>>>,
    /// Re-centring across recordings (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recenter: Option<RecenterRecord>,
}

/// The Riemannian mean of each class's covariances.
///
/// # Errors
/// [`DecodeError::Numerical`] if a class has no trial or a mean fails.
pub fn class_means(
    covs: &[Mat<f64>],
    labels: &[usize],
    classes: usize,
    options: MeanOptions,
) -> Result<Vec<Mat<f64>>, DecodeError> {
    (0..classes)
        .map(|k| {
            let members: Vec<Mat<f64>> = covs
                .iter()
                .zip(labels)
                .filter(|(_, l)| **l == k)
                .map(|(c, _)| c.clone())
                .collect();
            mean_riemann(&members, None, options)
        })
        .collect()
}

/// Fits MDM on `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if a covariance or a class mean fails.
pub fn fit_mdm(spec: &MdmSpec, data: &EpochSet) -> Result<MdmRecord, DecodeError> {
    let mut bank = FilterBank::new(&[], 1, data.sample_rate, data.channels, data.samples, "mdm")?;
    let mut covs = band_covariances(spec.estimator, &mut bank, data)?;
    let recenter = spec
        .recenter
        .then(|| recenter_training(&mut covs, &data.recording, spec.recenter_memory))
        .transpose()?;
    let means = class_means(
        &covs[0],
        &data.labels,
        data.classes.len(),
        MeanOptions::default(),
    )?;
    Ok(MdmRecord {
        estimator: spec.estimator,
        means: means.iter().map(mat_rows).collect(),
        recenter,
    })
}

/// The real-time MDM decoder. No allocation per window.
#[derive(Debug)]
pub struct MdmDecoder {
    frame: Frame,
    estimator: Estimator,
    ws: CovarianceWorkspace,
    cov: Mat<f64>,
    /// `M_k^{-1/2}` per class.
    inv_roots: Vec<Mat<f64>>,
    tmp: Mat<f64>,
    whitened: Mat<f64>,
    eig: SymEigen,
    recentring: Option<Recentring>,
}

impl MdmDecoder {
    /// Builds the decoder for `channels × samples` windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if a class mean has the wrong size or is
    /// not SPD.
    pub fn new(
        record: &MdmRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        check_len("MDM class means", record.means.len(), classes.len())?;
        let inv_roots = record
            .means
            .iter()
            .map(|rows| invsqrtm(square_from_rows("MDM class mean", rows, channels)?.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let bank = FilterBank::new(&[], 1, sample_rate, channels, samples, "mdm")?;
        let recentring = record
            .recenter
            .as_ref()
            .map(|r| Recentring::new(r, channels, 1))
            .transpose()?;
        Ok(Self {
            frame: Frame::new(classes, channels, samples, bank),
            estimator: record.estimator,
            ws: CovarianceWorkspace::new(channels, samples),
            cov: Mat::zeros(channels, channels),
            inv_roots,
            tmp: Mat::zeros(channels, channels),
            whitened: Mat::zeros(channels, channels),
            eig: SymEigen::new(channels, false),
            recentring,
        })
    }
}

impl Decoder for MdmDecoder {
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
            .estimate(self.estimator, self.frame.bank.band(0), self.cov.as_mut())?;
        let cov = match self.recentring.as_mut() {
            Some(r) => r.whiten(0, self.cov.as_ref())?,
            None => self.cov.as_ref(),
        };
        for (k, inv_root) in self.inv_roots.iter().enumerate() {
            congruence(
                inv_root.as_ref(),
                cov,
                self.tmp.as_mut(),
                self.whitened.as_mut(),
            );
            self.eig.compute(self.whitened.as_ref())?;
            let d = log_eigen_norm(self.eig.values())?;
            self.frame.probs[k] = -d * d;
        }
        softmax_in_place(&mut self.frame.probs);
        self.frame.store(probabilities)
    }
}

/// `mdm`.
pub(crate) const MDM: CovarianceArchitecture<MdmSpec> = CovarianceArchitecture {
    name: "mdm",
    description: "minimum distance to the Riemannian class means",
    default: MdmSpec::default,
    check: |s, path, _channels, _rate, errors| check_recenter(path, s.recenter_memory, errors),
    fit: |s, data| Ok(CovarianceRecord::Mdm(fit_mdm(s, data)?)),
};
