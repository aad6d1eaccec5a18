"""Fit and decode time of neuroloop's covariance decoders (tangent_space,
mdm, csp_lda, fbcsp) against pyriemann's Covariances("lwf") -> TangentSpace
-> LogisticRegression and Covariances("lwf") -> MDM, on the same epochs, in
one run.

The epochs are real: runs R04, R06, R08 and R10 of PhysioNet eegmmidb
subject S001 (64 channels, 160 Hz), band-passed 8-30 Hz zero-phase with
scipy, 250 samples from 0.5 s after each T1/T2 cue, the first 45 cues: 45
trials x 64 channels x 250 samples, the size of a 1 s window at 250 Hz.
Labels alternate 0, 1 (only time is measured). They are written as raw
float32 for the Rust bench (crates/neuroloop-decode/benches/cov_latency.rs),
which fits 5 times (median) and decodes 2000 windows (p50, p99); pyriemann
fits 5 times and transforms + predicts one window at a time 2000 times.
Both sides single-threaded (one BLAS thread). The load average before and
after is printed: other processes on the machine slow both sides.

    <venv>/bin/python tools/decode/bench_cov_latency.py

(venv of tools/decode/requirements-reference.txt; run from the repository
root; it builds the bench with cargo.)
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import mne  # noqa: E402
import numpy as np  # noqa: E402
import scipy.signal  # noqa: E402
from pyriemann.classification import MDM  # noqa: E402
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "physionet-eegmmidb"
N_EPOCHS = 45
CALLS = 2000


def epochs():
    xs, ys = [], []
    for run in ("S001R04.edf", "S001R06.edf", "S001R08.edf", "S001R10.edf"):
        raw = mne.io.read_raw_edf(DATA / run, preload=True, verbose="ERROR")
        fs = raw.info["sfreq"]
        x = raw.get_data() * 1e6
        sos = scipy.signal.butter(4, [8, 30], btype="bandpass", fs=fs, output="sos")
        x = scipy.signal.sosfiltfilt(sos, x, axis=1)
        for ann in raw.annotations:
            if ann["description"] in ("T1", "T2"):
                start = int(round((ann["onset"] + 0.5) * fs))
                stop = start + 250
                if stop <= x.shape[1]:
                    xs.append(x[:, start:stop])
                    ys.append(0 if ann["description"] == "T1" else 1)
    x = np.asarray(xs[:N_EPOCHS], dtype=np.float32)
    return x, fs


def reference(x, make):
    # The Rust bench labels epochs 0, 1, 0, 1, ...: the same labels here.
    y = np.arange(len(x)) % 2
    xd = x.astype(np.float64)
    fits = []
    for _ in range(5):
        pipe = make()
        t0 = time.perf_counter()
        pipe.fit(xd, y)
        fits.append(time.perf_counter() - t0)
    times = []
    for i in range(CALLS + 100):
        w = xd[i % len(xd)][None]
        t0 = time.perf_counter()
        pipe.predict_proba(w)
        if i >= 100:
            times.append((time.perf_counter() - t0) * 1e6)
    times = np.sort(times)
    return {
        "fit_s_median": float(np.median(fits)),
        "decode_us_p50": float(np.percentile(times, 50)),
        "decode_us_p99": float(np.percentile(times, 99)),
        "decode_us_min": float(times[0]),
    }


def tangent_space():
    return make_pipeline(Covariances("lwf"), TangentSpace(metric="riemann"),
                         LogisticRegression(C=1.0))


def mdm():
    return make_pipeline(Covariances("lwf"), MDM(metric="riemann"))


def row(name, r):
    return (f"| {name} | {r['fit_s_median'] * 1e3:.1f} ms | {r['decode_us_p50']:.0f} µs "
            f"| {r['decode_us_p99']:.0f} µs | {r['decode_us_min']:.0f} µs |")


def main():
    load_before = os.getloadavg()
    x, fs = epochs()
    n, c, t = x.shape
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "epochs.f32"
        x.astype("<f4").tofile(path)
        out = subprocess.run(
            ["cargo", "bench", "-q", "-p", "neuroloop-decode", "--bench", "cov_latency", "--",
             str(path), str(n), str(c), str(t), str(fs),
             "tangent_space", "mdm", "csp_lda", "fbcsp",
             'tangent_space:{"recenter":true}', 'mdm:{"recenter":true}'],
            cwd=ROOT, capture_output=True, text=True, check=True)
    ours = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    ref = reference(x, tangent_space)
    ref_mdm = reference(x, mdm)
    load_after = os.getloadavg()
    ts = next(r for r in ours if r["architecture"] == "tangent_space")
    print(f"epochs: {n} x {c} channels x {t} samples at {fs:g} Hz (S001 R04/R06/R08/R10, 8-30 Hz)")
    print("| pipeline | fit (median of 5) | decode p50 | decode p99 | decode min |")
    print("|---|---|---|---|---|")
    print(row("pyriemann TS+LR", ref))
    print(row("pyriemann MDM", ref_mdm))
    for r in ours:
        print(row(f"neuroloop {r['architecture']}", r))
    print(f"tangent_space vs pyriemann TS+LR: fit {ref['fit_s_median'] / ts['fit_s_median']:.2f}x "
          f"as fast, decode p50 {ref['decode_us_p50'] / ts['decode_us_p50']:.1f}x as fast")
    print("load average (1, 5, 15 min) before: %.2f %.2f %.2f, after: %.2f %.2f %.2f"
          % (load_before + load_after))


if __name__ == "__main__":
    main()
