"""A pylsl outlet with known content, for neuroloop's LSL inlet tests.

Sample i, channel c carries the value i * channels + c + --value-offset
(exact in float32 and int32). Waits for a consumer, pushes samples
--first .. --first + --samples - 1 paced in real time with explicit
timestamps (t0 + i / rate + --offset-ms on pylsl's local_clock, plus
Gaussian jitter of --jitter-ms, seeded, if set), writes the regular grid
t0 + i / rate + offset to --times-out (one per line), keeps the outlet up
--linger-s seconds, exits. t0 is --t0 if given (so that several peers share
one grid; --t0 stdin: read from stdin once the consumer is there), else the
local clock once the consumer is there.
"""

import argparse
import random
import sys
import time

import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="EEG")
    p.add_argument("--source-id", default="")
    p.add_argument("--rate", type=float, default=250.0)
    p.add_argument("--nan-count", type=int, default=0,
                   help="channel 0 of the first N samples is NaN (float32 only)")
    p.add_argument("--send-rate", type=float, default=None,
                   help="pace the pushes at this rate instead of --rate (timestamps keep --rate)")
    p.add_argument("--labels", required=True, help="comma-separated channel labels")
    p.add_argument("--unit", default="microvolts")
    p.add_argument("--samples", type=int, required=True)
    p.add_argument("--chunk", type=int, default=10)
    p.add_argument("--times-out", required=True)
    p.add_argument("--linger-s", type=float, default=2.0)
    p.add_argument("--consumer-timeout-s", type=float, default=30.0)
    p.add_argument("--format", default="float32", choices=["float32", "int32"])
    p.add_argument("--value-offset", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--t0", default=None)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--offset-ms", type=float, default=0.0)
    p.add_argument("--announce", action="store_true",
                   help='print "open" once the outlet exists (before any consumer)')
    a = p.parse_args()
    rng = random.Random(a.seed)

    labels = a.labels.split(",")
    n_ch = len(labels)
    info = pylsl.StreamInfo(a.name, a.type, n_ch, a.rate, a.format, a.source_id)
    chans = info.desc().append_child("channels")
    for label in labels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", a.unit)
        ch.append_child_value("type", a.type)
    outlet = pylsl.StreamOutlet(info)
    if a.announce:
        print("open", flush=True)
    if not outlet.wait_for_consumers(a.consumer_timeout_s):
        raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    if a.t0 is None:
        t0 = pylsl.local_clock()
    elif a.t0 == "stdin":
        t0 = float(sys.stdin.readline())
    else:
        t0 = float(a.t0)
    t0 += a.offset_ms * 1e-3
    times = []
    end = a.first + a.samples
    for start in range(a.first, end, a.chunk):
        stop = min(start + a.chunk, end)
        due = t0 + (stop - 1) / (a.send_rate or a.rate)
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        for i in range(start, stop):
            ts = t0 + i / a.rate
            jitter = 0.0
            if a.jitter_ms > 0:
                jitter = max(-3.0, min(3.0, rng.gauss(0.0, 1.0))) * a.jitter_ms * 1e-3
            values = [i * n_ch + c + a.value_offset for c in range(n_ch)]
            if i - a.first < a.nan_count:
                values[0] = float("nan")
            if a.format == "int32":
                values = [int(v) for v in values]
            outlet.push_sample(values, ts + jitter, i == stop - 1)
            times.append(ts)
    with open(a.times_out, "w") as f:
        f.write("\n".join(repr(t) for t in times) + "\n")
    print("done", flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
