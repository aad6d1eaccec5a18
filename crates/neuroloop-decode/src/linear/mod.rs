//! Convex linear classifiers on feature vectors, fitted to convergence on
//! all the data they are given (no validation split, no early stopping),
//! each checked against scikit-learn on fixtures
//! (`tests/linear_reference.rs`).
//!
//! * `model`: [`LinearModel`], weights and offsets → probabilities.
//! * `logreg`: [`fit_logistic`], L2 logistic regression (Newton–CG).
//! * `lda`: [`fit_lda`], Ledoit–Wolf shrinkage LDA.

mod lda;
mod logreg;
mod model;

pub use lda::fit_lda;
pub use logreg::{LogisticOptions, fit_logistic};
pub use model::LinearModel;
pub(crate) use model::softmax_in_place;
