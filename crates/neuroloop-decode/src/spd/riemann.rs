//! Affine-invariant Riemannian geometry of SPD matrices, as pyriemann
//! defines it: the mean, the distance, and the tangent-space map.
//!
//! * distance: `δ(A, B) = ‖log(B^{-1/2} A B^{-1/2})‖_F = (Σ log² λ_i)^{1/2}`,
//!   `λ` the eigenvalues of `B^{-1/2} A B^{-1/2}`;
//! * mean: the fixed point of `M ← M^{1/2} exp(ν J) M^{1/2}`,
//!   `J = mean_i log(M^{-1/2} C_i M^{-1/2})`, from the arithmetic mean, with
//!   pyriemann's step-size rule, until `‖J‖_F ≤ tol`;
//! * tangent vector of `C` at `M`: the upper triangle, row by row, of
//!   `log(M^{-1/2} C M^{-1/2})`, off-diagonal entries times `√2` (so that the
//!   Euclidean norm of the vector is the Riemannian distance to `M`).

use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};

use super::eigen::{SymEigen, expm, invsqrtm, positive};
use crate::DecodeError;

/// Iteration limits of [`mean_riemann`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanOptions {
    /// Stop when the Frobenius norm of the mean log-map is at most this.
    pub tolerance: f64,
    /// At most this many iterations.
    pub max_iterations: usize,
}

/// pyriemann's tolerance (its `mean_riemann` default, so that a fit takes
/// the same iterates as pyriemann's `TangentSpace` and `MDM` do), with more
/// room in the iteration count (pyriemann stops at 50 with a warning).
impl Default for MeanOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-8,
            max_iterations: 200,
        }
    }
}

/// The affine-invariant Riemannian mean of `matrices`, each weighted by
/// `weights` (equal weights when `None`; weights are normalised).
///
/// # Errors
/// [`DecodeError::Numerical`] for no matrices, a matrix that is not SPD,
/// or no convergence within the iteration limit.
pub fn mean_riemann(
    matrices: &[Mat<f64>],
    weights: Option<&[f64]>,
    options: MeanOptions,
) -> Result<Mat<f64>, DecodeError> {
    let n = matrices
        .first()
        .map(Mat::nrows)
        .ok_or(DecodeError::Numerical {
            what: "riemannian mean",
            message: "no matrices".into(),
        })?;
    let weights = normalised_weights(weights, matrices.len())?;
    let mut mean = Mat::zeros(n, n);
    for (m, w) in matrices.iter().zip(&weights) {
        mean += m * faer::Scale(*w);
    }
    let mut eig = SymEigen::new(n, true);
    let mut whitened = Mat::zeros(n, n);
    let mut log = Mat::zeros(n, n);
    let mut tmp = Mat::zeros(n, n);
    let (mut nu, mut tau) = (1.0_f64, f64::MAX);
    let (mut root, mut inv_root) = (Mat::zeros(n, n), Mat::zeros(n, n));
    let mut j = Mat::<f64>::zeros(n, n);
    for _ in 0..options.max_iterations {
        // Both roots from one decomposition of the current mean.
        eig.compute(mean.as_ref())?;
        eig.apply("matrix square root", positive(f64::sqrt), root.as_mut())?;
        eig.apply(
            "inverse matrix square root",
            positive(|x| 1.0 / x.sqrt()),
            inv_root.as_mut(),
        )?;
        j.fill(0.0);
        for (c, w) in matrices.iter().zip(&weights) {
            congruence(
                inv_root.as_ref(),
                c.as_ref(),
                tmp.as_mut(),
                whitened.as_mut(),
            );
            eig.compute(whitened.as_ref())?;
            eig.apply("riemannian mean", positive(f64::ln), log.as_mut())?;
            faer::zip!(&mut j, &log).for_each(|faer::unzip!(j, l)| *j += *w * *l);
        }
        let crit = j.norm_l2();
        let step = expm((&j * faer::Scale(nu)).as_ref())?;
        congruence(root.as_ref(), step.as_ref(), tmp.as_mut(), mean.as_mut());
        // pyriemann's rule: converged, or the step size itself is below the
        // tolerance (the iterates no longer move at machine precision).
        if crit <= options.tolerance || nu <= options.tolerance {
            symmetrise(mean.as_mut());
            return Ok(mean);
        }
        let h = nu * crit;
        if h < tau {
            nu *= 0.95;
            tau = h;
        } else {
            nu *= 0.5;
        }
    }
    Err(DecodeError::Numerical {
        what: "riemannian mean",
        message: format!(
            "no convergence to {:e} in {} iterations",
            options.tolerance, options.max_iterations
        ),
    })
}

fn normalised_weights(weights: Option<&[f64]>, n: usize) -> Result<Vec<f64>, DecodeError> {
    let w: Vec<f64> = weights.map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
    let total: f64 = w.iter().sum();
    if w.len() != n || w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || total <= 0.0 {
        return Err(DecodeError::Numerical {
            what: "riemannian mean",
            message: format!(
                "{} weights for {n} matrices, or weights not positive",
                w.len()
            ),
        });
    }
    Ok(w.into_iter().map(|x| x / total).collect())
}

