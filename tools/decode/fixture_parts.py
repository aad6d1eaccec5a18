"""Parts of make_cov_fixtures.py: the array helpers (exact float lists,
rounded inputs, sign normalisation, mixed random signals) and the
linear-model fixtures: L2 logistic regression (binary and multinomial,
refined by Newton steps to the exact optimum) and shrinkage LDA
(scikit-learn's lsqr solver with Ledoit-Wolf shrinkage), on overlapping
Gaussian classes.

logreg.json
-----------
``LogisticRegression(C, tol=1e-12, max_iter=100000, solver="lbfgs")``,
fit_intercept=True, L2 penalty; sklearn 1.9 has no ``multi_class`` parameter:
2 classes -> one binomial model, 3+ classes -> multinomial (softmax) over all
K classes (K coefficient rows, no reference class). Objective minimised
(intercept not penalised):
      binary:      C * sum_i log(1 + exp(-s_i (w.x_i + b))) + ||w||^2 / 2,
                   s_i = +1 for label 1, -1 for label 0 (= classes_[1])
      multinomial: C * sum_i [logsumexp_k(z_ik) - z_i,y_i] + ||W||_F^2 / 2,
                   z_ik = W_k.x_i + b_k
(sklearn scales it by 1/(C n), same optimum). Despite tol=1e-12, lbfgs stops
on its ftol (64 eps, relative decrease of the objective) before gtol: the
stored sklearn "coef" are ~1e-8 (binary) and ~4e-7 (multinomial) relative
from the exact optimum. "coef_exact"/"intercept_exact"/"proba_exact" are that
optimum, polished by Newton steps (gradient ~1e-15; multinomial intercepts
centred to sum 0): compare a converged Rust solver with these at ~1e-9, and
with sklearn's "coef"/"proba" at ~1e-6. proba: binary [1 - p, p] with
p = expit(w.x + b); multinomial softmax(z). In the multinomial model the
coefficient rows sum to zero at the optimum (penalty) but the intercepts are
only defined up to a common constant (they are not penalised): lbfgs starts
at 0 and every gradient has zero sum over classes, so sklearn's intercepts
sum to ~0 ("intercept_sum" records it). Compare intercepts after
subtracting their mean, or compare proba.

lda.json
--------
``LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")``:
* priors_k = n_k / n (class counts), means_k = class means.
* Per class: Z = (X_k - means_k) / sd_k with sd_k the population (ddof=0)
  standard deviation per feature (StandardScaler; sd 0 -> 1);
  R_k = ledoit_wolf(Z) (the Ledoit-Wolf formula of make_cov_fixtures.py; mu = 1 up to rounding since Z is
  standardised); S_k = diag(sd_k) R_k diag(sd_k). "class_shrinkage" is the
  LW coefficient of each class. Since Z has unit (population) variances,
  mu = 1 and the target maps back to diag(sd_k^2): equivalently
  S_k = (1 - s_k) E_k + s_k diag(E_k), E_k the centred class covariance
  (divisor n_k), s_k the LW coefficient of the standardised data; i.e.
  shrinkage towards the diagonal, not towards mu * I.
* covariance_ = sum_k priors_k S_k ("covariance").
* coef_k = lstsq(covariance_, means_k) (= Sigma^-1 mu_k);
  intercept_k = -0.5 mu_k . coef_k + log(priors_k).

Imported by make_cov_fixtures.py, which documents every fixture field.
"""

import warnings

