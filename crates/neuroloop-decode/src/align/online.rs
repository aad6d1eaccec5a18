//! The decoding side of Euclidean alignment: a running arithmetic mean of
//! the windows' covariances and the whitening it gives, without
//! allocation per window.

use faer::{Mat, MatRef};
use neuroloop_core::Window;

use super::{AlignRecord, Whitener};
use crate::fit::EpochSet;
use crate::spd::{CovarianceWorkspace, Estimator, ONLINE_MEMORY_RANGE, SymEigen, positive};
use crate::{DecodeError, Decoder, check_finite};

fn numerical(message: String) -> DecodeError {
    DecodeError::Numerical {
        what: "euclidean alignment",
        message,
    }
}

/// A running arithmetic mean of covariances and its inverse square root;
/// see the module documentation of [`crate::align`].
#[derive(Debug)]
pub struct RunningCovarianceMean {
    start: Mat<f64>,
    start_inv_root: Mat<f64>,
    mean: Mat<f64>,
    inv_root: Mat<f64>,
    next: Mat<f64>,
    next_inv_root: Mat<f64>,
    count: u64,
    memory: usize,
    eig: SymEigen,
}

impl RunningCovarianceMean {
    /// A running mean that starts at `start` and remembers about `memory`
    /// windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `start` is not square and positive
    /// definite or `memory` is outside [`ONLINE_MEMORY_RANGE`].
    pub fn new(start: Mat<f64>, memory: usize) -> Result<Self, DecodeError> {
        if !ONLINE_MEMORY_RANGE.contains(&memory) {
            return Err(numerical(format!(
                "memory {memory} is outside {ONLINE_MEMORY_RANGE:?}"
            )));
        }
        let n = start.nrows();
        if start.ncols() != n || n == 0 {
            return Err(numerical(format!(
                "a {n}×{} starting mean is not square",
                start.ncols()
            )));
        }
        let mut eig = SymEigen::new(n, true);
        let mut inv_root = Mat::zeros(n, n);
        eig.compute(start.as_ref())?;
        eig.apply(
            "alignment start",
            positive(|x| 1.0 / x.sqrt()),
            inv_root.as_mut(),
        )?;
        Ok(Self {
            mean: start.clone(),
            start,
            start_inv_root: inv_root.clone(),
            next_inv_root: inv_root.clone(),
            inv_root,
            next: Mat::zeros(n, n),
            count: 0,
            memory,
            eig,
        })
    }

    /// `R ← R + α (c − R)` and its new `R^{-1/2}`. No allocation. On an
    /// error nothing changes.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `c` is not `n × n` or the new mean is
    /// not positive definite (a non-finite `c`, say).
    pub fn update(&mut self, c: MatRef<'_, f64>) -> Result<(), DecodeError> {
        let n = self.mean.nrows();
        if c.nrows() != n || c.ncols() != n {
            return Err(numerical(format!(
                "a {}×{} covariance for a {n}×{n} mean",
                c.nrows(),
                c.ncols()
            )));
        }
        let k = self.count.saturating_add(1);
        let alpha = (1.0 / (k as f64 + 1.0)).max(1.0 / self.memory as f64);
        for j in 0..n {
            for i in 0..n {
                self.next[(i, j)] = self.mean[(i, j)] + alpha * (c[(i, j)] - self.mean[(i, j)]);
            }
        }
        self.eig.compute(self.next.as_ref())?;
        self.eig.apply(
            "alignment mean",
            positive(|x| 1.0 / x.sqrt()),
            self.next_inv_root.as_mut(),
        )?;
        std::mem::swap(&mut self.mean, &mut self.next);
        std::mem::swap(&mut self.inv_root, &mut self.next_inv_root);
        self.count = k;
        Ok(())
    }

