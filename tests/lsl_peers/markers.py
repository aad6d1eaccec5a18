"""A pylsl string marker outlet, for neuroloop's marker-stream tests.

Opens an irregular one-channel string stream --name (source id --source-id,
empty by default), prints "consumer" once an inlet is connected, then pushes
every line read from stdin as one marker stamped local_clock() and prints
"pushed" (with --print-time: "pushed <timestamp>"); exits at the end of its
input.
"""

import argparse
import sys

import pylsl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--source-id", default="")
    p.add_argument("--consumer-timeout-s", type=float, default=30.0)
    p.add_argument("--print-time", action="store_true")
    a = p.parse_args()
    info = pylsl.StreamInfo(a.name, "Markers", 1, pylsl.IRREGULAR_RATE, "string", a.source_id)
    outlet = pylsl.StreamOutlet(info)
    if not outlet.wait_for_consumers(a.consumer_timeout_s):
        raise SystemExit("no consumer connected")
    print("consumer", flush=True)
    for line in sys.stdin:
        stamp = pylsl.local_clock()
        outlet.push_sample([line.strip()], stamp)
        print(f"pushed {stamp!r}" if a.print_time else "pushed", flush=True)


if __name__ == "__main__":
    main()
