"""Write tests/fixtures/cov/cca.json for the cca_lr decoder of
neuroloop-decode (tests/cca_decoder.rs).

Synthetic SSVEP epochs, 4 channels x 128 samples at 128 Hz, three classes:
a 13 Hz response with its 26 Hz harmonic, a 17 Hz one with 34 Hz, or none
("rest"), in mixed noise; inputs rounded to float32.

Reference (numpy, scikit-learn 1.9): for each frequency f of FREQS the
largest canonical correlation between the epoch's channels and the
references sin/cos(2 pi k f t), k = 1, 2 (t = sample / 128 s), computed as
the largest singular value of Qx^T Qy with Qx, Qy orthonormal bases (QR) of
the centred signals (Lin et al. 2006; the textbook CCA, independent of
neuroloop's eigenvalue route); the correlations standardised with the
training mean and population SD; LogisticRegression(C=1) polished to the
exact optimum (make_cov_fixtures.py). Keys: "frequencies_hz", "harmonics",
"sample_rate", "train_signals", "train_labels", "test_signals",
"test_labels", "test_correlations", "proba_exact".

    <venv of tools/decode/requirements-reference.txt>/bin/python \\
        tools/decode/make_cca_fixture.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cov_fixtures import linear_proba, newton_logreg, tolist, write  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

SEED = 20261206
C, T, FS, H = 4, 128, 128.0, 2
FREQS = [13.0, 17.0, 21.0]


def epochs(rng, labels):
    t = np.arange(T) / FS
    mix = rng.normal(size=(C, C)) * 0.5 + np.eye(C)
    pattern = np.array([1.0, 0.6, 0.3, 0.8])
    x = np.empty((len(labels), C, T))
    for i, lab in enumerate(labels):
        x[i] = mix @ rng.normal(size=(C, T))
        if lab < 2:
            f = (13.0, 17.0)[lab]
            ph = rng.uniform(0, 2 * np.pi)
            s = np.sin(2 * np.pi * f * t + ph) + 0.5 * np.sin(4 * np.pi * f * t + 2 * ph)
            x[i] += (0.3 + 0.1 * rng.normal()) * np.outer(pattern, s)
    return np.round(x, 5).astype(np.float32).astype(np.float64)


def correlations(x):
    t = np.arange(T) / FS
    out = np.empty((len(x), len(FREQS)))
    for i, e in enumerate(x):
        qx, _ = np.linalg.qr((e - e.mean(axis=1, keepdims=True)).T)
        for j, f in enumerate(FREQS):
            y = np.array([fn(2 * np.pi * k * f * t) for k in range(1, H + 1)
                          for fn in (np.sin, np.cos)])
            qy, _ = np.linalg.qr((y - y.mean(axis=1, keepdims=True)).T)
            out[i, j] = np.linalg.svd(qx.T @ qy, compute_uv=False)[0]
    return out


def main():
    rng = np.random.default_rng(SEED)
    y_train = np.tile([0, 1, 2], 10)[rng.permutation(30)]
    y_test = np.array([0, 1, 2, 2, 1, 0])
    x_train, x_test = epochs(rng, y_train), epochs(rng, y_test)
    f_train, f_test = correlations(x_train), correlations(x_test)
    mean, sd = f_train.mean(axis=0), f_train.std(axis=0)
    z_train, z_test = (f_train - mean) / sd, (f_test - mean) / sd
    lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(z_train, y_train)
    coef, icpt = newton_logreg(z_train, y_train, 1.0, lr.coef_, lr.intercept_)
    write("cca.json", {
        "frequencies_hz": FREQS,
        "harmonics": H,
        "sample_rate": FS,
        "train_signals": tolist(x_train),
        "train_labels": tolist(y_train),
        "test_signals": tolist(x_test),
        "test_labels": tolist(y_test),
        "test_correlations": tolist(f_test),
        "proba_exact": tolist(linear_proba(z_test, coef, icpt)),
    })


if __name__ == "__main__":
    main()
