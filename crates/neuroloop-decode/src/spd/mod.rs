//! Symmetric positive definite (SPD) matrix tools on faer, in f64: what the
//! covariance decoders are built from, each checked against scipy or
//! pyriemann on fixtures (`tests/spd_reference.rs`).
//!
//! * `eigen`: [`SymEigen`], the symmetric eigendecomposition with its
//!   buffers allocated once (usable on the pipeline thread), and matrix
//!   functions ([`sqrtm`], [`invsqrtm`], [`logm`], [`expm`]).
//! * `estimate`: covariance estimators ([`Estimator`]: `scm`, `lwf`, `oas`)
//!   into a preallocated [`CovarianceWorkspace`].
//! * `geneig`: the generalized eigenproblem `A x = λ B x`
//!   ([`generalized_eigh`]), as scipy's `eigh(A, B)`.
//! * `riemann`: the affine-invariant mean ([`mean_riemann`]), distance
//!   ([`distance_riemann`]) and tangent space ([`TangentMap`]).
//! * `online`: [`OnlineMean`], the Riemannian mean updated one matrix at a
//!   time (re-centring on the pipeline thread).

mod eigen;
mod estimate;
mod geneig;
mod online;
mod riemann;

pub use eigen::{SymEigen, expm, invsqrtm, logm, matrix_function, positive, sqrtm};
pub use estimate::{CovarianceWorkspace, Estimator, covariances};
pub use geneig::{GeneralizedEigen, generalized_eigh, normalise_signs};
pub use online::{ONLINE_MEMORY_RANGE, OnlineMean};
pub use riemann::{
    MeanOptions, TangentMap, congruence, distance_riemann, log_eigen_norm, mean_riemann,
    symmetrise, tangent_len, tangent_space, upper_weighted,
};