/// `(a + aᵀ) / 2` in place: removes the rounding asymmetry of products
/// such as [`congruence`], which a stored record's symmetry check would
/// otherwise refuse where an entry is near zero.
pub fn symmetrise(mut a: MatMut<'_, f64>) {
    for j in 0..a.ncols() {
        for i in j + 1..a.nrows() {
            let v = 0.5 * (a[(i, j)] + a[(j, i)]);
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
    }
}

/// `out = a · b · aᵀ` for symmetric `a`, through `tmp`. No allocation.
pub fn congruence(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    tmp: MatMut<'_, f64>,
    out: MatMut<'_, f64>,
) {
    let mut tmp = tmp;
    matmul(tmp.rb_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    matmul(out, Accum::Replace, tmp.rb(), a.transpose(), 1.0, Par::Seq);
}

/// The Riemannian distance between SPD matrices `a` and `b`.
///
/// # Errors
/// [`DecodeError::Numerical`] if either is not SPD.
pub fn distance_riemann(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<f64, DecodeError> {
    let n = a.nrows();
    let inv_root = invsqrtm(b)?;
    let mut tmp = Mat::zeros(n, n);
    let mut whitened = Mat::zeros(n, n);
    congruence(inv_root.as_ref(), a, tmp.as_mut(), whitened.as_mut());
    let mut eig = SymEigen::new(n, false);
    eig.compute(whitened.as_ref())?;
    log_eigen_norm(eig.values())
}

/// `(Σ log² λ)^{1/2}`: the distance from eigenvalues of the whitened matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] for an eigenvalue that is not positive.
pub fn log_eigen_norm(values: &[f64]) -> Result<f64, DecodeError> {
    let mut sum = 0.0;
    for &v in values {
        if v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(DecodeError::Numerical {
                what: "riemannian distance",
                message: format!("eigenvalue {v:e}: the matrix is not positive definite"),
            });
        }
        sum += v.ln().powi(2);
    }
    Ok(sum.sqrt())
}

/// Length of the tangent vector of an `n × n` matrix: `n (n + 1) / 2`.
#[must_use]
pub fn tangent_len(n: usize) -> usize {
    n * (n + 1) / 2
}

/// The upper triangle of symmetric `a`, row by row, off-diagonal entries
/// times `√2`, into `out` (`tangent_len(n)` values). No allocation.
pub fn upper_weighted(a: MatRef<'_, f64>, out: &mut [f64]) {
    let n = a.nrows();
    let mut k = 0;
    for i in 0..n {
        out[k] = a[(i, i)];
        k += 1;
        for j in i + 1..n {
            out[k] = std::f64::consts::SQRT_2 * a[(i, j)];
            k += 1;
        }
    }
}

/// Tangent vectors of `matrices` at the reference `reference`, allocating
/// (fitting code).
///
/// # Errors
/// [`DecodeError::Numerical`] if a matrix or the reference is not SPD.
pub fn tangent_space(
    matrices: &[Mat<f64>],
    reference: MatRef<'_, f64>,
) -> Result<Vec<Vec<f64>>, DecodeError> {
    let n = reference.nrows();
    let inv_root = invsqrtm(reference)?;
    let mut map = TangentMap::new(inv_root);
    matrices
        .iter()
        .map(|c| {
            let mut v = vec![0.0; tangent_len(n)];
            map.vector(c.as_ref(), &mut v)?;
            Ok(v)
        })
        .collect()
}

/// The tangent map at a fixed reference, with every buffer preallocated.
#[derive(Debug)]
pub struct TangentMap {
    inv_root: Mat<f64>,
    tmp: Mat<f64>,
    whitened: Mat<f64>,
    log: Mat<f64>,
    eig: SymEigen,
}

impl TangentMap {
    /// The map at the reference whose inverse square root is `inv_root`.
    #[must_use]
    pub fn new(inv_root: Mat<f64>) -> Self {
        let n = inv_root.nrows();
        Self {
            inv_root,
            tmp: Mat::zeros(n, n),
            whitened: Mat::zeros(n, n),
            log: Mat::zeros(n, n),
            eig: SymEigen::new(n, true),
        }
    }

    /// The reference's inverse square root.
    #[must_use]
    pub fn inv_root(&self) -> MatRef<'_, f64> {
        self.inv_root.as_ref()
    }

    /// Writes the tangent vector of `c` into `out`. No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `c` is not SPD.
    pub fn vector(&mut self, c: MatRef<'_, f64>, out: &mut [f64]) -> Result<(), DecodeError> {
        congruence(
            self.inv_root.as_ref(),
            c,
            self.tmp.as_mut(),
            self.whitened.as_mut(),
        );
        self.eig.compute(self.whitened.as_ref())?;
        self.eig
            .apply("tangent space", positive(f64::ln), self.log.as_mut())?;
        upper_weighted(self.log.as_ref(), out);
        Ok(())
    }
}
