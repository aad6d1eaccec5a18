"""Write tests/fixtures/cov/stacked.json for the stacked_tangent_space
decoder of neuroloop-decode (tests/stacked_decoder.rs).

Synthetic SSVEP epochs, 4 channels x 128 samples at 128 Hz: noise mixed
across channels plus, for class 0, a 13 Hz response with its 26 Hz
harmonic, for class 1 a 17 Hz response with its 34 Hz harmonic (random
phase and amplitude per epoch). Inputs are rounded to float32.

Reference (scipy 1.17, pyriemann 0.12, scikit-learn 1.9): per band of
BANDS, scipy.signal.sosfiltfilt(butter(4, band, "bandpass", fs=128,
output="sos"), epoch, axis=-1); the bands stacked as one 16 x 128 signal
(band-major); pyriemann Covariances("lwf") -> TangentSpace(metric="riemann")
-> LogisticRegression(C=1), polished to the exact optimum as in
make_cov_fixtures.py. Keys: "bands_hz", "sample_rate", "train_signals",
"train_labels", "test_signals", "test_labels", "ts_reference",
"proba_exact".

    <venv of tools/decode/requirements-reference.txt>/bin/python \\
        tools/decode/make_stacked_fixture.py
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.signal as sig  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cov_fixtures import linear_proba, newton_logreg, tolist, write  # noqa: E402
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

SEED = 20261205
C, T, FS = 4, 128, 128.0
BANDS = [[12.0, 14.0], [16.0, 18.0], [25.0, 27.0], [33.0, 35.0]]


def epochs(rng, labels):
    t = np.arange(T) / FS
    mix = rng.normal(size=(C, C)) * 0.5 + np.eye(C)
    pattern = np.array([1.0, 0.6, 0.3, 0.8])
    x = np.empty((len(labels), C, T))
    for i, lab in enumerate(labels):
        f = (13.0, 17.0)[lab]
        phase = rng.uniform(0, 2 * np.pi)
        amp = 0.6 + 0.2 * rng.normal()
        s = np.sin(2 * np.pi * f * t + phase) + 0.5 * np.sin(4 * np.pi * f * t + 2 * phase)
        x[i] = mix @ rng.normal(size=(C, T)) + amp * np.outer(pattern, s)
    return np.round(x, 5).astype(np.float32).astype(np.float64)


def stacked(x):
    out = []
    for band in BANDS:
        sos = sig.butter(4, band, "bandpass", fs=FS, output="sos")
        out.append(sig.sosfiltfilt(sos, x, axis=-1))
    return np.concatenate(out, axis=1)


def main():
    rng = np.random.default_rng(SEED)
    y_train = np.tile([0, 1], 12)[rng.permutation(24)]
    y_test = np.array([0, 1, 1, 0, 1, 0])
    x_train, x_test = epochs(rng, y_train), epochs(rng, y_test)
    c_train = Covariances("lwf").fit_transform(stacked(x_train))
    c_test = Covariances("lwf").fit_transform(stacked(x_test))
    ts = TangentSpace(metric="riemann").fit(c_train)
    lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(ts.transform(c_train), y_train)
    coef, icpt = newton_logreg(ts.transform(c_train), y_train, 1.0, lr.coef_, lr.intercept_)
    write("stacked.json", {
        "bands_hz": BANDS,
        "sample_rate": FS,
        "train_signals": tolist(x_train),
        "train_labels": tolist(y_train),
        "test_signals": tolist(x_test),
        "test_labels": tolist(y_test),
        "ts_reference": tolist(ts.reference_),
        "proba_exact": tolist(linear_proba(ts.transform(c_test), coef, icpt)),
    })


if __name__ == "__main__":
    main()
