"""Write tests/fixtures/cov/xdawn.json for the xdawn_tangent_space,
xdawn_mdm, erp_tangent_space and erp_mdm decoders of neuroloop-decode
(tests/xdawn_decoders.rs).

Synthetic event-related epochs, 4 channels x 64 samples at 128 Hz: every
epoch is mixed noise; the epochs of class 1 ("target", a third of them)
add a P300-like bump (Gaussian, peak 0.3 s) with a spatial pattern, the
epochs of class 0 a smaller, earlier one. Inputs are rounded to float32
and stored as their exact float64 values, so neuroloop's f32 windows hold
the very numbers pyriemann saw.

pyriemann 0.12 (XdawnCovariances(nfilter=2, estimator="lwf",
xdawn_estimator="lwf"), i.e. Xdawn: Cx = lwf of every training epoch
concatenated in time; per class (sorted labels) P = class mean epoch,
eigh(lwf(P), Cx), eigenvectors sorted by descending eigenvalue and scaled
to unit norm, the first nfilter as filters, evoked = filters @ P; each
epoch's covariance = lwf([evokeds; filters @ epoch])):

* "baseline_cov" [C][C]: Cx;
* "filters" [k*nfilter][C], "evokeds" [k*nfilter][T]: with the sign of each
  filter chosen so that its entry of largest magnitude is positive (the
  eigenvectors' signs are arbitrary; every covariance below uses these
  signs, probabilities do not depend on them);
* "train_covariances", "test_covariances": XdawnCovariances.transform;
* "ts_reference": TangentSpace(metric="riemann") reference;
* "proba_exact": TangentSpace -> LogisticRegression(C=1) probabilities of
  the test epochs at the Newton-polished optimum (see make_cov_fixtures.py);
  "proba": sklearn's own (tol 1e-12);
* "mdm_proba": MDM(metric="riemann") probabilities of the test epochs;
* "erp_test_covariances", "erp_proba_exact", "erp_mdm_proba": the same with
  ERPCovariances(estimator="lwf") (class means of every channel, no xDAWN)
  in place of XdawnCovariances.

The script checks that pyriemann's pipelines with pyriemann's own signs give
the same probabilities. Regenerate with

    <venv of tools/decode/requirements-reference.txt>/bin/python \\
        tools/decode/make_xdawn_fixture.py
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cov_fixtures import (  # noqa: E402
    linear_proba, newton_logreg, sign_normalise, tolist, write)
from pyriemann.classification import MDM  # noqa: E402
from pyriemann.estimation import ERPCovariances, XdawnCovariances  # noqa: E402
from pyriemann.geometry.covariance import covariances, covariances_EP  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

SEED = 20261204
C, T, FS, NFILTER = 4, 64, 128.0, 2


def epochs(rng, labels):
    t = np.arange(T) / FS
    mix = rng.normal(size=(C, C)) * 0.5 + np.eye(C)
    patterns = [np.array([0.3, 0.5, 0.4, 0.2]), np.array([1.0, 0.4, 0.7, 1.2])]
    shapes = [np.exp(-((t - 0.18) / 0.04) ** 2), 2.0 * np.exp(-((t - 0.3) / 0.06) ** 2)]
    x = np.empty((len(labels), C, T))
    for i, lab in enumerate(labels):
        noise = mix @ rng.normal(size=(C, T)) + rng.normal(0.0, 2.0, size=(C, 1))
        amp = 1.0 + 0.3 * rng.normal()
        x[i] = noise + amp * np.outer(patterns[lab], shapes[lab])
    return np.round(x, 5).astype(np.float32).astype(np.float64)


def main():
    rng = np.random.default_rng(SEED)
    y_train = np.array([0, 0, 1] * 12)[rng.permutation(36)]
    y_test = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0, 1])
    x_train, x_test = epochs(rng, y_train), epochs(rng, y_test)

    def xdawn():
        return XdawnCovariances(nfilter=NFILTER, estimator="lwf", xdawn_estimator="lwf")

    lr_args = dict(C=1.0, tol=1e-12, max_iter=100000)
    ts_pipe = make_pipeline(xdawn(), TangentSpace(metric="riemann"),
                            LogisticRegression(**lr_args)).fit(x_train, y_train)
    mdm_pipe = make_pipeline(xdawn(), MDM(metric="riemann")).fit(x_train, y_train)

    xd = ts_pipe[0].Xd_
    filters = sign_normalise(xd.filters_.T).T
    evokeds = np.concatenate(
        [filters[k * NFILTER:(k + 1) * NFILTER] @ x_train[y_train == k].mean(axis=0)
         for k in (0, 1)])

    def covs(x):
        return covariances_EP(filters @ x, evokeds, estimator="lwf")

    c_train, c_test = covs(x_train), covs(x_test)
    ts = TangentSpace(metric="riemann").fit(c_train)
    lr = LogisticRegression(**lr_args).fit(ts.transform(c_train), y_train)
    coef_x, icpt_x = newton_logreg(ts.transform(c_train), y_train, 1.0, lr.coef_,
                                   lr.intercept_)
    proba_x = linear_proba(ts.transform(c_test), coef_x, icpt_x)
    mdm = MDM(metric="riemann").fit(c_train, y_train)
    # The signs of the filters change no probability.
    assert np.allclose(ts_pipe.predict_proba(x_test), lr.predict_proba(ts.transform(c_test)),
                       atol=1e-6)
    assert np.allclose(mdm_pipe.predict_proba(x_test), mdm.predict_proba(c_test), atol=1e-10)
    erp = ERPCovariances(estimator="lwf").fit(x_train, y_train)
    e_train, e_test = erp.transform(x_train), erp.transform(x_test)
    ets = TangentSpace(metric="riemann").fit(e_train)
    elr = LogisticRegression(**lr_args).fit(ets.transform(e_train), y_train)
    ecoef, eicpt = newton_logreg(ets.transform(e_train), y_train, 1.0, elr.coef_,
                                 elr.intercept_)
    emdm = MDM(metric="riemann").fit(e_train, y_train)
    write("xdawn.json", {
        "nfilter": NFILTER,
        "sample_rate": FS,
        "train_signals": tolist(x_train),
        "train_labels": tolist(y_train),
        "test_signals": tolist(x_test),
        "test_labels": tolist(y_test),
        "baseline_cov": tolist(covariances(
            x_train.transpose(1, 2, 0).reshape(C, -1)[None], "lwf")[0]),
        "filters": tolist(filters),
        "evokeds": tolist(evokeds),
        "train_covariances": tolist(c_train),
        "test_covariances": tolist(c_test),
        "ts_reference": tolist(ts.reference_),
        "proba": tolist(lr.predict_proba(ts.transform(c_test))),
        "proba_exact": tolist(proba_x),
        "mdm_proba": tolist(mdm.predict_proba(c_test)),
        "erp_test_covariances": tolist(e_test),
        "erp_proba_exact": tolist(linear_proba(ets.transform(e_test), ecoef, eicpt)),
        "erp_mdm_proba": tolist(emdm.predict_proba(e_test)),
    })


if __name__ == "__main__":
    main()
