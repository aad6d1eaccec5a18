#!/usr/bin/env python3
"""Compare neuroloop-dsp's filter throughput with scipy.signal.sosfilt.

Same filter (Butterworth band-pass order 4, 8-30 Hz, + 50 Hz iirnotch Q 30),
same data shape (64 channels, 1000 Hz, 60 s, interleaved), same chunk sizes
(1, 8, 32, one block); scipy carries `zi` between chunks. For scipy both the
interleaved layout (shape (n, 64), axis=0) and its preferred channel-major
layout (shape (64, n), axis=-1) are timed and the faster is used for the ratio.

Rates count time samples per second (one sample = a value on each channel).

Usage (repository root):
    .venv/bin/python tools/dsp/bench_vs_scipy.py
"""

import json
import os
import platform
import subprocess
import time

import numpy as np
import scipy
import scipy.signal as sig

CHANNELS = 64
FS = 1000.0
SECONDS = 60
CHUNKS = [1, 8, 32, None]  # None = one block
# scipy at chunk size 1 costs ~10 us per call; time a prefix of the signal.
SCIPY_SAMPLES = {1: 10_000, 8: 30_000, 32: 60_000, None: 60_000}


def rust_rates():
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", "/tmp/tgt-dsp")
    env["DSP_BENCH_SECONDS"] = str(SECONDS)
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "neuroloop-dsp", "--bench", "dsp_throughput"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r["samples_per_s"] for r in rows]


def scipy_rate(sos, x_full, chunk, channel_major, repeats=3):
    n = SCIPY_SAMPLES[chunk]
    best = float("inf")
    for _ in range(repeats):
        if channel_major:
            x = np.ascontiguousarray(x_full[:n].T)
            zi = np.zeros((sos.shape[0], CHANNELS, 2))
            step = chunk or n
            t0 = time.perf_counter()
            for i in range(0, n, step):
                _, zi = sig.sosfilt(sos, x[:, i : i + step], axis=-1, zi=zi)
        else:
            x = x_full[:n]
            zi = np.zeros((sos.shape[0], 2, CHANNELS))
            step = chunk or n
            t0 = time.perf_counter()
            for i in range(0, n, step):
                _, zi = sig.sosfilt(sos, x[i : i + step], axis=0, zi=zi)
        best = min(best, time.perf_counter() - t0)
    return n / best


def main():
    n = int(SECONDS * FS)
    t = np.arange(n) / FS
    ch = np.arange(CHANNELS)
    x = (20 * np.sin(t[:, None] * 12 + ch[None, :]) + 5 * np.sin(t[:, None] * 314.159)).astype(
        np.float64
    )
    sos = np.vstack(
        [
            sig.butter(4, [8.0, 30.0], "bandpass", fs=FS, output="sos"),
            np.concatenate(sig.iirnotch(50.0, 30.0, FS))[None, :],
        ]
    )
    rust = rust_rates()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    print()
    print(
        "| chunk (samples) | neuroloop-dsp (samples/s) | scipy sosfilt interleaved | "
        "scipy sosfilt channel-major | ratio vs best scipy |"
    )
    print("|---|---:|---:|---:|---:|")
    for chunk, r in zip(CHUNKS, rust):
        s_il = scipy_rate(sos, x, chunk, channel_major=False)
        s_cm = scipy_rate(sos, x, chunk, channel_major=True)
        label = str(chunk) if chunk else f"{SECONDS} s block"
        print(
            f"| {label} | {r:,.0f} | {s_il:,.0f} | {s_cm:,.0f} | {r / max(s_il, s_cm):.1f}x |"
        )


if __name__ == "__main__":
    main()
