#!/usr/bin/env python3
"""An OpenBCI Cyton (optionally with Daisy) on a pseudo-terminal.

Standard library only. Creates a pty, points the symlink --link at its
device, answers the board's command set (v: banner ending in $$$, c, x...X,
b: start, s: stop) and, while streaming, sends 33-byte packets paced at
--rate packets per second by the clock (a pty ignores the baud rate).
Packet k carries sample number k mod 256 and, on channel c, the 24-bit
count ((k * 104729 + c * 1299709) mod 2^24) - 2^23, big-endian; or, with
--signal TRIAL_S, an in-range signal whose class alternates every TRIAL_S
seconds (class 0 first): on every channel a 10 Hz sinusoid (phase 0.7 rad
times the channel index), 20 uV on the class's channels (1-4 and 9-12 for
class 0, 5-8 and 13-16 for class 1) and 3 uV on the others, plus +-8 uV of
hashed noise, at gain 24. Every tenth packet (k mod 10 == 8) carries an
accelerometer reading (X, Y, Z counts of 0.125 mg), the others zeros, as
the board's firmware sends them. Exits after --packets packets have been
sent (0: never) or when stopped; with --hold it prints `sent N` after the
last packet and keeps the port open (answering nothing) until SIGTERM.

    python3 tools/serial/cyton_emulator.py --link /tmp/cyton --packets 1000
    python3 tools/serial/cyton_emulator.py --link /tmp/cyton --daisy --signal 3
"""

import argparse
import math
import os
import select
import signal
import sys
import time
import tty


UV_PER_COUNT = 4.5 / 24 / 8388607 * 1e6


def count(k, c):
    return (k * 104729 + c * 1299709) % (1 << 24) - (1 << 23)


def signal_count(k, c, daisy, trial_s):
    """The counts of the class-dependent signal (the test emulator's Signal)."""
    rate = 125.0 if daisy else 250.0
    if daisy:
        i, ch = k // 2, (8 + c if k % 2 == 0 else c)
    else:
        i, ch = k, c
    trial = math.floor(trial_s * rate + 0.5)
    cls = (i // trial) % 2
    t = i / rate
    amplitude = 20.0 if (ch % 8) // 4 == cls else 3.0
    h = (k * 2654435761 + ch * 40503 + 12345) % 1000003
    noise = (h / 1000003.0 - 0.5) * 16.0
    uv = amplitude * math.sin(2.0 * math.pi * 10.0 * t + 0.7 * ch) + noise
    return math.floor(uv / UV_PER_COUNT + 0.5)


def accelerometer(k):
    if k % 10 != 8:
        return bytes(6)
    r = k // 10
    axes = (r * 97 % 4001 - 2000, r * 53 % 4001 - 2000, 8000 - r % 100)
    return b"".join(a.to_bytes(2, "big", signed=True) for a in axes)


def packet(k, counts):
    body = bytearray([0xA0, k % 256])
    for c in range(8):
        body += (counts(k, c) & 0xFFFFFF).to_bytes(3, "big")
    body += accelerometer(k)
    body.append(0xC0)
    return bytes(body)


def banner(daisy):
    text = "OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n"
    if daisy:
        text += "On Daisy ADS1299 Device ID: 0x3E\n"
    return (text + "LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$").encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", required=True, help="symlink to create for the port")
    parser.add_argument("--rate", type=float, default=250.0, help="packets per second")
    parser.add_argument("--packets", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--daisy", action="store_true", help="report a Daisy in the banner")
    parser.add_argument(
        "--hold",
        action="store_true",
        help="after --packets, print `sent N` and keep the port open until SIGTERM",
    )
    parser.add_argument(
        "--signal",
        type=float,
        metavar="TRIAL_S",
        help="send the class-dependent signal, trials of TRIAL_S seconds",
    )
    args = parser.parse_args()
    if not args.rate > 0:
        parser.error("--rate must be positive")
    if args.signal is not None and not (math.isfinite(args.signal) and args.signal >= 0.05):
        parser.error("--signal must be at least 0.05 s")
    if args.signal is None:
        counts = count
    else:
        counts = lambda k, c: signal_count(k, c, args.daisy, args.signal)  # noqa: E731

    # A terminated emulator removes its link too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    master, slave = os.openpty()
    tty.setraw(slave)
    if os.path.lexists(args.link):
        os.remove(args.link)
    os.symlink(os.ttyname(slave), args.link)
    print(f"ready {args.link} -> {os.ttyname(slave)}", flush=True)

    daisy, streaming, k, sent, t0 = args.daisy, False, 0, 0, 0.0
    command = b""
    try:
        while args.packets == 0 or sent < args.packets:
            ready, _, _ = select.select([master], [], [], 0.001)
            if ready:
                for byte in os.read(master, 256):
                    c = bytes([byte])
                    if command:
                        command += c
                        if c == b"X":
                            os.write(master, b"Success: Channel set for %c$$$" % command[1])
                            command = b""
                    elif c == b"v":
                        streaming = False
                        os.write(master, banner(daisy))
                    elif c == b"c":
                        daisy = False
                        os.write(master, b"daisy removed$$$")
                    elif c == b"x":
                        command = c
                    elif c == b"b":
                        streaming, k, t0 = True, 0, time.monotonic()
                    elif c == b"s":
                        streaming = False
            while streaming and (time.monotonic() - t0) * args.rate >= k:
                os.write(master, packet(k, counts))
                k += 1
                sent += 1
                if args.packets and sent >= args.packets:
                    break
        if args.hold:
            print(f"sent {sent}", flush=True)
            while True:
                # Commands (the reader's `s` on stop) are read and dropped.
                if select.select([master], [], [], 1.0)[0]:
                    os.read(master, 256)
        # Let the reader take the last packets before the pty goes.
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        os.remove(args.link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
