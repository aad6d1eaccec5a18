//! Covariance decoders: what wins on the few dozen calibration trials of a
//! BCI session. Each is a first-class architecture of
//! [`fit`](crate::fit): fitted to convergence on all the data (convex
//! classifiers, closed-form means and filters), stored in a bundle as a
//! JSON record, and decoded allocation-free on the pipeline thread.
//!
//! ```text
//! window ─FilterBank─▶ bands ─covariance─▶ SPD matrices
//!    csp_lda / fbcsp: CSP filters → log-variance → standardise → (select) → shrinkage LDA
//!    tangent_space:   tangent vectors at the Riemannian mean → L2 logistic regression
//!    mdm:             distances to the Riemannian class means → softmax(−δ²)
//! window ─xDAWN filters─▶ [class prototypes; filtered window] ─covariance─▶ SPD
//!    xdawn_tangent_space / xdawn_mdm: as tangent_space / mdm (ERPs, P300)
//! window ─▶ [class means; window] ─covariance─▶ SPD
//!    erp_tangent_space / erp_mdm: as tangent_space / mdm
//! window ─FilterBank─▶ bands stacked as one signal ─covariance─▶ SPD
//!    stacked_tangent_space: as tangent_space (SSVEP)
//! window ─canonical correlation with sin/cos references─▶ ρ per frequency
//!    cca_lr: standardise → L2 logistic regression (SSVEP)
//! ```
//!
//! * `spec`: hyperparameters ([`CspSpec`], [`FbcspSpec`],
//!   [`TangentSpaceSpec`], [`MdmSpec`]).
//! * `filter_bank`: [`FilterBank`], zero-phase band-pass of one window.
//! * `frame`: the window checks and output shared by the decoders.
//! * `record`: pieces of the stored form; [`CovarianceRecord`] is the whole.
//! * `recenter`: re-centring across recordings ([`RecenterRecord`]), an
//!   option of `tangent_space` and `mdm`.
//! * `tangent_head`: one tangent space + logistic regression, fitted and
//!   applied per window, for the single-covariance decoders below.
//! * `csp`, `csp_lda`, `tangent_space`, `mdm`: the estimators, each with
//!   its fit, record and real-time decoder.
//! * `xdawn`: xDAWN filters and ERP covariances ([`XdawnCovariance`]);
//!   `xdawn_spec` ([`XdawnSpec`], [`XdawnMdmSpec`]); `xdawn_decoders`:
//!   `xdawn_tangent_space` and `xdawn_mdm`.
//! * `stacked`: `stacked_tangent_space` ([`StackedSpec`]), the covariance
//!   of every band of a filter bank stacked as one signal.
//! * `cca`: `cca_lr` ([`CcaSpec`]), canonical correlations with sine
//!   references as features (not a covariance decoder, fitted the same way).
//!
//! The math is in [`crate::spd`] and [`crate::linear`].

mod cca;
mod csp;
mod csp_lda;
mod filter_bank;
mod frame;
mod mdm;
mod recenter;
mod record;
mod spec;
mod stacked;
mod tangent_head;
mod tangent_space;
mod xdawn;
mod xdawn_decoders;
mod xdawn_spec;

