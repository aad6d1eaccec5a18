//! Re-centring for transfer across recordings (sessions, runs), an option
//! of `tangent_space` and `mdm`: a shift of the whole recording — new
//! electrode impedances, a cap placed a little differently — moves every
//! covariance by about the same congruence, and whitening by the
//! recording's own mean takes it out.
//!
//! * Fit: each recording's covariances `C` (by [`EpochSet::recording`])
//!   become `M_r^{-1/2} C M_r^{-1/2}`, `M_r` their Riemannian mean, before
//!   the model's own mean, tangent space or class means.
//! * Decode: an [`OnlineMean`] of the incoming windows' covariances, per
//!   band, started at the Riemannian mean of all training covariances;
//!   each window updates it, then is whitened by it. A decoder fitted
//!   yesterday adapts to today's recording as it decodes it.
//!
//! [`EpochSet::recording`]: crate::fit::EpochSet::recording

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use super::record::{check_len, mat_rows, square_from_rows};
use crate::DecodeError;
use crate::spd::{MeanOptions, OnlineMean, congruence, invsqrtm, mean_riemann, symmetrise};

/// The stored re-centring of a decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecenterRecord {
    /// Memory `N` of the online reference, in windows (its step never
    /// falls below `1/N`).
    pub memory: usize,
    /// Per band, the reference a decoder starts from: the Riemannian mean
    /// of every training covariance, as rows.
    pub start: Vec<Vec<Vec<f64>>>,
}

/// Whitens each recording's covariances (per band) by their own
/// Riemannian mean, in place, and returns the record a decoder starts
/// from.
///
/// # Errors
/// [`DecodeError::Numerical`] if a mean fails or `recording` does not have
/// one entry per covariance.
pub(crate) fn recenter_training(
    bands: &mut [Vec<Mat<f64>>],
    recording: &[usize],
    memory: usize,
) -> Result<RecenterRecord, DecodeError> {
    let mut ids: Vec<usize> = recording.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut start = Vec::with_capacity(bands.len());
    for covs in bands.iter_mut() {
        check_len("recording of each epoch", recording.len(), covs.len())?;
        start.push(mat_rows(&mean_riemann(covs, None, MeanOptions::default())?));
        for &id in &ids {
            let members: Vec<Mat<f64>> = covs
                .iter()
                .zip(recording)
                .filter(|(_, r)| **r == id)
                .map(|(c, _)| c.clone())
                .collect();
            let inv_root =
                invsqrtm(mean_riemann(&members, None, MeanOptions::default())?.as_ref())?;
            let n = inv_root.nrows();
            let mut tmp = Mat::zeros(n, n);
            for (c, _) in covs.iter_mut().zip(recording).filter(|(_, r)| **r == id) {
                let original = c.clone();
                congruence(
                    inv_root.as_ref(),
                    original.as_ref(),
                    tmp.as_mut(),
                    c.as_mut(),
                );
                symmetrise(c.as_mut());
            }
        }
    }
    Ok(RecenterRecord { memory, start })
}

/// The decoder side: one online reference per band and the whitened
/// window.
#[derive(Debug)]
pub(crate) struct Recentring {
    means: Vec<OnlineMean>,
    whitened: Mat<f64>,
}

impl Recentring {
    /// The online references of `record` for `channels × channels`
    /// covariances and `bands` bands.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree, a start
    /// is not SPD or the memory is out of range.
    pub(crate) fn new(
        record: &RecenterRecord,
        channels: usize,
        bands: usize,
    ) -> Result<Self, DecodeError> {
        check_len("re-centring references", record.start.len(), bands)?;
        let means = record
            .start
            .iter()
            .map(|rows| {
                let start = square_from_rows("re-centring reference", rows, channels)?;
                OnlineMean::new(start, record.memory)
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        Ok(Self {
            means,
            whitened: Mat::zeros(channels, channels),
        })
    }

    /// Updates band `band`'s reference with `cov`, then returns `cov`
    /// whitened by it. No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `cov` is not SPD.
    pub(crate) fn whiten(
        &mut self,
        band: usize,
        cov: MatRef<'_, f64>,
    ) -> Result<MatRef<'_, f64>, DecodeError> {
        let mean = &mut self.means[band];
        mean.update(cov)?;
        mean.whiten(cov, self.whitened.as_mut());
        Ok(self.whitened.as_ref())
    }
}
