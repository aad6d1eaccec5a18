"""A pylsl EEG outlet with a labelled motor-imagery-like signal and a cue
marker stream, for neuroloop's LSL calibration test.

EEG: every channel carries Gaussian noise plus a 10 Hz (mu) and a 20 Hz
(beta) rhythm. During a "left" trial the rhythms over C4 drop to
--erd of their amplitude, during "right" those over C3. Cues: the class
label at each trial's onset and "rest" at its end, each stamped with the
timestamp of the sample where it happens. Starts when a line arrives on stdin (after the consumers connected);
paced in real time; seeded.
"""

import argparse
import math
import random
import sys
import time

import pylsl

LABELS = ["F3", "Fz", "F4", "C3", "Cz", "C4", "P3", "P4"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--markers", required=True)
    p.add_argument("--rate", type=float, default=250.0)
    p.add_argument("--duration-s", type=float, required=True)
    p.add_argument("--trial-s", type=float, default=3.0)
    p.add_argument("--rest-s", type=float, default=1.0)
    p.add_argument("--erd", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--consumer-timeout-s", type=float, default=30.0)
    a = p.parse_args()
    rng = random.Random(a.seed)

    info = pylsl.StreamInfo(a.name, "EEG", len(LABELS), a.rate, "float32", a.name + "-src")
    chans = info.desc().append_child("channels")
    for label in LABELS:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
        ch.append_child_value("type", "EEG")
    eeg = pylsl.StreamOutlet(info)
    minfo = pylsl.StreamInfo(a.markers, "Markers", 1, 0.0, "string", a.markers + "-src")
    cues = pylsl.StreamOutlet(minfo)
    for outlet in (eeg, cues):
        if not outlet.wait_for_consumers(a.consumer_timeout_s):
            raise SystemExit("no consumer connected")
    print("consumers", flush=True)
    sys.stdin.readline()  # the test says when to start

    n = int(a.duration_s * a.rate)
    period = int((a.trial_s + a.rest_s) * a.rate)
    task = int(a.trial_s * a.rate)
    c3, c4 = LABELS.index("C3"), LABELS.index("C4")
    phases = [rng.uniform(0, 2 * math.pi) for _ in LABELS]
    classes = []
    t0 = pylsl.local_clock() + 0.1
    chunk = 5
    for start in range(0, n, chunk):
        due = t0 + (start + chunk - 1) / a.rate
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        for i in range(start, min(start + chunk, n)):
            ts = t0 + i / a.rate
            trial, pos = divmod(i, period)
            if pos == 0:
                classes.append(rng.choice(["left", "right"]))
                cues.push_sample([classes[trial]], ts)
            elif pos == task:
                cues.push_sample(["rest"], ts)
            active = classes[trial] if pos < task else None
            sample = []
            for c in range(len(LABELS)):
                gain = 1.0
                if (active == "left" and c == c4) or (active == "right" and c == c3):
                    gain = a.erd
                t = i / a.rate
                mu = 10.0 * math.sin(2 * math.pi * 10.0 * t + phases[c])
                beta = 4.0 * math.sin(2 * math.pi * 20.0 * t + 2 * phases[c])
                sample.append(gain * (mu + beta) + rng.gauss(0.0, 3.0))
            eeg.push_sample(sample, ts)
    print("done", flush=True)
    time.sleep(1.0)


if __name__ == "__main__":
    main()
