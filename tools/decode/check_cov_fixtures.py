"""Checks the covariance fixtures against the formulas written in
make_cov_fixtures.py, re-implemented here with plain numpy/scipy (no sklearn,
pyriemann or mne), i.e. what the Rust side has to compute.

Run from the repository root, with the venv of requirements-reference.txt
(only numpy and scipy are used):

    <venv>/bin/python tools/decode/check_cov_fixtures.py

Prints the largest relative deviation per quantity and exits non-zero if one
exceeds its tolerance.
"""

import json
import pathlib
import sys

import numpy as np
import scipy.linalg
import scipy.special

DIR = pathlib.Path(__file__).resolve().parents[2] / (
    "crates/neuroloop-decode/tests/fixtures/cov"
)
FAILED = []


def load(name):
    with open(DIR / name) as f:
        return json.load(f)


def check(label, got, want, tol=1e-9):
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (label, got.shape, want.shape)
    scale = max(np.max(np.abs(want)), 1e-300)
    err = float(np.max(np.abs(got - want)) / scale)
    ok = err <= tol
    print(f"{'ok ' if ok else 'BAD'} {label:40s} max rel dev {err:.2e}")
    if not ok:
        FAILED.append(label)


# ---- estimators (x: C x T) ------------------------------------------------

def scm(x):
    xc = x - x.mean(axis=1, keepdims=True)
    return xc @ xc.T / x.shape[1]


def lw_shrinkage(xc):
    """sklearn ledoit_wolf_shrinkage on already-centred C x T data."""
    c, t = xc.shape
    s = xc @ xc.T / t
    mu = np.trace(s) / c
    b_sum = np.sum(np.sum(xc**2, axis=0) ** 2)
    d_sum = np.sum(s**2)
    beta = (b_sum / t - d_sum) / (c * t)
    delta = (d_sum - 2 * mu * np.trace(s) + c * mu**2) / c
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta


def lwf(x, center=True):
    xc = x - x.mean(axis=1, keepdims=True) if center else x
    c, t = xc.shape
    s = xc @ xc.T / t
    sh = lw_shrinkage(xc)
    return (1 - sh) * s + sh * np.trace(s) / c * np.eye(c), sh


def oas(x):
    xc = x - x.mean(axis=1, keepdims=True)
    c, t = xc.shape
    s = xc @ xc.T / t
    alpha = np.mean(s**2)
    mu = np.trace(s) / c
    den = (t + 1) * (alpha - mu**2 / c)
    sh = 1.0 if den == 0 else min((alpha + mu**2) / den, 1.0)
    return (1 - sh) * s + sh * mu * np.eye(c), sh


# ---- matrix functions -------------------------------------------------------

def mfun(m, f):
    w, v = np.linalg.eigh(m)
    return (v * f(w)) @ v.T


def upper(m):
    c = m.shape[0]
    i, j = np.triu_indices(c)
    return np.where(i == j, 1.0, np.sqrt(2.0)) * m[i, j]


def dist_riemann(a, b):
    return np.sqrt(np.sum(np.log(scipy.linalg.eigvalsh(a, b)) ** 2))


def mean_riemann(covs, tol=1e-8, maxiter=50):
    m = covs.mean(axis=0)
    nu, tau = 1.0, np.finfo(np.float64).max
    for _ in range(maxiter):
        m12, mm12 = mfun(m, np.sqrt), mfun(m, lambda w: 1 / np.sqrt(w))
        j = np.mean([mfun(mm12 @ c @ mm12, np.log) for c in covs], axis=0)
        m = m12 @ mfun(nu * j, np.exp) @ m12
        crit = np.linalg.norm(j, "fro")
        h = nu * crit
        if h < tau:
            nu, tau = 0.95 * nu, h
        else:
            nu = 0.5 * nu
        if crit <= tol or nu <= tol:
            break
    return m


def tangent(covs, ref):
    r = mfun(ref, lambda w: 1 / np.sqrt(w))
    return np.array([upper(mfun(r @ c @ r, np.log)) for c in covs])


def sign_normalise(v):
    v = v.copy()
    for j in range(v.shape[1]):
        i = np.argmax(np.abs(v[:, j]))
        if v[i, j] < 0:
            v[:, j] *= -1
    return v


# ---- linear models ----------------------------------------------------------

def lda_fit(x, y):
    classes = np.unique(y)
    n, d = x.shape
    priors = np.array([np.mean(y == k) for k in classes])
    means = np.array([x[y == k].mean(axis=0) for k in classes])
    sigma = np.zeros((d, d))
    shrink = []
    for p, k in zip(priors, classes):
        xk = x[y == k] - x[y == k].mean(axis=0)
        sd = xk.std(axis=0)
        sd[sd == 0] = 1
        r, sh = lwf((xk / sd).T, center=True)
        shrink.append(sh)
        sigma += p * (sd[:, None] * r * sd[None, :])
    coef = np.linalg.solve(sigma, means.T).T
    icpt = -0.5 * np.sum(means * coef, axis=1) + np.log(priors)
    if len(classes) == 2:
        coef, icpt = coef[1:] - coef[:1], icpt[1:] - icpt[:1]
    return dict(priors=priors, means=means, covariance=sigma, coef=coef,
                intercept=icpt, class_shrinkage=shrink)


