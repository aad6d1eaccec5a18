//! `xdawn_tangent_space` and `xdawn_mdm`: ERP covariances after xDAWN
//! filtering ([`XdawnCovariance`]), then either tangent vectors at their
//! Riemannian mean with L2 logistic regression, or the minimum distance to
//! the Riemannian class means. pyriemann's `XdawnCovariances →
//! TangentSpace → LogisticRegression` and `XdawnCovariances → MDM`, the
//! reference P300 pipelines. `erp_tangent_space` and `erp_mdm` are the same
//! on ERP covariances without xDAWN (`ERPCovariances`: every channel kept).

use faer::Mat;
use neuroloop_core::Window;
use serde::{Deserialize, Serialize};

use super::frame::Frame;
use super::mdm::class_means;
use super::record::{check_len, mat_rows, square_from_rows};
use super::tangent_head::{TangentHead, fit_tangent_logistic};
use super::xdawn::{XdawnCovariance, XdawnRecord, fit_erp, fit_xdawn};
use super::{
    CovarianceRecord, ErpSpec, FilterBank, MdmSpec, XdawnMdmSpec, XdawnSpec, check_c, check_nfilter,
};
use crate::fit::EpochSet;
use crate::fit::covariance::CovarianceArchitecture;
use crate::linear::{LinearModel, softmax_in_place};
use crate::spd::{MeanOptions, SymEigen, congruence, invsqrtm, log_eigen_norm};
use crate::{DecodeError, Decoder};

/// The fitted parameters of an `xdawn_tangent_space` decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XdawnTangentSpaceRecord {
    /// Filters and prototypes.
    pub xdawn: XdawnRecord,
    /// The Riemannian mean of the training covariances, as rows.
    pub reference: Vec<Vec<f64>>,
    /// Logistic regression on the tangent vectors.
    pub model: LinearModel,
}

/// The fitted parameters of an `xdawn_mdm` decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XdawnMdmRecord {
    /// Filters and prototypes.
    pub xdawn: XdawnRecord,
    /// The Riemannian mean of each class's covariances, as rows.
    pub means: Vec<Vec<Vec<f64>>>,
}

/// The ERP covariance of every epoch of `data` under `xdawn`.
fn covariances(
    xdawn: XdawnRecord,
    data: &EpochSet,
) -> Result<(XdawnRecord, Vec<Mat<f64>>), DecodeError> {
    let covs = XdawnCovariance::new(&xdawn, data.channels, data.samples)?.all(data)?;
    Ok((xdawn, covs))
}

/// Fits `xdawn_tangent_space` on `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if the filters, a covariance, the mean or the
/// regression fails.
pub fn fit_xdawn_tangent_space(
    spec: &XdawnSpec,
    data: &EpochSet,
) -> Result<XdawnTangentSpaceRecord, DecodeError> {
    let xdawn = fit_xdawn(spec.estimator, spec.nfilter, data)?;
    tangent_space_on(covariances(xdawn, data)?, spec.c, data)
}

/// Fits `erp_tangent_space` on `data`.
///
/// # Errors
/// As [`fit_xdawn_tangent_space`].
pub fn fit_erp_tangent_space(
    spec: &ErpSpec,
    data: &EpochSet,
) -> Result<XdawnTangentSpaceRecord, DecodeError> {
    let erp = fit_erp(spec.estimator, data)?;
    tangent_space_on(covariances(erp, data)?, spec.c, data)
}

/// Tangent space at the Riemannian mean of `covs`, then logistic regression.
fn tangent_space_on(
    (xdawn, covs): (XdawnRecord, Vec<Mat<f64>>),
    c: f64,
    data: &EpochSet,
) -> Result<XdawnTangentSpaceRecord, DecodeError> {
    let (reference, model) = fit_tangent_logistic(&covs, c, data)?;
    Ok(XdawnTangentSpaceRecord {
        xdawn,
        reference: mat_rows(&reference),
        model,
    })
}

/// Fits `xdawn_mdm` on `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if the filters, a covariance or a class mean
/// fails.
pub fn fit_xdawn_mdm(spec: &XdawnMdmSpec, data: &EpochSet) -> Result<XdawnMdmRecord, DecodeError> {
    let xdawn = fit_xdawn(spec.estimator, spec.nfilter, data)?;
    mdm_on(covariances(xdawn, data)?, data)
}

/// Fits `erp_mdm` on `data`.
///
/// # Errors
/// As [`fit_xdawn_mdm`].
pub fn fit_erp_mdm(spec: &MdmSpec, data: &EpochSet) -> Result<XdawnMdmRecord, DecodeError> {
    mdm_on(covariances(fit_erp(spec.estimator, data)?, data)?, data)
}

/// The Riemannian class means of `covs`.
fn mdm_on(
    (xdawn, covs): (XdawnRecord, Vec<Mat<f64>>),
    data: &EpochSet,
) -> Result<XdawnMdmRecord, DecodeError> {
    let means = class_means(
        &covs,
        &data.labels,
        data.classes.len(),
        MeanOptions::default(),
    )?;
    Ok(XdawnMdmRecord {
        xdawn,
        means: means.iter().map(mat_rows).collect(),
    })
}

