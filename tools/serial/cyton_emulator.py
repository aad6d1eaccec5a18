#!/usr/bin/env python3
"""An OpenBCI Cyton (optionally with Daisy) on a pseudo-terminal.

Standard library only. Creates a pty, points the symlink --link at its
device, answers the board's command set (v: banner ending in $$$, c, x...X,
b: start, s: stop) and, while streaming, sends 33-byte packets paced at
--rate packets per second by the clock (a pty ignores the baud rate).
Packet k carries sample number k mod 256 and, on channel c, the 24-bit
count ((k * 104729 + c * 1299709) mod 2^24) - 2^23, big-endian. Exits after
--packets packets have been sent (0: never) or when stopped.

    python3 tools/serial/cyton_emulator.py --link /tmp/cyton --packets 1000
"""

import argparse
import os
import select
import signal
import sys
import time
import tty


def count(k, c):
    return (k * 104729 + c * 1299709) % (1 << 24) - (1 << 23)


def packet(k):
    body = bytearray([0xA0, k % 256])
    for c in range(8):
        body += (count(k, c) & 0xFFFFFF).to_bytes(3, "big")
    body += bytes(6)
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
    args = parser.parse_args()
    if not args.rate > 0:
        parser.error("--rate must be positive")

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
                os.write(master, packet(k))
                k += 1
                sent += 1
                if args.packets and sent >= args.packets:
                    break
        # Let the reader take the last packets before the pty goes.
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        os.remove(args.link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
