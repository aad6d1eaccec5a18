"""Two pylsl outlets at one rate in one process, for neuroloop's aligned
inlets test: "EEG" (--eeg-channels, source id EEG-src) and "EMG"
(--emg-channels, source id EMG-src).

EEG sample i (channel c) is i * eeg_channels + c at t0 + i / rate. EMG
sample j (channel c) is 100000 + j * emg_channels + c at
t0 + (j + --lag) / rate + --offset-ms, so EEG sample i pairs with EMG sample
i - lag. Both are pushed in real time. From EEG sample --vanish-at the EMG
outlet is destroyed for --vanish-s seconds, then recreated with the same
source id; the EMG samples due meanwhile are never sent. Prints "consumers"
once both have an inlet, "back" when the EMG outlet is recreated, "done"
after the last sample; then keeps the outlets up --linger-s seconds.
"""

import argparse
import time

import pylsl


def outlet(name, kind, n_ch, rate, source_id):
    info = pylsl.StreamInfo(name, kind, n_ch, rate, "float32", source_id)
    chans = info.desc().append_child("channels")
    for c in range(n_ch):
        ch = chans.append_child("channel")
        ch.append_child_value("label", f"{kind}{c + 1}")
        ch.append_child_value("unit", "microvolts")
    return pylsl.StreamOutlet(info)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--eeg", required=True)
    p.add_argument("--emg", required=True)
    p.add_argument("--eeg-channels", type=int, default=8)
    p.add_argument("--emg-channels", type=int, default=2)
    p.add_argument("--rate", type=float, default=250.0)
    p.add_argument("--samples", type=int, required=True)
    p.add_argument("--lag", type=int, default=0)
    p.add_argument("--offset-ms", type=float, default=0.0)
    p.add_argument("--vanish-at", type=int, default=-1)
    p.add_argument("--vanish-s", type=float, default=1.0)
    p.add_argument("--linger-s", type=float, default=1.0)
    a = p.parse_args()

    eeg = outlet(a.eeg, "EEG", a.eeg_channels, a.rate, a.eeg + "-src")
    emg = outlet(a.emg, "EMG", a.emg_channels, a.rate, a.emg + "-src")
    for o in (eeg, emg):
        if not o.wait_for_consumers(30.0):
            raise SystemExit("no consumer connected")
    print("consumers", flush=True)
    t0 = pylsl.local_clock() + 0.1
    offset = a.offset_ms * 1e-3
    gone_until = None
    for i in range(a.samples):
        due = t0 + i / a.rate
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        eeg.push_sample([float(i * a.eeg_channels + c) for c in range(a.eeg_channels)], due)
        if i == a.vanish_at:
            emg = None
            gone_until = pylsl.local_clock() + a.vanish_s
        if emg is None and gone_until is not None and pylsl.local_clock() >= gone_until:
            emg = outlet(a.emg, "EMG", a.emg_channels, a.rate, a.emg + "-src")
            print("back", flush=True)
        j = i - a.lag
        if emg is not None and j >= 0:
            values = [100000.0 + j * a.emg_channels + c for c in range(a.emg_channels)]
            emg.push_sample(values, t0 + (j + a.lag) / a.rate + offset)
    print("done", flush=True)
    time.sleep(a.linger_s)


if __name__ == "__main__":
    main()
