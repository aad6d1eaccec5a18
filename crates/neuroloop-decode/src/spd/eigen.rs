//! [`SymEigen`]: the symmetric eigendecomposition with every buffer
//! allocated once, so that it runs on the pipeline thread without touching
//! the heap; and matrix functions `U f(Λ) Uᵀ` built on it.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::DecodeError;

/// Workspace for the eigendecomposition of `n × n` symmetric matrices.
///
/// Only the lower triangle of the input is read. Eigenvalues come in
/// non-decreasing order; eigenvector `j` is column `j` of
/// [`vectors`](Self::vectors).
pub struct SymEigen {
    values: Diag<f64>,
    vectors: Mat<f64>,
    /// `U f(Λ)`, the left factor of a matrix function.
    scaled: Mat<f64>,
    buffer: MemBuffer,
    with_vectors: bool,
}

impl std::fmt::Debug for SymEigen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SymEigen")
            .field("dim", &self.dim())
            .field("with_vectors", &self.with_vectors)
            .finish_non_exhaustive()
    }
}

impl SymEigen {
    /// A workspace for `n × n` matrices; `with_vectors = false` computes
    /// eigenvalues only (cheaper), and [`apply`](Self::apply) is then
    /// unavailable.
    #[must_use]
    pub fn new(n: usize, with_vectors: bool) -> Self {
        let compute = if with_vectors {
            ComputeEigenvectors::Yes
        } else {
            ComputeEigenvectors::No
        };
        let req = evd::self_adjoint_evd_scratch::<f64>(n, compute, Par::Seq, faer::Spec::default());
        let side = if with_vectors { n } else { 0 };
        Self {
            values: Diag::zeros(n),
            vectors: Mat::zeros(side, side),
            scaled: Mat::zeros(side, side),
            buffer: MemBuffer::new(req),
            with_vectors,
        }
    }

    /// The matrix size this workspace was made for.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.values.dim()
    }

    /// Decomposes the symmetric matrix `a`. No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `a` is not `dim × dim`, holds a
    /// non-finite value, or the eigensolver does not converge.
    pub fn compute(&mut self, a: MatRef<'_, f64>) -> Result<(), DecodeError> {
        let n = self.dim();
        if a.nrows() != n || a.ncols() != n {
            return Err(numerical(format!(
                "a {}×{} matrix given to a {n}×{n} eigensolver",
                a.nrows(),
                a.ncols()
            )));
        }
        for j in 0..n {
            for i in j..n {
                if !a[(i, j)].is_finite() {
                    return Err(numerical(format!("non-finite entry at ({i}, {j})")));
                }
            }
        }
        let stack = MemStack::new(&mut self.buffer);
        let u = self.with_vectors.then(|| self.vectors.as_mut());
        evd::self_adjoint_evd(
            a,
            self.values.as_mut(),
            u,
            Par::Seq,
            stack,
            faer::Spec::default(),
        )
        .map_err(|e| numerical(format!("the eigensolver failed: {e:?}")))
    }

    /// The eigenvalues of the last [`compute`](Self::compute), ascending.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        let col = self.values.column_vector();
        col.try_as_col_major()
            .map(faer::col::generic::Col::as_slice)
            .unwrap_or_default()
    }

    /// The eigenvectors of the last [`compute`](Self::compute), as columns.
    #[must_use]
    pub fn vectors(&self) -> MatRef<'_, f64> {
        self.vectors.as_ref()
    }

    /// Writes `U diag(f(λ)) Uᵀ` into `out`. No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the workspace computes no
    /// eigenvectors, `out` is not `dim × dim`, or `f` gives a non-finite
    /// value (the logarithm or inverse square root of a non-positive
    /// eigenvalue, say), naming `what`.
    pub fn apply(
        &mut self,
        what: &'static str,
        f: impl Fn(f64) -> f64,
        out: MatMut<'_, f64>,
    ) -> Result<(), DecodeError> {
        let n = self.dim();
        if !self.with_vectors || out.nrows() != n || out.ncols() != n {
            return Err(numerical(format!(
                "{what}: no eigenvectors, or an output that is not {n}×{n}"
            )));
        }
        for j in 0..n {
            let lambda = self.values.column_vector()[j];
            let fj = f(lambda);
            if !fj.is_finite() {
                return Err(DecodeError::Numerical {
                    what,
                    message: format!(
                        "eigenvalue {lambda:e} is outside the function's domain \
                         (the matrix is not positive definite)"
                    ),
                });
            }
            for i in 0..n {
                self.scaled[(i, j)] = self.vectors[(i, j)] * fj;
            }
        }
        matmul(
            out,
            Accum::Replace,
            self.scaled.as_ref(),
            self.vectors.transpose(),
            1.0,
            Par::Seq,
        );
        Ok(())
    }
}

pub(crate) fn numerical(message: String) -> DecodeError {
    DecodeError::Numerical {
        what: "eigendecomposition",
        message,
    }
}

/// `f(a)` for a symmetric matrix, allocating (fitting code).
///
/// # Errors
/// As [`SymEigen::compute`] and [`SymEigen::apply`].
pub fn matrix_function(
    what: &'static str,
    a: MatRef<'_, f64>,
    f: impl Fn(f64) -> f64,
) -> Result<Mat<f64>, DecodeError> {
    let mut eig = SymEigen::new(a.nrows(), true);
    eig.compute(a)?;
    let mut out = Mat::zeros(a.nrows(), a.nrows());
    eig.apply(what, f, out.as_mut())?;
    Ok(out)
}

/// The principal square root of an SPD matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] if `a` is not positive definite.
pub fn sqrtm(a: MatRef<'_, f64>) -> Result<Mat<f64>, DecodeError> {
    matrix_function("matrix square root", a, positive(f64::sqrt))
}

/// The inverse principal square root of an SPD matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] if `a` is not positive definite.
pub fn invsqrtm(a: MatRef<'_, f64>) -> Result<Mat<f64>, DecodeError> {
    matrix_function(
        "inverse matrix square root",
        a,
        positive(|x| 1.0 / x.sqrt()),
    )
}

/// The principal logarithm of an SPD matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] if `a` is not positive definite.
pub fn logm(a: MatRef<'_, f64>) -> Result<Mat<f64>, DecodeError> {
    matrix_function("matrix logarithm", a, positive(f64::ln))
}

/// The exponential of a symmetric matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] if `a` holds a non-finite value or the
/// exponential overflows.
pub fn expm(a: MatRef<'_, f64>) -> Result<Mat<f64>, DecodeError> {
    matrix_function("matrix exponential", a, f64::exp)
}

/// `f` on positive values, NaN elsewhere (so that [`SymEigen::apply`]
/// reports a matrix that is not positive definite).
pub fn positive(f: impl Fn(f64) -> f64) -> impl Fn(f64) -> f64 {
    move |x| if x > 0.0 { f(x) } else { f64::NAN }
}
