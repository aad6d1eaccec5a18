"""An independent observer that checks the server's promises about intent age.

Written from docs/protocol.md alone, standard library only, sharing no code
with neuroloop_client.py. Usage:

    python3 intent_age_check.py HOST PORT

Connects as an observer and reads until the server closes or SIGTERM, then
prints one JSON object (the summary) as its last stdout line. Before that:
`connected` once the hello is read, `lagged` for each `lagged` error, and
one line per intent: `intent SEQ VALID_UNTIL ARRIVAL RECEIVED`, times on the
server's clock (RECEIVED is this host's CLOCK_MONOTONIC, the same clock when
both run on one Linux host).

What it checks (docs/protocol.md, sections 3.3, 4.1 and 5):
* every intent carries a finite `valid_until` equal to `t.arrival` plus the
  hello's `intent_max_age_ms`;
* the server never writes an intent after its `valid_until`: lines arrive in
  the order written, so an intent read after a heartbeat was written after
  that heartbeat's `t`, and its `valid_until` must not be earlier;
* no number is NaN, infinite or null where the spec requires a number, and
  a hold without a decode carries no probabilities;
* by the spec's client rule (server clock estimated from heartbeats), how
  many intents were already stale when read (a frozen or slow reader).
"""

import json
import math
import signal
import socket
import sys
import time


def refuse_constant(name):
    raise ValueError("non-JSON number %s" % name)


def finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def main(host, port):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.settimeout(0.1)
    buf = b""
    hello = None
    last_beat_t = None
    offset = None  # server minus local seconds, and when it was set
    s = {"intents": 0, "holds": 0, "heartbeats": 0, "lagged": 0, "violations": [],
         "stale_on_receipt": 0, "max_receipt_age_ms": 0.0, "max_age_ms": None}

    def violation(text):
        if len(s["violations"]) < 20:
            s["violations"].append(text)

    while not stop:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError as e:
            s["closed_by"] = "error: %s" % e
            break
        if not chunk:
            s["closed_by"] = "server"
            break
        buf += chunk
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            line = line.strip()
            if not line:
                continue
            local = time.monotonic()
            try:
                m = json.loads(line.decode("utf-8"), parse_constant=refuse_constant)
            except ValueError as e:
                violation("unparsable line %r: %s" % (line[:80], e))
                continue
            kind = m.get("type")
            if hello is None:
                if kind != "hello" or m.get("protocol") != "neuroloop":
                    violation("first line is not a neuroloop hello: %r" % (m,))
                hello = m
                s["max_age_ms"] = m.get("intent_max_age_ms")
                print("connected", flush=True)
                continue
            if kind == "heartbeat":
                s["heartbeats"] += 1
                if not finite(m.get("t")):
                    violation("heartbeat t not finite: %r" % (m,))
                    continue
                last_beat_t = m["t"]
                sample = m["t"] - local
                if offset is None:
                    offset = (sample, local)
                else:
                    decayed = offset[0] - 1e-3 * (local - offset[1])
                    offset = (max(sample, decayed), local)
            elif kind == "error" and m.get("code") == "lagged":
                s["lagged"] += 1
                print("lagged", flush=True)
            elif kind in ("intent", "hold"):
                s["intents" if kind == "intent" else "holds"] += 1
                check_numbers(m, violation)
                if kind != "intent":
                    continue
                until = m.get("valid_until")
                arrival = m.get("t", {}).get("arrival")
                if not (finite(until) and finite(arrival)):
                    violation("intent %s without a finite valid_until" % m.get("seq"))
                    continue
                age = s["max_age_ms"]
                if not isinstance(age, int) or abs(until - arrival - age / 1000.0) > 1e-3:
                    violation("intent %s: valid_until - arrival = %.4f s, hello says %r ms"
                              % (m["seq"], until - arrival, age))
                if last_beat_t is not None and until < last_beat_t:
                    violation("intent %s written after heartbeat t=%.4f but valid only until %.4f"
                              % (m["seq"], last_beat_t, until))
                if offset is not None:
                    now = local + offset[0] - 1e-3 * (local - offset[1])
                    if now > until:
                        s["stale_on_receipt"] += 1
                s["max_receipt_age_ms"] = max(s["max_receipt_age_ms"], (local - arrival) * 1e3)
                print("intent %d %.6f %.6f %.6f" % (m["seq"], until, arrival, local), flush=True)
    sock.close()
    print(json.dumps(s), flush=True)


def check_numbers(m, violation):
    seq = m.get("seq")
    probabilities = m.get("probabilities")
    confidence = m.get("confidence")
    if (probabilities is None) != (confidence is None):
        violation("%s: confidence and probabilities must come together" % seq)
    if probabilities is not None:
        if not (isinstance(probabilities, list) and probabilities
                and all(finite(p) and 0.0 <= p <= 1.0 for p in probabilities)):
            violation("%s: probabilities %r" % (seq, probabilities))
        elif abs(sum(probabilities) - 1.0) > 1e-3:
            violation("%s: probabilities sum to %r" % (seq, sum(probabilities)))
    if confidence is not None and not (finite(confidence) and 0.0 <= confidence <= 1.0):
        violation("%s: confidence %r" % (seq, confidence))
    if m.get("type") == "intent" and probabilities is None:
        violation("%s: an intent without probabilities" % seq)
    if m.get("hold_reason") == "calibrating" and probabilities is not None:
        violation("%s: a calibrating hold with probabilities %r" % (seq, probabilities))
    for key, value in (m.get("t") or {}).items():
        if not finite(value):
            violation("%s: t.%s = %r" % (seq, key, value))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
