"""A high-rate, many-channel pylsl outlet for neuroloop's ingest benchmark.

Sample i, channel c carries (i * channels + c) mod 2**24 (exact in float32).
Waits for a consumer, then pushes --seconds of data in --chunk-ms chunks,
paced in real time, each chunk stamped with its newest sample's time
(t0 + i / rate). Prints "consumer", then "done SAMPLES" at the end.
"""

import argparse
import time

import numpy as np
import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--chunk-ms", type=float, default=10.0)
    p.add_argument("--linger-s", type=float, default=1.0)
    a = p.parse_args()
    n_ch = a.channels
    info = pylsl.StreamInfo(a.name, "EEG", n_ch, a.rate, "float32", a.name + "-src")
    outlet = pylsl.StreamOutlet(info)
    if not outlet.wait_for_consumers(30.0):
        raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    total = int(a.seconds * a.rate)
    chunk = max(1, int(a.rate * a.chunk_ms / 1000.0))
    t0 = pylsl.local_clock()
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        due = t0 + (stop - 1) / a.rate
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        idx = np.arange(start, stop, dtype=np.int64)[:, None] * n_ch + np.arange(n_ch)[None, :]
        data = (idx % (1 << 24)).astype(np.float32)
        outlet.push_chunk(data, t0 + (stop - 1) / a.rate, True)
    print(f"done {total}", flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
