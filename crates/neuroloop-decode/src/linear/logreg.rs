//! L2-regularised logistic regression fitted to convergence by a
//! truncated Newton method (Newton–CG with a backtracking line search),
//! with scikit-learn's objective:
//!
//! `min  C Σ_i ℓ_i + ½ Σ_k ‖w_k‖²` (intercepts not penalised),
//!
//! `ℓ_i` the log-loss of a sigmoid on one row of weights for two classes,
//! of a softmax over one row per class otherwise (multinomial). The
//! objective is strictly convex in the weights, so the fit is the unique
//! optimum whatever the start; it stops when every gradient entry of the
//! objective divided by `C n` is below the tolerance, or below 1e-7 when
//! the objective no longer decreases in floating point. Hessian–vector
//! products cost `O(n · features · rows)`, so wide tangent-space features
//! (2080 for 64 channels) fit without forming the Hessian.

use super::model::{LinearModel, check_training, sigmoid, softmax_in_place};
use crate::DecodeError;

/// A gradient (per sample) this small is the optimum when the objective
/// no longer decreases in floating point.
const PRECISION_LIMIT: f64 = 1e-7;

/// Options of [`fit_logistic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// Inverse regularisation strength (scikit-learn's `C`).
    pub c: f64,
    /// Stop when the largest gradient entry (per sample) is below this.
    pub tolerance: f64,
    /// At most this many Newton steps.
    pub max_newton_steps: usize,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            tolerance: 1e-10,
            max_newton_steps: 100,
        }
    }
}

/// The training data and the probabilities at the current weights.
struct Problem<'a> {
    x: &'a [f64],
    labels: &'a [usize],
    n: usize,
    d: usize,
    rows: usize,
    /// `1 / (C n)`: the penalty weight of the per-sample objective.
    penalty: f64,
    /// `[n, rows]` probabilities (class 1 for two classes).
    p: Vec<f64>,
}

/// Fits the classifier on `features` (`[n, d]` row-major) with `labels`
/// in `0..classes`.
///
/// # Errors
/// [`DecodeError::Numerical`] for inconsistent sizes, non-finite features,
/// a `c` that is not positive, or no convergence.
pub fn fit_logistic(
    features: &[f64],
    labels: &[usize],
    classes: usize,
    options: &LogisticOptions,
) -> Result<LinearModel, DecodeError> {
    let d = check_training("logistic regression", features, labels, classes)?;
    let n = labels.len();
    let bad = |message: String| DecodeError::Numerical {
        what: "logistic regression",
        message,
    };
    if !(options.c.is_finite() && options.c > 0.0) {
        return Err(bad(format!("C = {} is not positive", options.c)));
    }
    let rows = LinearModel::rows_for(classes);
    let mut pb = Problem {
        x: features,
        labels,
        n,
        d,
        rows,
        penalty: 1.0 / (options.c * n as f64),
        p: vec![0.0; n * rows],
    };
    let mut theta = vec![0.0; rows * (d + 1)];
    let mut loss = pb.update(&theta);
    for _ in 0..options.max_newton_steps {
        let g = pb.gradient(&theta);
        let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if gmax <= options.tolerance {
            return Ok(pb.model(&theta, classes));
        }
        let step = pb.newton_direction(&g, gmax);
        let slope: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
        let (mut alpha, mut accepted) = (1.0, false);
        let mut trial = vec![0.0; theta.len()];
        let before = loss;
        for _ in 0..60 {
            for ((t, th), s) in trial.iter_mut().zip(&theta).zip(&step) {
                *t = th + alpha * s;
            }
            let l = pb.update(&trial);
            if l <= loss + 1e-4 * alpha * slope {
                loss = l;
                accepted = true;
                break;
            }
            alpha *= 0.5;
        }
        // At machine precision the objective stops decreasing before the
        // gradient reaches the tolerance: with a gradient already below
        // `PRECISION_LIMIT`, that is the optimum.
        let stalled = !accepted || before - loss <= 4.0 * f64::EPSILON * before.abs();
        if stalled && gmax <= PRECISION_LIMIT {
            if accepted {
                std::mem::swap(&mut theta, &mut trial);
            }
            pb.update(&theta);
            return Ok(pb.model(&theta, classes));
        }
        if !accepted {
            return Err(bad(format!(
                "the line search found no decrease with a gradient of {gmax:e}"
            )));
        }
        std::mem::swap(&mut theta, &mut trial);
    }
    Err(bad(format!(
        "no convergence in {} Newton steps",
        options.max_newton_steps
    )))
}

