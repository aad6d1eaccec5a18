//! The symmetric-definite generalized eigenproblem `A x = λ B x`, as
//! scipy's `eigh(A, B)` solves it: `B = L Lᵀ` (Cholesky), the eigenvectors
//! `Y` of `L⁻¹ A L⁻ᵀ`, then `X = L⁻ᵀ Y`; eigenvalues ascending and
//! eigenvectors `B`-orthonormal (`Xᵀ B X = I`).

use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::{Mat, MatRef, Par, Side};

use super::eigen::SymEigen;
use crate::DecodeError;

/// Eigenvalues (ascending) and eigenvectors (columns) of `A x = λ B x`.
#[derive(Debug, Clone)]
pub struct GeneralizedEigen {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// Eigenvector `j` is column `j`; `Xᵀ B X = I`.
    pub vectors: Mat<f64>,
}

/// Solves `A x = λ B x` for symmetric `a` and symmetric positive definite
/// `b`.
///
/// # Errors
/// [`DecodeError::Numerical`] if the sizes differ, `b` is not positive
/// definite, or the eigensolver fails.
pub fn generalized_eigh(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
) -> Result<GeneralizedEigen, DecodeError> {
    let n = a.nrows();
    if a.ncols() != n || b.nrows() != n || b.ncols() != n {
        return Err(DecodeError::Numerical {
            what: "generalized eigenproblem",
            message: format!(
                "A is {}×{}, B is {}×{}",
                a.nrows(),
                a.ncols(),
                b.nrows(),
                b.ncols()
            ),
        });
    }
    let llt = b.llt(Side::Lower).map_err(|e| DecodeError::Numerical {
        what: "generalized eigenproblem",
        message: format!("B is not positive definite ({e:?})"),
    })?;
    let l = llt.L();
    // L⁻¹ A, then L⁻¹ (L⁻¹ A)ᵀ = L⁻¹ A L⁻ᵀ (A symmetric).
    let mut left = a.to_owned();
    solve_lower_triangular_in_place(l, left.as_mut(), Par::Seq);
    let mut reduced = left.transpose().to_owned();
    solve_lower_triangular_in_place(l, reduced.as_mut(), Par::Seq);
    // Symmetrise away rounding before the symmetric solver.
    let reduced = Mat::from_fn(n, n, |i, j| 0.5 * (reduced[(i, j)] + reduced[(j, i)]));
    let mut eig = SymEigen::new(n, true);
    eig.compute(reduced.as_ref())?;
    let mut vectors = eig.vectors().to_owned();
    solve_upper_triangular_in_place(l.transpose(), vectors.as_mut(), Par::Seq);
    Ok(GeneralizedEigen {
        values: eig.values().to_vec(),
        vectors,
    })
}

/// Flips each column of `vectors` so that its entry of largest magnitude
/// is positive (eigenvectors are defined up to sign).
pub fn normalise_signs(vectors: &mut Mat<f64>) {
    for j in 0..vectors.ncols() {
        let mut best = 0.0_f64;
        for i in 0..vectors.nrows() {
            if vectors[(i, j)].abs() > best.abs() {
                best = vectors[(i, j)];
            }
        }
        if best < 0.0 {
            for i in 0..vectors.nrows() {
                vectors[(i, j)] = -vectors[(i, j)];
            }
        }
    }
}
