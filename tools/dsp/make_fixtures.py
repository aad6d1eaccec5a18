#!/usr/bin/env python3
"""Write the scipy reference fixtures for neuroloop-dsp's tests.

Usage (from the repository root):

    python3 -m venv .venv && .venv/bin/pip install numpy scipy
    .venv/bin/python tools/dsp/make_fixtures.py

Writes crates/neuroloop-dsp/tests/fixtures/{butter,notch,sosfilt}.json.
The fixtures are committed; the Rust tests never run Python.
"""

import json
import pathlib

import numpy as np
import scipy
import scipy.signal as sig

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/neuroloop-dsp/tests/fixtures"

# Cutoffs per band type, all valid for every sample rate below.
CUTOFFS = {
    "lowpass": [40.0, 12.5],
    "highpass": [1.0, 0.5],
    "bandpass": [[8.0, 30.0], [1.0, 40.0]],
    "bandstop": [[48.0, 52.0], [10.0, 70.0]],
}
RATES = [160.0, 250.0, 256.0, 1000.0]


def butter_cases():
    cases = []
    for fs in RATES:
        for btype, wns in CUTOFFS.items():
            for order in range(1, 9):
                # Alternate the two cutoff choices across orders.
                wn = wns[order % 2]
                sos = sig.butter(order, wn, btype, fs=fs, output="sos")
                cases.append(
                    {
                        "order": order,
                        "btype": btype,
                        "wn": wn if isinstance(wn, list) else [wn],
                        "fs": fs,
                        "sos": sos.tolist(),
                    }
                )
    return cases


def notch_cases():
    cases = []
    for fs in [250.0, 256.0, 500.0, 1000.0]:
        for freq in [50.0, 60.0]:
            for q, harmonics in [(30.0, 1), (35.0, 3), (20.0, 10)]:
                sections = []
                for h in range(1, harmonics + 1):
                    f = freq * h
                    if f >= fs / 2:
                        break
                    b, a = sig.iirnotch(f, q, fs)
                    sections.append(list(b) + list(a))
                cases.append(
                    {"freq": freq, "q": q, "harmonics": harmonics, "fs": fs, "sos": sections}
                )
    return cases


def sosfilt_case():
    fs = 250.0
    rng = np.random.default_rng(7)
    n, channels = 400, 3
    t = np.arange(n) / fs
    x = np.stack(
        [
            20 * np.sin(2 * np.pi * 10 * t) + 5 * np.sin(2 * np.pi * 50 * t),
            10 * np.sin(2 * np.pi * 22 * t + 1.0) + 30.0,
            rng.normal(0.0, 15.0, n),
        ],
        axis=1,
    )
    x = x.astype(np.float32).astype(np.float64)  # exactly representable in f32
    sos = np.vstack(
        [
            sig.butter(4, [8.0, 30.0], "bandpass", fs=fs, output="sos"),
            np.concatenate(sig.iirnotch(50.0, 30.0, fs))[None, :],
        ]
    )
    y = sig.sosfilt(sos, x, axis=0)
    return {
        "fs": fs,
        "channels": channels,
        "sos": sos.tolist(),
        "input": x.ravel().tolist(),  # interleaved: [s * channels + ch]
        "output": y.ravel().tolist(),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"scipy": scipy.__version__, "numpy": np.__version__}
    for name, cases in [
        ("butter", butter_cases()),
        ("notch", notch_cases()),
        ("sosfilt", sosfilt_case()),
    ]:
        path = OUT / f"{name}.json"
        path.write_text(json.dumps({"generated_by": meta, "cases": cases}) + "\n")
        print(f"{path.relative_to(OUT.parents[3])}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