impl Problem<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Scores `W x_i + b` of sample `i` into `z`.
    fn scores(&self, theta: &[f64], i: usize, z: &mut [f64]) {
        let (d, xi) = (self.d, self.row(i));
        for (k, zk) in z.iter_mut().enumerate() {
            let w = &theta[k * (d + 1)..(k + 1) * (d + 1)];
            *zk = w[..d].iter().zip(xi).map(|(a, b)| a * b).sum::<f64>() + w[d];
        }
    }

    /// Recomputes the probabilities at `theta`; returns the objective per
    /// sample.
    fn update(&mut self, theta: &[f64]) -> f64 {
        let (rows, d) = (self.rows, self.d);
        let mut z = vec![0.0; rows];
        let mut loss = 0.0;
        for i in 0..self.n {
            self.scores(theta, i, &mut z);
            let y = self.labels[i];
            if rows == 1 {
                let s = if y == 1 { z[0] } else { -z[0] };
                // log(1 + e^{−s}), stable.
                loss += if s > 0.0 {
                    (-s).exp().ln_1p()
                } else {
                    -s + s.exp().ln_1p()
                };
                self.p[i] = sigmoid(z[0]);
            } else {
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                loss += lse - z[y];
                softmax_in_place(&mut z);
                self.p[i * rows..(i + 1) * rows].copy_from_slice(&z);
            }
        }
        let mut norm2 = 0.0;
        for k in 0..rows {
            norm2 += theta[k * (d + 1)..k * (d + 1) + d]
                .iter()
                .map(|w| w * w)
                .sum::<f64>();
        }
        loss / self.n as f64 + 0.5 * self.penalty * norm2
    }

    /// The gradient of the per-sample objective at the last `update`.
    fn gradient(&self, theta: &[f64]) -> Vec<f64> {
        let (rows, d) = (self.rows, self.d);
        let mut g = vec![0.0; theta.len()];
        for i in 0..self.n {
            let xi = self.row(i);
            for k in 0..rows {
                let target = if rows == 1 {
                    f64::from(u8::from(self.labels[i] == 1))
                } else {
                    f64::from(u8::from(self.labels[i] == k))
                };
                let r = (self.p[i * rows + k] - target) / self.n as f64;
                let gk = &mut g[k * (d + 1)..(k + 1) * (d + 1)];
                for (gj, xj) in gk[..d].iter_mut().zip(xi) {
                    *gj += r * xj;
                }
                gk[d] += r;
            }
        }
        for k in 0..rows {
            for j in 0..d {
                g[k * (d + 1) + j] += self.penalty * theta[k * (d + 1) + j];
            }
        }
        g
    }

    /// The Hessian (at the last `update`) times `v`.
    fn hessian_times(&self, v: &[f64], out: &mut [f64]) {
        let (rows, d) = (self.rows, self.d);
        out.iter_mut().for_each(|o| *o = 0.0);
        let mut u = vec![0.0; rows];
        for i in 0..self.n {
            self.scores(v, i, &mut u);
            let p = &self.p[i * rows..(i + 1) * rows];
            if rows == 1 {
                u[0] *= p[0] * (1.0 - p[0]);
            } else {
                let mean: f64 = p.iter().zip(&u).map(|(a, b)| a * b).sum();
                for (uk, pk) in u.iter_mut().zip(p) {
                    *uk = pk * (*uk - mean);
                }
            }
            let xi = self.row(i);
            for (k, uk) in u.iter().enumerate() {
                let r = uk / self.n as f64;
                let ok = &mut out[k * (d + 1)..(k + 1) * (d + 1)];
                for (o, xj) in ok[..d].iter_mut().zip(xi) {
                    *o += r * xj;
                }
                ok[d] += r;
            }
        }
        for k in 0..rows {
            for j in 0..d {
                out[k * (d + 1) + j] += self.penalty * v[k * (d + 1) + j];
            }
        }
    }

    /// Approximately solves `H s = −g` by conjugate gradients.
    fn newton_direction(&self, g: &[f64], gmax: f64) -> Vec<f64> {
        let m = g.len();
        let mut s = vec![0.0; m];
        let mut r: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut p = r.clone();
        let mut hp = vec![0.0; m];
        let mut rr: f64 = r.iter().map(|v| v * v).sum();
        let target = (gmax.sqrt().min(0.5) * rr.sqrt()).max(1e-3 * f64::EPSILON);
        for _ in 0..(10 * m).max(50) {
            if rr.sqrt() <= target {
                break;
            }
            self.hessian_times(&p, &mut hp);
            let php: f64 = p.iter().zip(&hp).map(|(a, b)| a * b).sum();
            if php <= 0.0 {
                break;
            }
            let alpha = rr / php;
            for j in 0..m {
                s[j] += alpha * p[j];
                r[j] -= alpha * hp[j];
            }
            let rr_new: f64 = r.iter().map(|v| v * v).sum();
            let beta = rr_new / rr;
            rr = rr_new;
            for j in 0..m {
                p[j] = r[j] + beta * p[j];
            }
        }
        if s.iter().all(|v| *v == 0.0) { r } else { s }
    }

    fn model(&self, theta: &[f64], classes: usize) -> LinearModel {
        let d = self.d;
        let mut coef = Vec::with_capacity(self.rows * d);
        let mut intercept = Vec::with_capacity(self.rows);
        for k in 0..self.rows {
            coef.extend_from_slice(&theta[k * (d + 1)..k * (d + 1) + d]);
            intercept.push(theta[k * (d + 1) + d]);
        }
        LinearModel {
            classes,
            features: d,
            coef,
            intercept,
        }
    }
}
