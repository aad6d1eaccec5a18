//! [`OnlineMean`]: a Riemannian mean of SPD matrices kept up to date one
//! matrix at a time, without allocation (usable on the pipeline thread).
//!
//! The `k`-th matrix `C` (`k = 1, 2, …`) moves the reference `R` along the
//! geodesic towards `C`:
//!
//! ```text
//! R ← R^{1/2} (R^{-1/2} C R^{-1/2})^α R^{1/2},   α = max(1/(k + 1), 1/N)
//! ```
//!
//! The starting reference counts as one matrix. While `k < N` this is the
//! inductive (recursive) Karcher mean of the start and the matrices seen,
//! which tends to their Riemannian mean as `k` grows; from then on the step
//! stays at `1/N`, an exponentially weighted mean over about the last `N`
//! matrices, so that the reference follows a drifting recording.

use faer::{Mat, MatMut, MatRef};

use super::eigen::{SymEigen, positive};
use super::riemann::congruence;
use crate::DecodeError;

/// Bounds of the memory `N` (matrices).
pub const ONLINE_MEMORY_RANGE: std::ops::RangeInclusive<usize> = 2..=1_000_000;

/// A running Riemannian mean; see the module documentation.
#[derive(Debug)]
pub struct OnlineMean {
    start: Mat<f64>,
    reference: Mat<f64>,
    root: Mat<f64>,
    inv_root: Mat<f64>,
    start_root: Mat<f64>,
    start_inv_root: Mat<f64>,
    count: u64,
    memory: usize,
    tmp: Mat<f64>,
    whitened: Mat<f64>,
    next: Mat<f64>,
    eig: SymEigen,
}

impl OnlineMean {
    /// A running mean that starts at `start` and remembers about `memory`
    /// matrices.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `start` is not SPD or `memory` is
    /// outside [`ONLINE_MEMORY_RANGE`].
    pub fn new(start: Mat<f64>, memory: usize) -> Result<Self, DecodeError> {
        if !ONLINE_MEMORY_RANGE.contains(&memory) {
            return Err(DecodeError::Numerical {
                what: "online mean",
                message: format!("memory {memory} is outside {ONLINE_MEMORY_RANGE:?}"),
            });
        }
        let n = start.nrows();
        let mut eig = SymEigen::new(n, true);
        let (mut root, mut inv_root) = (Mat::zeros(n, n), Mat::zeros(n, n));
        eig.compute(start.as_ref())?;
        eig.apply("online mean start", positive(f64::sqrt), root.as_mut())?;
        eig.apply(
            "online mean start",
            positive(|x| 1.0 / x.sqrt()),
            inv_root.as_mut(),
        )?;
        Ok(Self {
            reference: start.clone(),
            start,
            start_root: root.clone(),
            start_inv_root: inv_root.clone(),
            root,
            inv_root,
            count: 0,
            memory,
            tmp: Mat::zeros(n, n),
            whitened: Mat::zeros(n, n),
            next: Mat::zeros(n, n),
            eig,
        })
    }

    /// Moves the reference towards `c`. No allocation. On an error the
    /// reference is unchanged.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `c` is not SPD (or not `n × n`).
    pub fn update(&mut self, c: MatRef<'_, f64>) -> Result<(), DecodeError> {
        let k = self.count.saturating_add(1);
        let alpha = (1.0 / (k as f64 + 1.0)).max(1.0 / self.memory as f64);
        congruence(
            self.inv_root.as_ref(),
            c,
            self.tmp.as_mut(),
            self.whitened.as_mut(),
        );
        self.eig.compute(self.whitened.as_ref())?;
        self.eig.apply(
            "online mean step",
            positive(|x| x.powf(alpha)),
            self.whitened.as_mut(),
        )?;
        congruence(
            self.root.as_ref(),
            self.whitened.as_ref(),
            self.tmp.as_mut(),
            self.next.as_mut(),
        );
        self.eig.compute(self.next.as_ref())?;
        // The square root first: if it fails, nothing has changed.
        self.eig
            .apply("online mean", positive(f64::sqrt), self.tmp.as_mut())?;
        self.eig.apply(
            "online mean",
            positive(|x| 1.0 / x.sqrt()),
            self.inv_root.as_mut(),
        )?;
        std::mem::swap(&mut self.root, &mut self.tmp);
        std::mem::swap(&mut self.reference, &mut self.next);
        self.count = k;
        Ok(())
    }

    /// `out = R^{-1/2} c R^{-1/2}`: `c` whitened by the current reference.
    /// No allocation.
    pub fn whiten(&mut self, c: MatRef<'_, f64>, out: MatMut<'_, f64>) {
        congruence(self.inv_root.as_ref(), c, self.tmp.as_mut(), out);
    }

    /// The current reference `R`.
    #[must_use]
    pub fn reference(&self) -> MatRef<'_, f64> {
        self.reference.as_ref()
    }

    /// Matrices taken in since the start (or the last reset).
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Back to the starting reference. No allocation.
    pub fn reset(&mut self) {
        self.reference.copy_from(&self.start);
        self.root.copy_from(&self.start_root);
        self.inv_root.copy_from(&self.start_inv_root);
        self.count = 0;
    }
}