def proba(x, coef, icpt):
    z = x @ np.asarray(coef).T + icpt
    if z.shape[1] == 1:
        p = scipy.special.expit(z[:, 0])
        return np.stack([1 - p, p], axis=1)
    return scipy.special.softmax(z, axis=1)


def logreg_objective(w_flat, x, y, c, k):
    """Gradient-free check: sklearn's optimum is a stationary point."""
    d = x.shape[1]
    if k == 2:
        w, b = w_flat[:d], w_flat[d]
        z = x @ w + b
        s = np.where(y == 1, 1.0, -1.0)
        return c * np.sum(np.logaddexp(0, -s * z)) + 0.5 * w @ w
    wb = w_flat.reshape(k, d + 1)
    z = x @ wb[:, :d].T + wb[:, d]
    nll = np.sum(scipy.special.logsumexp(z, axis=1) - z[np.arange(len(y)), y])
    return c * nll + 0.5 * np.sum(wb[:, :d] ** 2)


def num_grad(f, w, h=1e-6):
    g = np.zeros_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        g[i] = (f(w + e) - f(w - e)) / (2 * h)
    return g


def main():
    f = load("covariances.json")
    x = np.array(f["signals"])
    check("scm", [scm(t) for t in x], f["scm"], 1e-12)
    check("lwf", [lwf(t)[0] for t in x], f["lwf"], 1e-12)
    check("lwf_shrinkage", [lwf(t)[1] for t in x], f["lwf_shrinkage"], 1e-10)
    check("oas", [oas(t)[0] for t in x], f["oas"], 1e-12)
    check("oas_shrinkage", [oas(t)[1] for t in x], f["oas_shrinkage"], 1e-10)
    car = x - x.mean(axis=1, keepdims=True)
    check("car_signals", car, f["car_signals"], 1e-15)
    check("car_lwf", [lwf(t)[0] for t in car], f["car_lwf"], 1e-12)
    check("car_lwf_min_eig", [np.linalg.eigvalsh(lwf(t)[0])[0] for t in car],
          f["car_lwf_min_eig"], 1e-9)
    check("car_lwf_min_eig = shrink*mu",
          [lwf(t)[1] * np.trace(scm(t)) / t.shape[0] for t in car],
          f["car_lwf_min_eig"], 1e-9)

    f = load("csp.json")
    cc = np.array(f["class_covs"])
    w, v = scipy.linalg.eigh(cc[0], cc[0] + cc[1])
    check("csp eigenvalues", w, f["eigenvalues"], 1e-12)
    check("csp eigenvectors", sign_normalise(v), f["eigenvectors"], 1e-10)
    v = np.array(f["eigenvectors"])
    check("csp V^T (C0+C1) V = I", v.T @ (cc[0] + cc[1]) @ v, np.eye(len(v)), 1e-12)
    c3 = np.array(f["ovr"]["class_covs"])
    for k, pc in enumerate(f["ovr"]["per_class"]):
        w, v = scipy.linalg.eigh(c3[k], c3.sum(axis=0))
        check(f"ovr[{k}] eigenvalues", w, pc["eigenvalues"], 1e-12)
        check(f"ovr[{k}] eigenvectors", sign_normalise(v), pc["eigenvectors"], 1e-10)

    f = load("riemann.json")
    covs = np.array(f["covs"])
    check("riemann covs = lwf(signals)", [lwf(t)[0] for t in np.array(f["signals"])],
          covs, 1e-12)
    m = mean_riemann(covs, tol=1e-14, maxiter=500)
    check("mean_riemann (tight)", m, f["mean_riemann"], 1e-12)
    check("ts_reference (tol 1e-8)", mean_riemann(covs), f["ts_reference"], 1e-12)
    check("ts_reference vs tight mean", f["ts_reference"], f["mean_riemann"], 1e-6)
    check("tangent", tangent(covs, np.array(f["ts_reference"])), f["tangent"], 1e-10)
    check("tangent_at_mean", tangent(covs, m), f["tangent_at_mean"], 1e-10)
    check("distances_to_mean", [dist_riemann(c, m) for c in covs],
          f["distances_to_mean"], 1e-10)
    y = np.array(f["labels"])
    cm = np.array([mean_riemann(covs[y == k]) for k in (0, 1)])
    check("class_means", cm, f["class_means"], 1e-12)
    d = np.array([[dist_riemann(c, mk) for mk in cm] for c in covs])
    check("mdm_distances", d, f["mdm_distances"], 1e-10)
    check("mdm_proba", scipy.special.softmax(-d**2, axis=1), f["mdm_proba"], 1e-10)
    check("sqrtm", mfun(covs[0], np.sqrt), f["sqrtm"], 1e-12)
    check("invsqrtm", mfun(covs[0], lambda w: 1 / np.sqrt(w)), f["invsqrtm"], 1e-12)
    check("logm", mfun(covs[0], np.log), f["logm"], 1e-12)
    s = np.array(f["logm_expm_input"])
    check("expm", mfun(s, np.exp), f["expm"], 1e-12)
    check("expm vs scipy.linalg.expm", scipy.linalg.expm(s), f["expm"], 1e-12)
    check("expm_of_logm = covs[0]", f["expm_of_logm"], covs[0], 1e-12)

    f = load("logreg.json")
    for name, k in (("binary", 2), ("multiclass", 3)):
        case = f[name]
        x, y = np.array(case["features"]), np.array(case["labels"])
        coef, icpt = np.array(case["coef"]), np.array(case["intercept"])
        check(f"logreg {name} proba", proba(x, coef, icpt), case["proba"], 1e-12)
        check(f"logreg {name} proba_exact",
              proba(x, case["coef_exact"], case["intercept_exact"]),
              case["proba_exact"], 1e-12)
        check(f"logreg {name} sklearn vs exact coef", coef, case["coef_exact"], 1e-6)
        for key, c_, i_ in (("sklearn", coef, icpt),
                            ("exact", case["coef_exact"], case["intercept_exact"])):
            wf = np.concatenate([np.asarray(c_), np.asarray(i_)[:, None]], axis=1)
            g = num_grad(lambda w: logreg_objective(w, x, y, case["C"], k), wf.ravel())
            print(f"    {key}: max |grad| of C*sum(loss)+|w|^2/2 "
                  f"(central differences): {np.max(np.abs(g)):.1e}")
    print(f"    multiclass coef column sums: "
          f"{np.max(np.abs(np.sum(f['multiclass']['coef'], axis=0))):.1e}, "
          f"intercept sum: {f['multiclass']['intercept_sum']:.1e}")

    f = load("lda.json")
    for name, case in (("binary", f), ("multiclass", f["multiclass"])):
        x, y = np.array(case["features"]), np.array(case["labels"])
        r = lda_fit(x, y)
        for key in ("priors", "means", "class_shrinkage", "covariance", "coef",
                    "intercept"):
            check(f"lda {name} {key}", r[key], case[key], 1e-10)
        check(f"lda {name} proba", proba(x, r["coef"], r["intercept"]),
              case["proba"], 1e-10)
        # The same covariance as shrinkage towards each class's diagonal.
        sigma = np.zeros((x.shape[1],) * 2)
        for p_, k, s_ in zip(r["priors"], np.unique(y), r["class_shrinkage"]):
            e = np.cov(x[y == k].T, bias=True)
            sigma += p_ * ((1 - s_) * e + s_ * np.diag(np.diag(e)))
        check(f"lda {name} covariance = (1-s)E + s diag(E)", sigma,
              case["covariance"], 1e-12)

    f = load("pipeline.json")
    xtr, ytr = np.array(f["train_signals"]), np.array(f["train_labels"])
    xte = np.array(f["test_signals"])
    ctr = np.array([lwf(t)[0] for t in xtr])
    cte = np.array([lwf(t)[0] for t in xte])
    ref = mean_riemann(ctr)
    check("pipeline ts_reference", ref, f["ts_reference"], 1e-12)
    check("pipeline TS+LR proba (from stored coef)",
          proba(tangent(cte, ref), f["lr_coef"], f["lr_intercept"]), f["proba"], 1e-10)
    check("pipeline TS+LR proba_exact",
          proba(tangent(cte, ref), f["lr_coef_exact"], f["lr_intercept_exact"]),
          f["proba_exact"], 1e-10)
    check("pipeline proba vs proba_exact", f["proba"], f["proba_exact"], 1e-6)
    # CSP as documented: uncentred concatenated LW, * N/(N-1), eigh(C0, C0+C1)
    covs = []
    for k in (0, 1):
        cat = np.concatenate(list(xtr[ytr == k]), axis=1)
        cv, _ = lwf(cat, center=False)
        n = cat.shape[1]
        covs.append(cv * n / (n - 1))
    w, v = scipy.linalg.eigh(covs[0], covs[0] + covs[1])
    order = np.argsort(np.abs(w - 0.5))[::-1]
    w, v = w[order], v[:, order]
    check("pipeline csp_eigenvalues", w, f["csp_eigenvalues"], 1e-9)
    filt = sign_normalise(v[:, :4]).T
    check("pipeline csp_filters", filt, f["csp_filters"], 1e-7)
    feat = np.log(np.mean((filt @ xte) ** 2, axis=2))
    check("pipeline csp_test_features", feat, f["csp_test_features"], 1e-9)
    ftr = np.log(np.mean((filt @ xtr) ** 2, axis=2))
    r = lda_fit(ftr, ytr)
    check("pipeline lda coef", r["coef"], f["lda_coef"], 1e-7)
    check("pipeline csp_lda_proba", proba(feat, r["coef"], r["intercept"]),
          f["csp_lda_proba"], 1e-8)

    if FAILED:
        print("FAILED:", ", ".join(FAILED))
        sys.exit(1)
    print("all fixtures match the documented formulas")


if __name__ == "__main__":
    main()