/// The window checks and output around an xDAWN decoder (no filter bank).
fn frame(
    classes: Vec<String>,
    channels: usize,
    samples: usize,
    rate: f64,
) -> Result<Frame, DecodeError> {
    let bank = FilterBank::new(&[], 1, rate, channels, samples, "xdawn")?;
    Ok(Frame::new(classes, channels, samples, bank))
}

/// The real-time `xdawn_tangent_space` decoder. No allocation per window.
#[derive(Debug)]
pub struct XdawnTangentSpaceDecoder {
    frame: Frame,
    xdawn: XdawnCovariance,
    cov: Mat<f64>,
    head: TangentHead,
}

impl XdawnTangentSpaceDecoder {
    /// Builds the decoder for `channels × samples` windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree or the
    /// reference is not SPD.
    pub fn new(
        record: &XdawnTangentSpaceRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        let xdawn = XdawnCovariance::new(&record.xdawn, channels, samples)?;
        let n = xdawn.dim();
        let reference = square_from_rows("xDAWN tangent-space reference", &record.reference, n)?;
        let head = TangentHead::new(reference.as_ref(), &record.model, classes.len())?;
        Ok(Self {
            frame: frame(classes, channels, samples, sample_rate)?,
            xdawn,
            cov: Mat::zeros(n, n),
            head,
        })
    }
}

impl Decoder for XdawnTangentSpaceDecoder {
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
        self.xdawn
            .estimate(self.frame.bank.band(0), self.cov.as_mut())?;
        self.head
            .probabilities(self.cov.as_ref(), &mut self.frame.probs)?;
        self.frame.store(probabilities)
    }
}

/// The real-time `xdawn_mdm` decoder. No allocation per window.
#[derive(Debug)]
pub struct XdawnMdmDecoder {
    frame: Frame,
    xdawn: XdawnCovariance,
    cov: Mat<f64>,
    /// `M_k^{-1/2}` per class.
    inv_roots: Vec<Mat<f64>>,
    tmp: Mat<f64>,
    whitened: Mat<f64>,
    eig: SymEigen,
}

impl XdawnMdmDecoder {
    /// Builds the decoder for `channels × samples` windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree or a class
    /// mean is not SPD.
    pub fn new(
        record: &XdawnMdmRecord,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Self, DecodeError> {
        let xdawn = XdawnCovariance::new(&record.xdawn, channels, samples)?;
        let n = xdawn.dim();
        check_len("xDAWN MDM class means", record.means.len(), classes.len())?;
        let inv_roots = record
            .means
            .iter()
            .map(|rows| invsqrtm(square_from_rows("xDAWN MDM class mean", rows, n)?.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            frame: frame(classes, channels, samples, sample_rate)?,
            xdawn,
            cov: Mat::zeros(n, n),
            inv_roots,
            tmp: Mat::zeros(n, n),
            whitened: Mat::zeros(n, n),
            eig: SymEigen::new(n, false),
        })
    }
}

impl Decoder for XdawnMdmDecoder {
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
        self.xdawn
            .estimate(self.frame.bank.band(0), self.cov.as_mut())?;
        for (k, inv_root) in self.inv_roots.iter().enumerate() {
            congruence(
                inv_root.as_ref(),
                self.cov.as_ref(),
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

/// `xdawn_tangent_space`.
pub(crate) const XDAWN_TANGENT_SPACE: CovarianceArchitecture<XdawnSpec> = CovarianceArchitecture {
    name: "xdawn_tangent_space",
    description: "xDAWN ERP covariances, tangent space, L2 logistic regression (P300)",
    default: XdawnSpec::default,
    check: |s, path, channels, _rate, errors| {
        check_c(path, s.c, errors);
        check_nfilter(path, s.nfilter, channels, errors);
    },
    fit: |s, data| {
        Ok(CovarianceRecord::XdawnTangentSpace(
            fit_xdawn_tangent_space(s, data)?,
        ))
    },
};

/// `xdawn_mdm`.
pub(crate) const XDAWN_MDM: CovarianceArchitecture<XdawnMdmSpec> = CovarianceArchitecture {
    name: "xdawn_mdm",
    description: "xDAWN ERP covariances, minimum distance to the class means (P300)",
    default: XdawnMdmSpec::default,
    check: |s, path, channels, _rate, errors| check_nfilter(path, s.nfilter, channels, errors),
    fit: |s, data| Ok(CovarianceRecord::XdawnMdm(fit_xdawn_mdm(s, data)?)),
};

/// `erp_tangent_space`.
pub(crate) const ERP_TANGENT_SPACE: CovarianceArchitecture<ErpSpec> = CovarianceArchitecture {
    name: "erp_tangent_space",
    description: "ERP covariances (class means and window), tangent space, L2 logistic \
                  regression (P300)",
    default: ErpSpec::default,
    check: |s, path, _channels, _rate, errors| check_c(path, s.c, errors),
    fit: |s, data| {
        Ok(CovarianceRecord::ErpTangentSpace(fit_erp_tangent_space(
            s, data,
        )?))
    },
};

/// `erp_mdm`.
pub(crate) const ERP_MDM: CovarianceArchitecture<MdmSpec> = CovarianceArchitecture {
    name: "erp_mdm",
    description: "ERP covariances, minimum distance to the class means (P300)",
    default: MdmSpec::default,
    check: |_s, _path, _channels, _rate, _errors| {},
    fit: |s, data| Ok(CovarianceRecord::ErpMdm(fit_erp_mdm(s, data)?)),
};
