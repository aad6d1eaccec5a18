"""A pylsl outlet that plays samples from a raw float32 file, for
neuroloop score's comparison with a live session.

The file holds sample-major float32 values (sample s, channel c at
s * channels + c). Prints "open" once the outlet exists and "consumer"
once an inlet is connected, then waits for a line on stdin before pushing,
so that the session's clients are connected first. Pushes chunks of
--chunk samples stamped t0 + i / rate (t0: the local clock at the start),
--speed times faster than real time, keeps the outlet up --linger-s
seconds, exits.
"""

import argparse
import array
import sys
import time

import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--samples-file", required=True)
    p.add_argument("--labels", required=True, help="comma-separated channel labels")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--chunk", type=int, default=16)
    p.add_argument("--speed", type=float, default=4.0)
    p.add_argument("--linger-s", type=float, default=1.0)
    p.add_argument("--consumer-timeout-s", type=float, default=30.0)
    a = p.parse_args()

    labels = a.labels.split(",")
    n_ch = len(labels)
    values = array.array("f")
    with open(a.samples_file, "rb") as f:
        values.frombytes(f.read())
    n = len(values) // n_ch
    info = pylsl.StreamInfo(a.name, "EEG", n_ch, a.rate, "float32", a.name)
    chans = info.desc().append_child("channels")
    for label in labels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
        ch.append_child_value("type", "EEG")
    outlet = pylsl.StreamOutlet(info, a.chunk)
    print("open", flush=True)
    if not outlet.wait_for_consumers(a.consumer_timeout_s):
        raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    sys.stdin.readline()
    t0 = pylsl.local_clock()
    start = time.monotonic()
    for first in range(0, n, a.chunk):
        last = min(first + a.chunk, n)
        due = start + (last - 1) / (a.rate * a.speed)
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        chunk = [values[s * n_ch:(s + 1) * n_ch].tolist() for s in range(first, last)]
        stamps = [t0 + s / a.rate for s in range(first, last)]
        outlet.push_chunk(chunk, stamps)
    print(f"pushed {n}", flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
