"""A high-rate, many-channel pylsl outlet for neuroloop's LSL ingest benchmark
(tests/benches/lsl_ingest.rs).

One second of float32 signal (Gaussian noise plus a 10 Hz rhythm, seeded) is
made up front and pushed cyclically from numpy: `push_chunk` with a 2-D
C-contiguous float32 array (no per-sample Python), --chunk-ms of samples per
call, paced by the wall clock (each chunk goes out when its newest sample is
due, stamped with that time: t0 + i / rate). With --markers, a cue stream
carries "left" / "right" at each trial onset and "rest" at its end, so the
session can calibrate its decoder. With --counter the values are a counter
instead, so a consumer can check every value.

Protocol on stdout: "consumer" once every outlet has a consumer (pushing
starts then, or with --wait-go at the next line on stdin), then "done {json}" with what the peer achieved: samples pushed,
seconds from the first push to the last, the achieved rate, how late the
pushes were against the schedule, and the process CPU time.
"""

import argparse
import json
import sys
import time

import numpy as np
import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--markers", help="cue stream name (none if unset)")
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--chunk-ms", type=float, default=10.0)
    p.add_argument("--outlet-chunk", type=int, default=0, help="StreamOutlet chunk_size")
    p.add_argument("--trial-s", type=float, default=2.0)
    p.add_argument("--rest-s", type=float, default=0.5)
    p.add_argument("--linger-s", type=float, default=1.0)
    p.add_argument("--wait-go", action="store_true", help="start on a line on stdin")
    p.add_argument(
        "--counter",
        action="store_true",
        help="sample i, channel c carries (i * channels + c) mod 2**24 (exact in float32)",
    )
    a = p.parse_args()
    n_ch, rate = a.channels, a.rate
    info = pylsl.StreamInfo(a.name, "EEG", n_ch, rate, "float32", a.name + "-src")
    outlet = pylsl.StreamOutlet(info, a.outlet_chunk)
    cues = None
    if a.markers:
        minfo = pylsl.StreamInfo(a.markers, "Markers", 1, 0.0, "string", a.markers + "-src")
        cues = pylsl.StreamOutlet(minfo)

    period = int(rate)
    rng = np.random.default_rng(7)
    t = np.arange(period) / rate
    signal = rng.normal(0.0, 5.0, (period, n_ch)).astype(np.float32)
    signal += (10.0 * np.sin(2 * np.pi * 10.0 * t))[:, None].astype(np.float32)
    # Wrap-around room so every chunk is one contiguous slice.
    chunk = max(1, int(round(rate * a.chunk_ms / 1000.0)))
    signal = np.ascontiguousarray(np.concatenate([signal, signal[:chunk]]))

    for o in (outlet, cues):
        if o is not None and not o.wait_for_consumers(30.0):
            raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    if a.wait_go:
        sys.stdin.readline()

    total = int(a.seconds * rate)
    trial = int(a.trial_s * rate)
    cycle = trial + int(a.rest_s * rate)
    late = np.empty((total + chunk - 1) // chunk)
    cpu0 = time.process_time()
    t0 = pylsl.local_clock()
    for k, start in enumerate(range(0, total, chunk)):
        stop = min(start + chunk, total)
        due = t0 + (stop - 1) / rate
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        if cues is not None:
            # Cues whose sample lies in this chunk, stamped with its time.
            first = -(-start // cycle) * cycle
            for onset in range(first, stop, cycle):
                label = "left" if (onset // cycle) % 2 == 0 else "right"
                cues.push_sample([label], t0 + onset / rate)
            first = -(-(start - trial) // cycle) * cycle + trial
            for end in range(max(first, trial), stop, cycle):
                cues.push_sample(["rest"], t0 + end / rate)
        if a.counter:
            idx = np.arange(start, stop, dtype=np.int64)[:, None] * n_ch + np.arange(n_ch)
            outlet.push_chunk((idx % (1 << 24)).astype(np.float32), due, True)
        else:
            offset = start % period
            outlet.push_chunk(signal[offset : offset + stop - start], due, True)
        late[k] = pylsl.local_clock() - due
    t_end = pylsl.local_clock()
    cpu = time.process_time() - cpu0
    elapsed = t_end - t0
    report = {
        "pushed": total,
        "chunk": chunk,
        "elapsed_s": elapsed,
        "rate": total / elapsed,
        "late_p50_ms": float(np.percentile(late, 50) * 1e3),
        "late_p99_ms": float(np.percentile(late, 99) * 1e3),
        "late_max_ms": float(late.max() * 1e3),
        "cpu_s": cpu,
    }
    print("done " + json.dumps(report), flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
