"""Reference fixtures for the covariance decoders of neuroloop-decode.

Writes small JSON files to crates/neuroloop-decode/tests/fixtures/cov/ (relative
to the repository root): covariances.json, csp.json, riemann.json,
logreg.json, lda.json and pipeline.json. Every array is a nested list in C
order; every float is a Python float written by ``json.dump`` (shortest repr
that round-trips, i.e. the exact float64). Generated *inputs* (signals,
features) are rounded to 6 decimals before anything is computed from them, so
the value stored in the file is exactly the value the reference used; outputs
are written unrounded.

Made with numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, pyriemann 0.12,
mne 1.13.2 (tools/decode/requirements-reference.txt). Run from the repository
root (CI does not need it, the outputs are committed):

    python3 -m venv <venv>
    <venv>/bin/pip install -r tools/decode/requirements-reference.txt
    <venv>/bin/python tools/decode/make_cov_fixtures.py

The script is deterministic (seeded ``numpy.random.default_rng``, BLAS pinned
to one thread): running it again rewrites byte-identical files.

pyriemann 0.12 moved ``pyriemann.utils.{covariance,mean,distance,base,
tangentspace}`` to ``pyriemann.geometry.*`` (the old names are deprecated
shims to the same code); this script imports the new names.

Exact formulas (read from the installed sources)
================================================

Notation: one trial X is C x T (channels x samples); x_t its column t.
Xc = X - mean over time (per channel); S = Xc Xc^T / T (divisor T, not T-1).
mu = trace(S) / C; the shrinkage target is always mu * I.

covariances.json
----------------
* "scm": pyriemann ``covariance_scm`` (equal weights 1/T):
  S = Xc Xc^T / T. Centred, divisor T.
* "lwf": pyriemann -> ``sklearn.covariance.ledoit_wolf(X.T)`` (numpy input
  goes straight to sklearn). ``LedoitWolf.fit`` centres (Xc), then with
  assume_centered=True:
      S      = Xc Xc^T / T,  mu = trace(S) / C
      b_sum  = sum_t (||xc_t||^2)^2            (sum of <X2^T, X2> entries)
      d_sum  = ||Xc Xc^T||_F^2 / T^2 = ||S||_F^2
      beta   = (b_sum / T - d_sum) / (C * T)
      delta  = (d_sum - 2 mu trace(S) + C mu^2) / C  = ||S - mu I||_F^2 / C
      beta   = min(beta, delta)
      shrink = 0 if beta == 0 else beta / delta
      LWF    = (1 - shrink) S + shrink mu I
  ("lwf_shrinkage" is ``shrink``; C = 1 would give S and 0.)
* "oas": pyriemann -> ``sklearn.covariance.oas(X.T)``; ``OAS.fit`` centres,
  then (Chen et al. 2010 eq. 23 without the 2/p factor):
      alpha  = mean(S**2) = ||S||_F^2 / C^2,  mu = trace(S) / C
      num    = alpha + mu^2
      den    = (T + 1) * (alpha - mu^2 / C)
      shrink = 1 if den == 0 else min(num / den, 1)
      OAS    = (1 - shrink) S + shrink mu I
* "car_signals": X - mean over channels at each sample (rank C-1);
  "car_lwf": the same "lwf" estimator on them (SPD because shrink > 0);
  "car_lwf_min_eig": smallest eigenvalue of each (= shrink * mu, the null
  direction of S keeps only the target).

csp.json
--------
"eigenvalues"/"eigenvectors" = ``scipy.linalg.eigh(C0, C0 + C1)``: ascending
eigenvalues in [0, 1]; eigenvectors B-orthonormal (V^T (C0 + C1) V = I), column
j = vector j. Each column's sign is flipped so that its component of largest
absolute value is positive. "ovr": class k of 3 uses eigh(C_k, C_0 + C_1 + C_2),
same normalisation. "class_covs" are SCM (centred, divisor T) covariances of
random mixed signals.

riemann.json
------------
* "covs": lwf covariances (as above) of class-mixed random signals.
* "mean_riemann" = ``mean_riemann(covs, tol=1e-14, maxiter=500)``: start at
  the arithmetic mean M; nu = 1, tau = +inf; repeat:
      J = (1/n) sum_i logm(M^-1/2 C_i M^-1/2);  M = M^1/2 expm(nu J) M^1/2
      crit = ||J||_F; h = nu crit; if h < tau: nu *= 0.95, tau = h
      else: nu *= 0.5; stop when crit <= tol or nu <= tol.
* "tangent" = ``TangentSpace(metric="riemann", tsupdate=False)
  .fit(covs).transform(covs)``. Its reference point is "ts_reference" =
  mean_riemann with pyriemann's *default* tol=1e-8, maxiter=50 (not the tight
  mean above; the two agree to ~1e-9). "tangent_at_mean" is the same map at
  the tight "mean_riemann". Map: L = logm(P^-1/2 C P^-1/2), then ``upper``:
  the upper triangle in row-major order (numpy.triu_indices: (0,0), (0,1), ...,
  (0,C-1), (1,1), (1,2), ..., (C-1,C-1)), diagonal entries weight 1,
  off-diagonal entries weight sqrt(2) (so the Euclidean norm of the vector is
  the Frobenius norm of L).
* "distances_to_mean": distance_riemann(C_i, mean_riemann) =
  sqrt(sum_k log(lambda_k)^2), lambda = eigvalsh(C_i, M) (generalised).
* MDM(metric="riemann"): "class_means" = mean_riemann (default tol 1e-8,
  maxiter 50, init arithmetic mean) of each class, classes in sorted label
  order; "mdm_distances" [n][2] = distance_riemann to each class mean;
  "mdm_proba" = softmax(-d^2) per row (sklearn softmax: subtract row max, exp,
  normalise).
* Matrix functions (pyriemann.geometry.base): eigh C = V diag(l) V^T, then
  f(C) = V diag(f(l)) V^T. "sqrtm", "invsqrtm", "logm" take covs[0];
  "expm" takes "logm_expm_input" (a symmetric, indefinite matrix);
  "expm_of_logm" = expm(logm(covs[0])) (= covs[0] up to rounding).

logreg.json, lda.json
---------------------
Made in fixture_parts.py, whose docstring gives their fields and formulas.
* Binary: coef = coef_1 - coef_0, intercept = intercept_1 - intercept_0,
  proba = [1 - expit(d), expit(d)] with d = x.coef + intercept.
  3+ classes: proba = softmax(x.coef_k + intercept_k).

pipeline.json
-------------
* "proba": make_pipeline(pyriemann.estimation.Covariances("lwf"),
  TangentSpace(metric="riemann"), LogisticRegression(C=1.0, tol=1e-12,
  max_iter=100000)) fit on train, predict_proba on test. Intermediate values:
  "ts_reference", "lr_coef", "lr_intercept"; "lr_coef_exact",
  "lr_intercept_exact", "proba_exact": the Newton-polished optimum (see
  logreg.json).
* "csp_lda_proba": make_pipeline(mne.decoding.CSP(n_components=4,
  reg="ledoit_wolf", log=True, norm_trace=False), LDA(solver="lsqr",
  shrinkage="auto")). MNE 1.13 CSP (defaults cov_est="concat",
  component_order="mutual_info", restr_type="restricting", rank=None):
  - class covariance: concatenate the class's epochs along time
    (C x N, N = n_epochs_k * T); NOT centred (``compute_covariance`` methods
    use assume_centered=True): E = X X^T / N; LW shrinkage from the formula
    above on the *uncentred* samples; cov = (1 - shrink) E + shrink mu I;
    then multiplied by N / (N - 1) ("undo bias"). The data are internally
    scaled by 1e15 ('mag' channels) and projected on the eigenvectors of
    X X^T (rank estimated from the data, full here); both cancel out for
    full-rank data (LW is scale and rotation invariant) up to rounding.
  - C_ref = (cov_0 + cov_1) / 2; restricting matrix P = eigenvectors of C_ref
    (full rank: a rotation); eigh(P cov_0 P^T, P cov_0 P^T + P cov_1 P^T),
    vectors mapped back by P^T: equal to eigh(cov_0, cov_0 + cov_1) up to
    rounding. Note only the *first* class (sorted labels) is the numerator.
  - order: 2 classes, "mutual_info": argsort(|lambda - 0.5|) descending
    (most discriminative first, from either end); filters_ = ordered vectors
    as rows; the first n_components rows are used.
  - features: log(mean_t (w_j . x_t)^2) per filter: mean of squares over
    time, NOT centred, natural log (log=True).
  Intermediate values: "csp_filters" [4][C] (sign-normalised as in csp.json;
  features do not depend on sign), "csp_eigenvalues" [C] (in that order),
  "csp_test_features" [8][4].
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import json  # noqa: E402
import pathlib  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
import sklearn.covariance  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import mne  # noqa: E402
from mne.decoding import CSP  # noqa: E402
from pyriemann.classification import MDM  # noqa: E402
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.geometry.base import expm, invsqrtm, logm, sqrtm  # noqa: E402
from pyriemann.geometry.covariance import covariances  # noqa: E402
from pyriemann.geometry.distance import distance_riemann  # noqa: E402
from pyriemann.geometry.mean import mean_riemann  # noqa: E402
from pyriemann.geometry.tangentspace import tangent_space  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402

from fixture_parts import (  # noqa: E402
    linear_proba,
    make_lda,
    make_logreg,
    mixed_signals,
    newton_logreg,
    rounded,
    sign_normalise,
    tolist,
)

mne.set_log_level("ERROR")

SEED = 20261203
OUT = pathlib.Path(__file__).resolve().parents[2] / (
    "crates/neuroloop-decode/tests/fixtures/cov"
)


def write(name, obj):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"{path.relative_to(OUT.parents[4])}: {path.stat().st_size} bytes")


# --------------------------------------------------------------------------


def make_covariances(rng):
    x = mixed_signals(rng, 6, 5, 80)
    scm = covariances(x, estimator="scm")
    lwf = covariances(x, estimator="lwf")
    oas = covariances(x, estimator="oas")
    lwf_sh = [float(sklearn.covariance.ledoit_wolf(xi.T)[1]) for xi in x]
    oas_sh = [float(sklearn.covariance.oas(xi.T)[1]) for xi in x]
    car = x - x.mean(axis=1, keepdims=True)
    car_lwf = covariances(car, estimator="lwf")
    car_min = [float(np.linalg.eigvalsh(c)[0]) for c in car_lwf]
    return {
        "signals": tolist(x),
        "scm": tolist(scm),
        "lwf": tolist(lwf),
        "oas": tolist(oas),
        "lwf_shrinkage": lwf_sh,
        "oas_shrinkage": oas_sh,
        "car_signals": tolist(car),
        "car_lwf": tolist(car_lwf),
        "car_lwf_min_eig": car_min,
    }


def make_csp(rng):
    def class_covs(k, c=6, t=200):
        covs = []
        for _ in range(k):
            s = mixed_signals(rng, 1, c, t, offsets=False)[0]
            covs.append(covariances(s, estimator="scm"))
        return np.array(covs)

    covs2 = class_covs(2)
    w, v = scipy.linalg.eigh(covs2[0], covs2[0] + covs2[1])
    covs3 = class_covs(3)
    total = covs3.sum(axis=0)
    per_class = []
    for k in range(3):
        wk, vk = scipy.linalg.eigh(covs3[k], total)
        per_class.append(
            {"eigenvalues": tolist(wk), "eigenvectors": tolist(sign_normalise(vk))}
        )
    return {
        "class_covs": tolist(covs2),
        "eigenvalues": tolist(w),
        "eigenvectors": tolist(sign_normalise(v)),
        "ovr": {"class_covs": tolist(covs3), "per_class": per_class},
    }


def make_riemann(rng):
    n, c, t = 8, 4, 64
    labels = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    mixes = [rng.normal(size=(c, c)) + 2 * np.eye(c) for _ in range(2)]
    mixes[1][0] *= 2.5  # class 1: more power on channel 0
    x = np.empty((n, c, t))
    for i in range(n):
        trial_mix = mixes[labels[i]] + 0.2 * rng.normal(size=(c, c))
        x[i] = trial_mix @ rng.normal(size=(c, t))
    x = rounded(x)
    covs = covariances(x, estimator="lwf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a convergence warning would be a bug
        mean = mean_riemann(covs, tol=1e-14, maxiter=500)
    ts = TangentSpace(metric="riemann", tsupdate=False).fit(covs)
    tangent = ts.transform(covs)
    dist = [float(distance_riemann(ci, mean)) for ci in covs]
    mdm = MDM(metric="riemann").fit(covs, labels)
    sym = rng.normal(size=(c, c))
    sym = rounded((sym + sym.T) / 2)
    assert np.linalg.eigvalsh(sym)[0] < 0  # indefinite on purpose
    return {
        "signals": tolist(x),
        "covs": tolist(covs),
        "labels": tolist(labels),
        "mean_riemann": tolist(mean),
        "ts_reference": tolist(ts.reference_),
        "tangent": tolist(tangent),
        "tangent_at_mean": tolist(tangent_space(covs, mean, metric="riemann")),
        "distances_to_mean": dist,
        "class_means": tolist(mdm.covmeans_),
        "mdm_distances": tolist(mdm.transform(covs)),
        "mdm_proba": tolist(mdm.predict_proba(covs)),
        "sqrtm": tolist(sqrtm(covs[0])),
        "invsqrtm": tolist(invsqrtm(covs[0])),
        "logm": tolist(logm(covs[0])),
        "logm_expm_input": tolist(sym),
        "expm": tolist(expm(sym)),
        "expm_of_logm": tolist(expm(logm(covs[0]))),
    }


def make_pipeline_fixture(rng):
    c, t = 4, 128
    base = rng.normal(size=(c, c)) * 0.4 + np.eye(c)
    gains = [np.array([2.0, 1.0, 1.0, 0.7]), np.array([1.0, 2.0, 0.7, 1.0])]

    def trials(labels):
        x = np.empty((len(labels), c, t))
        for i, lab in enumerate(labels):
            g = gains[lab] * np.exp(0.25 * rng.normal(size=c))
            x[i] = base @ (g[:, None] * rng.normal(size=(c, t)))
            x[i] += rng.normal(0.0, 0.5, size=(c, 1))  # offsets
        return rounded(x)

    y_train = np.tile([0, 1], 12)[rng.permutation(24)]
    y_test = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    x_train, x_test = trials(y_train), trials(y_test)

    ts_pipe = make_pipeline(
        Covariances("lwf"),
        TangentSpace(metric="riemann"),
        LogisticRegression(C=1.0, tol=1e-12, max_iter=100000),
    ).fit(x_train, y_train)
    csp_pipe = make_pipeline(
        CSP(n_components=4, reg="ledoit_wolf", log=True, norm_trace=False),
        LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
    ).fit(x_train, y_train)
    lr = ts_pipe[2]
    t_train = ts_pipe[:2].transform(x_train)
    coef_x, icpt_x = newton_logreg(t_train, y_train, 1.0, lr.coef_, lr.intercept_)
    proba_x = linear_proba(ts_pipe[:2].transform(x_test), coef_x, icpt_x)
    csp = csp_pipe[0]
    filters = sign_normalise(csp.filters_[:4].T).T
    return {
        "train_signals": tolist(x_train),
        "train_labels": tolist(y_train),
        "test_signals": tolist(x_test),
        "test_labels": tolist(y_test),
        "proba": tolist(ts_pipe.predict_proba(x_test)),
        "ts_reference": tolist(ts_pipe[1].reference_),
        "lr_coef": tolist(ts_pipe[2].coef_),
        "lr_intercept": tolist(ts_pipe[2].intercept_),
        "lr_coef_exact": tolist(coef_x),
        "lr_intercept_exact": tolist(icpt_x),
        "proba_exact": tolist(proba_x),
        "csp_lda_proba": tolist(csp_pipe.predict_proba(x_test)),
        "csp_filters": tolist(filters),
        "csp_eigenvalues": tolist(csp.evals_),
        "csp_test_features": tolist(csp.transform(x_test)),
        "lda_coef": tolist(csp_pipe[1].coef_),
        "lda_intercept": tolist(csp_pipe[1].intercept_),
    }


MADE_WITH = {"numpy": "2.4.6", "scipy": "1.17.1", "sklearn": "1.9.1",
             "pyriemann": "0.12", "mne": "1.13.2"}


def main():
    import pyriemann
    import scipy
    import sklearn

    for mod in (np, scipy, sklearn, pyriemann, mne):
        want = MADE_WITH[mod.__name__]
        if mod.__version__ != want:
            print(f"warning: {mod.__name__} {mod.__version__}, the committed "
                  f"files were made with {want}")
    rng = np.random.default_rng(SEED)
    # One child generator per file, so that changing one file's recipe
    # leaves the others unchanged.
    children = rng.spawn(6)
    write("covariances.json", make_covariances(children[0]))
    write("csp.json", make_csp(children[1]))
    write("riemann.json", make_riemann(children[2]))
    write("logreg.json", make_logreg(children[3]))
    write("lda.json", make_lda(children[4]))
    write("pipeline.json", make_pipeline_fixture(children[5]))


if __name__ == "__main__":
    main()
