//! The fitting side of Euclidean alignment: each training recording
//! whitened by the inverse square root of its own mean covariance.

use faer::Mat;

use super::AlignRecord;
use super::Whitener;
use super::online::matrix_rows;
use crate::DecodeError;
use crate::fit::EpochSet;
use crate::spd::{CovarianceWorkspace, Estimator, invsqrtm};

/// Training epochs after alignment, with what the decoder starts from.
#[derive(Debug, Clone)]
pub struct AlignedEpochs {
    /// The epochs, each whitened by its recording's `R_r^{-1/2}`; labels
    /// and recordings unchanged.
    pub data: EpochSet,
    /// The record a decoder starts from (the mean of all training
    /// covariances before alignment).
    pub record: AlignRecord,
    /// `(recording, R_r^{-1/2})` for every recording, by ascending index.
    pub whitening: Vec<(usize, Mat<f64>)>,
}

/// The centred sample covariance of every epoch of `data`, in f64.
///
/// # Errors
/// [`DecodeError::Numerical`] for epochs of fewer than 2 samples.
pub fn epoch_covariances(data: &EpochSet) -> Result<Vec<Mat<f64>>, DecodeError> {
    let mut workspace = CovarianceWorkspace::new(data.channels, data.samples);
    (0..data.len())
        .map(|i| {
            let mut c = Mat::zeros(data.channels, data.channels);
            workspace.estimate(Estimator::Scm, data.epoch(i), c.as_mut())?;
            Ok(c)
        })
        .collect()
}

/// The arithmetic mean of the covariances at `rows`.
fn arithmetic_mean(covs: &[Mat<f64>], rows: &[usize], n: usize) -> Mat<f64> {
    let mut mean = Mat::zeros(n, n);
    for &r in rows {
        mean += &covs[r];
    }
    mean * faer::Scale(1.0 / rows.len().max(1) as f64)
}

/// Whitens each recording of `data` by its own mean covariance.
///
/// # Errors
/// [`DecodeError::Numerical`] naming the recording whose mean covariance
/// is not positive definite (a flat channel, or two channels that are
/// copies of each other), or for epochs of fewer than 2 samples.
pub fn align_training(data: &EpochSet, memory: usize) -> Result<AlignedEpochs, DecodeError> {
    let n = data.channels;
    let covs = epoch_covariances(data)?;
    let all: Vec<usize> = (0..data.len()).collect();
    let start = arithmetic_mean(&covs, &all, n);
    let mut ids = data.recording.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut aligned = data.clone();
    let mut whitening = Vec::with_capacity(ids.len());
    let len = data.epoch_len();
    let mut whitener = Whitener::new(n, data.samples);
    for id in ids {
        let rows: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| data.recording[i] == id)
            .collect();
        let w = invsqrtm(arithmetic_mean(&covs, &rows, n).as_ref()).map_err(|e| {
            DecodeError::Numerical {
                what: "euclidean alignment",
                message: format!(
                    "the mean covariance of recording {id} is not positive definite \
                     (a flat or duplicated channel?): {e}"
                ),
            }
        })?;
        for &i in &rows {
            let out = &mut aligned.data[i * len..(i + 1) * len];
            whitener.whiten(w.as_ref(), data.epoch(i), out);
        }
        whitening.push((id, w));
    }
    Ok(AlignedEpochs {
        data: aligned,
        record: AlignRecord {
            memory,
            start: matrix_rows(&start),
        },
        whitening,
    })
}