    /// The current mean `R`.
    #[must_use]
    pub fn mean(&self) -> MatRef<'_, f64> {
        self.mean.as_ref()
    }

    /// The current `R^{-1/2}`.
    #[must_use]
    pub fn inv_root(&self) -> MatRef<'_, f64> {
        self.inv_root.as_ref()
    }

    /// Covariances taken in since the start (or the last reset).
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Back to the starting mean. No allocation.
    pub fn reset(&mut self) {
        self.mean.copy_from(&self.start);
        self.inv_root.copy_from(&self.start_inv_root);
        self.count = 0;
    }

    /// The running mean a decoder starts from, as `record` stores it for
    /// `channels` channels.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record is not `channels ×
    /// channels`, not finite and symmetric, or not positive definite.
    pub(crate) fn from_record(record: &AlignRecord, channels: usize) -> Result<Self, DecodeError> {
        let rows = &record.start;
        if rows.len() != channels || rows.iter().any(|r| r.len() != channels) {
            return Err(numerical(format!(
                "the stored mean is not {channels}×{channels}"
            )));
        }
        let start = Mat::from_fn(channels, channels, |i, j| rows[i][j]);
        for i in 0..channels {
            for j in 0..i {
                let (a, b) = (start[(i, j)], start[(j, i)]);
                if !(a.is_finite() && (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)) {
                    return Err(numerical(format!(
                        "the stored mean is not finite and symmetric at ({i}, {j})"
                    )));
                }
            }
        }
        Self::new(start, record.memory)
    }
}

/// A matrix as rows.
pub(crate) fn matrix_rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

/// Estimates a window's covariance, updates the running mean with it and
/// writes the whitened window into `out`. No allocation.
struct WindowAligner {
    mean: RunningCovarianceMean,
    whitener: Whitener,
    workspace: CovarianceWorkspace,
    cov: Mat<f64>,
    samples: usize,
}

impl WindowAligner {
    fn new(record: &AlignRecord, channels: usize, samples: usize) -> Result<Self, DecodeError> {
        Ok(Self {
            mean: RunningCovarianceMean::from_record(record, channels)?,
            whitener: Whitener::new(channels, samples),
            workspace: CovarianceWorkspace::new(channels, samples),
            cov: Mat::zeros(channels, channels),
            samples,
        })
    }

    fn align(&mut self, x: &[f32], out: &mut [f32]) -> Result<(), DecodeError> {
        check_finite(x, self.samples)?;
        self.workspace
            .estimate(Estimator::Scm, x, self.cov.as_mut())?;
        self.mean.update(self.cov.as_ref())?;
        self.whitener.whiten(self.mean.inv_root(), x, out);
        Ok(())
    }
}

/// A decoder behind Euclidean alignment: each window whitened by the
/// running mean (updated with it first) into a buffer allocated at
/// construction.
pub(crate) struct Aligned {
    inner: Box<dyn Decoder>,
    aligner: WindowAligner,
    buffer: Vec<f32>,
}

impl Aligned {
    /// # Errors
    /// As [`RunningCovarianceMean::from_record`].
    pub(crate) fn new(inner: Box<dyn Decoder>, record: &AlignRecord) -> Result<Self, DecodeError> {
        let (channels, samples) = inner.input_shape();
        Ok(Self {
            aligner: WindowAligner::new(record, channels, samples)?,
            buffer: vec![0.0; channels * samples],
            inner,
        })
    }
}

impl Decoder for Aligned {
    fn classes(&self) -> &[String] {
        self.inner.classes()
    }

    fn input_shape(&self) -> (usize, usize) {
        self.inner.input_shape()
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        if window.data.len() != self.buffer.len() {
            // Let the inner decoder report the shape error.
            return self.inner.decode(window, probabilities);
        }
        self.aligner.align(window.data, &mut self.buffer)?;
        let aligned = Window {
            data: &self.buffer,
            ..*window
        };
        self.inner.decode(&aligned, probabilities)
    }
}

/// `data` as an aligned decoder sees it: each run of epochs of one
/// recording ([`EpochSet::recording`]) in order, by a running mean fresh
/// from `record`, as a new session would be.
///
/// # Errors
/// As [`RunningCovarianceMean::from_record`] and for a non-finite epoch.
pub(crate) fn align_recordings(
    record: &AlignRecord,
    data: &EpochSet,
) -> Result<EpochSet, DecodeError> {
    let mut aligner = WindowAligner::new(record, data.channels, data.samples)?;
    let mut out = data.clone();
    let len = data.epoch_len();
    for i in 0..data.len() {
        if i > 0 && data.recording[i] != data.recording[i - 1] {
            aligner.mean.reset();
        }
        aligner.align(data.epoch(i), &mut out.data[i * len..(i + 1) * len])?;
    }
    Ok(out)
}