pub(crate) use cca::CCA_LR;
pub use cca::{CanonicalCorrelations, CcaDecoder, CcaRecord, CcaSpec, fit_cca};
pub use csp::{fit_csp, log_variance};
pub(crate) use csp_lda::{CSP_LDA, FBCSP};
pub use csp_lda::{CspLdaDecoder, CspLdaRecord, fit_csp_lda};
pub use filter_bank::FilterBank;
pub(crate) use mdm::MDM;
pub use mdm::{MdmDecoder, MdmRecord, class_means, fit_mdm};
pub use recenter::RecenterRecord;
pub use record::Standardiser;
pub use spec::{
    CspSpec, DEFAULT_RECENTER_MEMORY, FbcspSpec, MAX_BANDS, MAX_BANK_ORDER, MdmSpec,
    TangentSpaceSpec,
};
pub(crate) use spec::{check_bands, check_c, check_csp, check_recenter};
pub(crate) use stacked::STACKED_TANGENT_SPACE;
pub use stacked::{StackedDecoder, StackedRecord, StackedSpec, fit_stacked};
pub(crate) use tangent_space::TANGENT_SPACE;
pub use tangent_space::{TangentSpaceDecoder, TangentSpaceRecord, fit_tangent_space};
pub use xdawn::{XdawnCovariance, XdawnRecord, fit_erp, fit_xdawn};
pub(crate) use xdawn_decoders::{ERP_MDM, ERP_TANGENT_SPACE, XDAWN_MDM, XDAWN_TANGENT_SPACE};
pub use xdawn_decoders::{
    XdawnMdmDecoder, XdawnMdmRecord, XdawnTangentSpaceDecoder, XdawnTangentSpaceRecord,
    fit_erp_mdm, fit_erp_tangent_space, fit_xdawn_mdm, fit_xdawn_tangent_space,
};
pub(crate) use xdawn_spec::check_nfilter;
pub use xdawn_spec::{ErpSpec, XdawnMdmSpec, XdawnSpec};

use serde::{Deserialize, Serialize};

use crate::{DecodeError, Decoder};

/// A fitted covariance decoder in its stored form (`weights.json` of a
/// bundle), tagged by architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "architecture", rename_all = "snake_case")]
pub enum CovarianceRecord {
    /// CSP + shrinkage LDA.
    CspLda(CspLdaRecord),
    /// Filter-bank CSP + feature selection + shrinkage LDA.
    Fbcsp(CspLdaRecord),
    /// Tangent space + logistic regression.
    TangentSpace(TangentSpaceRecord),
    /// Minimum distance to mean.
    Mdm(MdmRecord),
    /// xDAWN ERP covariances, tangent space, logistic regression.
    XdawnTangentSpace(XdawnTangentSpaceRecord),
    /// xDAWN ERP covariances, minimum distance to mean.
    XdawnMdm(XdawnMdmRecord),
    /// ERP covariances, tangent space, logistic regression.
    ErpTangentSpace(XdawnTangentSpaceRecord),
    /// ERP covariances, minimum distance to mean.
    ErpMdm(XdawnMdmRecord),
    /// Stacked filter-bank covariance, tangent space, logistic regression.
    StackedTangentSpace(StackedRecord),
    /// Canonical correlations with sine references, logistic regression.
    CcaLr(CcaRecord),
}

impl CovarianceRecord {
    /// The real-time decoder for `channels × samples` windows at
    /// `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record does not fit together or
    /// with the shape; [`DecodeError::Config`] for a band outside the rate.
    pub fn decoder(
        &self,
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        sample_rate: f64,
    ) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(match self {
            CovarianceRecord::CspLda(r) | CovarianceRecord::Fbcsp(r) => Box::new(
                CspLdaDecoder::new(r, classes, channels, samples, sample_rate)?,
            ),
            CovarianceRecord::TangentSpace(r) => Box::new(TangentSpaceDecoder::new(
                r,
                classes,
                channels,
                samples,
                sample_rate,
            )?),
            CovarianceRecord::Mdm(r) => {
                Box::new(MdmDecoder::new(r, classes, channels, samples, sample_rate)?)
            }
            CovarianceRecord::XdawnTangentSpace(r) | CovarianceRecord::ErpTangentSpace(r) => {
                Box::new(XdawnTangentSpaceDecoder::new(
                    r,
                    classes,
                    channels,
                    samples,
                    sample_rate,
                )?)
            }
            CovarianceRecord::CcaLr(r) => {
                Box::new(CcaDecoder::new(r, classes, channels, samples, sample_rate)?)
            }
            CovarianceRecord::StackedTangentSpace(r) => Box::new(StackedDecoder::new(
                r,
                classes,
                channels,
                samples,
                sample_rate,
            )?),
            CovarianceRecord::XdawnMdm(r) | CovarianceRecord::ErpMdm(r) => Box::new(
                XdawnMdmDecoder::new(r, classes, channels, samples, sample_rate)?,
            ),
        })
    }
}