import numpy as np
import sklearn.covariance
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def tolist(a):
    """Nested lists of Python floats/ints (exact float64 values)."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.astype(int).tolist()
    return a.astype(np.float64).tolist()


def rounded(a):
    """Generated inputs: rounded to 6 decimals, so the file holds them exactly."""
    return np.round(np.asarray(a, dtype=np.float64), 6)


def sign_normalise(vecs):
    """Flip each column so that its entry of largest magnitude is positive."""
    vecs = np.array(vecs, dtype=np.float64)
    for j in range(vecs.shape[1]):
        i = int(np.argmax(np.abs(vecs[:, j])))
        if vecs[i, j] < 0:
            vecs[:, j] = -vecs[:, j]
    return vecs


def mixed_signals(rng, n, c, t, scale=1.0, offsets=True):
    """Random signals, channels mixed by a random matrix, per-channel offset."""
    out = np.empty((n, c, t))
    mix = rng.normal(size=(c, c)) + np.eye(c) * 1.5
    for i in range(n):
        x = mix @ rng.normal(size=(c, t)) * scale
        if offsets:
            x += rng.normal(0.0, 3.0, size=(c, 1))
        out[i] = x
    return rounded(out)


def overlapping_classes(rng, counts, d, shift):
    """Gaussian classes whose centres lie ``shift`` from the origin, plus a
    few swapped samples, so that no hyperplane separates them."""
    k = len(counts)
    centres = rng.normal(size=(k, d))
    centres *= shift / np.linalg.norm(centres, axis=1, keepdims=True)
    mix = rng.normal(size=(d, d)) * 0.3 + np.eye(d)
    labels = np.concatenate([np.full(cnt, i) for i, cnt in enumerate(counts)])
    labels = labels[rng.permutation(len(labels))]
    draw = labels.copy()
    swap = rng.choice(len(labels), size=max(2, len(labels) // 10), replace=False)
    draw[swap] = (draw[swap] + 1) % k  # drawn from another class's centre
    feats = centres[draw] + rng.normal(size=(len(labels), d)) @ mix.T
    return rounded(feats), labels


def newton_logreg(feats, labels, c, coef, intercept, steps=8):
    """Polishes the lbfgs optimum by Newton steps on
    C * sum(loss) + ||W||^2 / 2 (the exact optimum, gradient ~1e-15).
    Multinomial: the Hessian is singular along "add a constant to every
    intercept"; lstsq takes the minimum-norm step and the intercepts are
    centred afterwards (as sklearn's are, up to rounding)."""
    n, d = feats.shape
    xa = np.hstack([feats, np.ones((n, 1))])
    w = np.concatenate([coef, intercept[:, None]], axis=1)
    k = w.shape[0]
    for _ in range(steps):
        if k == 1:
            p = 1.0 / (1.0 + np.exp(-(xa @ w[0])))
            g = c * xa.T @ (p - labels)
            h = c * (xa.T * (p * (1 - p))) @ xa
            g[:d] += w[0, :d]
            h[:d, :d] += np.eye(d)
        else:
            z = xa @ w.T
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g = (c * (p - np.eye(k)[labels]).T @ xa)
            g[:, :d] += w[:, :d]
            g = g.ravel()
            h = np.zeros((k * (d + 1), k * (d + 1)))
            for i in range(n):
                s = np.diag(p[i]) - np.outer(p[i], p[i])
                h += c * np.kron(s, np.outer(xa[i], xa[i]))
            for j in range(k):
                sl = slice(j * (d + 1), j * (d + 1) + d)
                h[sl, sl] += np.eye(d)
        step = np.linalg.lstsq(h, g, rcond=1e-13)[0]
        w = w - step.reshape(w.shape)
    if k > 1:
        w[:, d] -= w[:, d].mean()
    return w[:, :d], w[:, d]


def linear_proba(feats, coef, intercept):
    """sklearn's proba for a fitted linear model (expit / softmax)."""
    z = feats @ np.asarray(coef).T + intercept
    if z.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.stack([1 - p1, p1], axis=1)
    z = z - z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def logreg_case(feats, labels, c):
    lr = LogisticRegression(C=c, tol=1e-12, max_iter=100000, solver="lbfgs")
    lr.fit(feats, labels)
    coef_x, icpt_x = newton_logreg(feats, labels, c, lr.coef_, lr.intercept_)
    proba_x = linear_proba(feats, coef_x, icpt_x)
    return {
        "features": tolist(feats),
        "labels": tolist(labels),
        "C": c,
        "coef": tolist(lr.coef_),
        "intercept": tolist(lr.intercept_),
        "decision": tolist(lr.decision_function(feats)),
        "proba": tolist(lr.predict_proba(feats)),
        "n_iter": int(np.max(lr.n_iter_)),
        "coef_exact": tolist(coef_x),
        "intercept_exact": tolist(icpt_x),
        "proba_exact": tolist(proba_x),
    }


def make_logreg(rng):
    fb, lb = overlapping_classes(rng, [20, 20], 6, 1.0)
    fm, lm = overlapping_classes(rng, [20, 20, 20], 6, 1.0)
    binary = logreg_case(fb, lb, 1.0)
    multi = logreg_case(fm, lm, 0.5)
    multi["intercept_sum"] = float(np.sum(multi["intercept"]))
    # The fits must not be separable: training accuracy below 1.
    for case in (binary, multi):
        pred = np.argmax(np.array(case["proba"]), axis=1)
        assert np.mean(pred == np.array(case["labels"])) < 1.0
    return {"binary": binary, "multiclass": multi}


def lda_case(feats, labels):
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    lda.fit(feats, labels)
    shrink = []
    for k in np.unique(labels):
        z = StandardScaler().fit_transform(feats[labels == k])
        shrink.append(float(sklearn.covariance.ledoit_wolf(z)[1]))
    return {
        "features": tolist(feats),
        "labels": tolist(labels),
        "priors": tolist(lda.priors_),
        "means": tolist(lda.means_),
        "class_shrinkage": shrink,
        "covariance": tolist(lda.covariance_),
        "coef": tolist(lda.coef_),
        "intercept": tolist(lda.intercept_),
        "decision": tolist(lda.decision_function(feats)),
        "proba": tolist(lda.predict_proba(feats)),
    }


def make_lda(rng):
    fb, lb = overlapping_classes(rng, [24, 16], 5, 1.0)
    fm, lm = overlapping_classes(rng, [25, 20, 15], 5, 1.0)
    out = lda_case(fb, lb)
    out["multiclass"] = lda_case(fm, lm)
    return out
