"""A pylsl outlet with known content, for neuroloop's LSL inlet tests.

Sample i, channel c carries the value i * channels + c (exact in float32).
Waits for a consumer, pushes the samples paced in real time with explicit
timestamps (t0 + i / rate on pylsl's local_clock), writes those timestamps
to --times-out (one per line), keeps the outlet up --linger-s seconds, exits.
"""

import argparse
import time

import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="EEG")
    p.add_argument("--source-id", default="")
    p.add_argument("--rate", type=float, default=250.0)
    p.add_argument("--labels", required=True, help="comma-separated channel labels")
    p.add_argument("--unit", default="microvolts")
    p.add_argument("--samples", type=int, required=True)
    p.add_argument("--chunk", type=int, default=10)
    p.add_argument("--times-out", required=True)
    p.add_argument("--linger-s", type=float, default=2.0)
    p.add_argument("--consumer-timeout-s", type=float, default=30.0)
    a = p.parse_args()

    labels = a.labels.split(",")
    n_ch = len(labels)
    info = pylsl.StreamInfo(a.name, a.type, n_ch, a.rate, "float32", a.source_id)
    chans = info.desc().append_child("channels")
    for label in labels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", a.unit)
        ch.append_child_value("type", a.type)
    outlet = pylsl.StreamOutlet(info)
    if not outlet.wait_for_consumers(a.consumer_timeout_s):
        raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    t0 = pylsl.local_clock()
    times = []
    for start in range(0, a.samples, a.chunk):
        stop = min(start + a.chunk, a.samples)
        due = t0 + (stop - 1) / a.rate
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        for i in range(start, stop):
            ts = t0 + i / a.rate
            outlet.push_sample([float(i * n_ch + c) for c in range(n_ch)], ts, i == stop - 1)
            times.append(ts)
    with open(a.times_out, "w") as f:
        f.write("\n".join(repr(t) for t in times) + "\n")
    print("done", flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
