"""A pylsl inlet for neuroloop's LSL outlet tests.

Resolves the stream --name, pulls until --count samples arrived or
--timeout-s passed (or --idle-s without a sample, or a sample whose first
value contains --stop-at), and prints one JSON line per sample:
{"t": timestamp, "v": [values...], "r": local_clock() when pulled} (values
are strings for string streams).
Prints "ready" once connected (with --print-labels, then one line
"labels L1,L2,..." from the stream's desc/channels).
"""

import argparse
import json
import sys

import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout-s", type=float, default=30.0)
    p.add_argument("--idle-s", type=float, default=0.0,
                   help="stop once this long passes without a sample (after the first)")
    p.add_argument("--stop-at", default=None,
                   help="stop after a sample whose first value contains this text")
    p.add_argument("--print-labels", action="store_true")
    a = p.parse_args()
    found = pylsl.resolve_byprop("name", a.name, 1, a.timeout_s)
    if not found:
        raise SystemExit(f"stream {a.name!r} not found")
    inlet = pylsl.StreamInlet(found[0])
    inlet.open_stream(a.timeout_s)
    print("ready", flush=True)
    if a.print_labels:
        ch = inlet.info(a.timeout_s).desc().child("channels").child("channel")
        labels = []
        while not ch.empty():
            labels.append(ch.child_value("label"))
            ch = ch.next_sibling("channel")
        print("labels " + ",".join(labels), flush=True)
    deadline = pylsl.local_clock() + a.timeout_s
    got = 0
    last = None
    while got < a.count and pylsl.local_clock() < deadline:
        sample, ts = inlet.pull_sample(0.2)
        if sample is None:
            if a.idle_s > 0 and last is not None and pylsl.local_clock() - last > a.idle_s:
                break
            continue
        got += 1
        last = pylsl.local_clock()
        sys.stdout.write(json.dumps({"t": ts, "v": sample, "r": pylsl.local_clock()}) + "\n")
        sys.stdout.flush()
        if a.stop_at is not None and a.stop_at in str(sample[0]):
            break


if __name__ == "__main__":
    main()
