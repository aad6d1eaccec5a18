"""End-to-end latency over LSL: a pylsl push → neuroloop's intent at a TCP
protocol client, and, in the same run, → the sample visible in an MNE-LSL
StreamLSL attached to the same outlet.

    .venv/bin/python tools/lsl/e2e_latency.py [--seconds 60] [--calibration-s 20]

Runs four processes on this machine (one clock, CLOCK_MONOTONIC, which
pylsl.local_clock() and neuroloop's clock both read):

* this one: a pylsl EEG outlet (8 channels, 250 Hz, the lsl-eeg-8 profile) and
  a cue outlet. Each sample is pushed on its own when it is due, stamped with
  its nominal time t0 + i / 250 (as an amplifier's clock would); the push
  time is local_clock() read just before push_sample.
* the release neuroloop binary on configs/bench-lsl-e2e.toml (stream names
  and port made unique per run), which calibrates its band-power decoder from
  the cues and then publishes one intent or hold per window;
* a TCP protocol client (--role client) that stamps every line with
  local_clock() on receipt;
* an MNE-LSL StreamLSL (--role mne; acquisition every 1 ms, polled every
  1 ms with n_new_samples / get_data) that stamps each sample when it first
  becomes visible.

An intent's t.sample is the (time-corrected) LSL timestamp of the newest
sample of its window, which identifies the pushed sample i: push → intent
is the client's receive time minus sample i's push time. The same for each
sample MNE-LSL returns: the poll time minus its push time. Needs mne-lsl
(tools/lsl/requirements-bench.txt) and `cargo build --release -p neuroloop-cli`.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pylsl

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["F3", "Fz", "F4", "C3", "Cz", "C4", "P3", "P4"]
RATE = 250.0


def role_client(a):
    """Reads protocol lines until bye/EOF; writes [recv, line] JSON rows."""
    deadline = time.monotonic() + 30
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", a.port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    sock.settimeout(None)
    print("connected", flush=True)
    rows, buf = [], b""
    while True:
        data = sock.recv(65536)
        now = pylsl.local_clock()
        if not data:
            break
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line.strip():
                rows.append((now, line.decode()))
    Path(a.out).write_text("\n".join(json.dumps(r) for r in rows))


def role_mne(a):
    """Polls a StreamLSL; writes (visible time, timestamp) per sample."""
    from mne_lsl.stream import StreamLSL

    stream = StreamLSL(bufsize=2.0, name=a.name).connect(acquisition_delay=0.001, timeout=10)
    print("connected", flush=True)
    seen_t, seen_ts = [], []
    last = -np.inf
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        n = stream.n_new_samples
        if n:
            # The whole buffer: a window of n / RATE seconds can round to
            # n - 1 samples; what was seen before is filtered out below.
            _, ts = stream.get_data()
            now = pylsl.local_clock()
            new = ts[ts > last]
            if new.size:
                last = new[-1]
                seen_ts.append(new)
                seen_t.append(np.full(new.size, now))
        time.sleep(0.001)
    stream.disconnect()
    np.save(a.out, np.stack([np.concatenate(seen_t), np.concatenate(seen_ts)]))


def signal_for(n, rng, trial, cycle):
    """MI-like EEG: mu + beta on every channel, attenuated over C4 during
    "left" trials and over C3 during "right" trials, plus noise."""
    t = np.arange(n) / RATE
    phases = rng.uniform(0, 2 * np.pi, len(LABELS))
    x = 10 * np.sin(2 * np.pi * 10 * t[:, None] + phases) + 4 * np.sin(
        2 * np.pi * 20 * t[:, None] + 2 * phases
    )
    pos = np.arange(n) % cycle
    left = ((np.arange(n) // cycle) % 2 == 0) & (pos < trial)
    right = ((np.arange(n) // cycle) % 2 == 1) & (pos < trial)
    x[left, LABELS.index("C4")] *= 0.3
    x[right, LABELS.index("C3")] *= 0.3
    return (x + rng.normal(0, 3, x.shape)).astype(np.float32)


def pct(v, p):
    return float(np.percentile(v, p)) * 1e3 if len(v) else float("nan")


def summary(label, v):
    v = np.asarray(v)
    return (
        f"{label}: n={len(v)} p50 {pct(v, 50):.3f} ms  p99 {pct(v, 99):.3f} ms  "
        f"max {pct(v, 100):.3f} ms"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["main", "client", "mne"], default="main")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--calibration-s", type=float, default=20.0)
    p.add_argument("--name")
    p.add_argument("--port", type=int)
    p.add_argument("--out")
    p.add_argument("--binary", default=str(ROOT / "target/release/neuroloop"))
    a = p.parse_args()
    if a.role == "client":
        return role_client(a)
    if a.role == "mne":
        return role_mne(a)

    tmp = Path(tempfile.mkdtemp(prefix="nl-e2e-"))
    tag = f"{os.getpid()}"
    eeg_name, cue_name = f"nl-e2e-eeg-{tag}", f"nl-e2e-cues-{tag}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = (ROOT / "configs/bench-lsl-e2e.toml").read_text()
    cfg = (
        cfg.replace('"neuroloop-e2e-eeg"', f'"{eeg_name}"')
        .replace('"neuroloop-e2e-cues"', f'"{cue_name}"')
        .replace('"127.0.0.1:7891"', f'"127.0.0.1:{port}"')
        .replace("calibration_s = 20.0", f"calibration_s = {a.calibration_s}")
        .replace('hardware_profile = "lsl-eeg-8"', f'hardware_profile = "{ROOT}/hardware-profiles/lsl-eeg-8.toml"')
    )
    cfg_path = tmp / "e2e.toml"
    cfg_path.write_text(cfg)

    info = pylsl.StreamInfo(eeg_name, "EEG", len(LABELS), RATE, "float32", eeg_name + "-src")
    chans = info.desc().append_child("channels")
    for label in LABELS:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
    eeg = pylsl.StreamOutlet(info)
    cues = pylsl.StreamOutlet(pylsl.StreamInfo(cue_name, "Markers", 1, 0.0, "string", cue_name + "-src"))

    n = int(a.seconds * RATE)
    trial, cycle = int(3.0 * RATE), int(4.0 * RATE)
    x = signal_for(n, np.random.default_rng(3), trial, cycle)
    me = [sys.executable, __file__]
    session = subprocess.Popen([a.binary, "run", str(cfg_path), "--report", str(tmp / "report.json")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    client = subprocess.Popen(me + ["--role", "client", "--port", str(port), "--out", str(tmp / "client.jsonl")],
                              stdout=subprocess.PIPE, text=True)
    mne = subprocess.Popen(me + ["--role", "mne", "--name", eeg_name, "--seconds", str(a.seconds + 3),
                                 "--out", str(tmp / "mne.npy")], stdout=subprocess.PIPE, text=True)
    for child in (client, mne):
        if child.stdout.readline().strip() != "connected":
            raise SystemExit("a peer did not connect")
    time.sleep(0.5)

    pushed = np.empty(n)
    late = np.empty(n)
    t0 = pylsl.local_clock() + 0.1
    for i in range(n):
        due = t0 + i / RATE
        delay = due - pylsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        ts = due  # nominal time, as an amplifier's clock would stamp it
        pos = i % cycle
        if pos == 0:
            cues.push_sample(["left" if (i // cycle) % 2 == 0 else "right"], ts)
        elif pos == trial:
            cues.push_sample(["rest"], ts)
        pushed[i] = pylsl.local_clock()
        eeg.push_sample(x[i], ts)
        late[i] = pushed[i] - due
    time.sleep(1.0)
    session.send_signal(signal.SIGTERM)
    report_text = session.communicate(timeout=30)[0]
    client.wait(timeout=30)
    mne.wait(timeout=30)

    # neuroloop: every intent/hold of a window, matched to its newest sample.
    rows = [json.loads(r) for r in (tmp / "client.jsonl").read_text().splitlines()]
    lat_all, lat_decoded, pub_decoded, unmatched, matched_idx = [], [], [], 0, []
    for recv, line in rows:
        m = json.loads(line)
        if m.get("type") not in ("intent", "hold") or m.get("hold_reason") == "signal_loss":
            continue
        ts = m["t"]["sample"]
        i = int(round((ts - t0) * RATE))
        if not 0 <= i < n or abs(t0 + i / RATE - ts) > 0.001:
            unmatched += 1
            continue
        lat_all.append(recv - pushed[i])
        if m.get("hold_reason") != "calibrating":
            lat_decoded.append(recv - pushed[i])
            pub_decoded.append(m["t"]["publish"] - pushed[i])
            matched_idx.append(i)
    # MNE-LSL: when each pushed sample first became visible.
    seen_t, seen_ts = np.load(tmp / "mne.npy")
    idx = np.clip(np.round((seen_ts - t0) * RATE).astype(np.int64), 0, n - 1)
    ok = np.abs(t0 + idx / RATE - seen_ts) < 1e-6
    mne_lat = seen_t[ok] - pushed[idx[ok]]
    by_sample = np.full(n, np.nan)
    by_sample[idx[ok]] = mne_lat
    mne_same = by_sample[matched_idx]
    mne_same = mne_same[~np.isnan(mne_same)]

    print(f"pushed {n} samples at {RATE:g} Hz one per push; push lateness p99 {pct(late, 99):.3f} ms")
    print(summary("neuroloop push → intent at TCP client, all windows", lat_all))
    print(summary("neuroloop push → intent at TCP client, decoding windows", lat_decoded))
    print(summary("neuroloop push → t.publish, decoding windows", pub_decoded))
    print(f"unmatched intents: {unmatched}")
    print(summary("MNE-LSL push → visible in StreamLSL, all samples", mne_lat)
          + f" ({ok.sum()} of {n} samples seen)")
    print(summary("MNE-LSL push → visible, the samples that ended decoding windows", mne_same))
    print("neuroloop report:\n" + "\n".join(report_text.splitlines()[-10:]))


if __name__ == "__main__":
    main()
