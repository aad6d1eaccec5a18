"""Reference values for the XDF reader, from pyxdf.

Writes, next to the reader's tests (crates/neuroloop-formats/tests/fixtures/):
- xdf_synthetic.xdf: a small file written here with the standard library
  (struct), with what the shared example files lack: a 250 Hz stream with
  timestamp jitter, a missing-timestamp run, a break, clock offsets that
  drift, one outlier offset and a clock reset; an int16 stream; a string
  marker stream with multi-byte UTF-8; a footer on each stream.
- xdf_reference.json: pyxdf.load_xdf of that file and of the two shared
  files (../shared/data/xdf/), with its defaults (clocks synchronised,
  jitter removed) and with both off.

Run from the repository root with a Python that has pyxdf and numpy:
    python tools/formats/make_xdf_reference.py
"""

import json
import math
import pathlib
import random
import struct

import pyxdf

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/neuroloop-formats/tests/fixtures"
SHARED = ROOT.parent / "shared/data/xdf"


def varlen(n):
    if n < 256:
        return bytes([1, n])
    if n < 2**32:
        return bytes([4]) + struct.pack("<I", n)
    return bytes([8]) + struct.pack("<Q", n)


def chunk(tag, content, stream=None):
    body = struct.pack("<H", tag)
    if stream is not None:
        body += struct.pack("<I", stream)
    body += content
    return varlen(len(body)) + body


def header(name, kind, channels, rate, fmt, labels=None):
    desc = ""
    if labels:
        desc = "<desc><channels>" + "".join(
            f"<channel><label>{l}</label><unit>microvolts</unit></channel>" for l in labels
        ) + "</channels></desc>"
    return (
        '<?xml version="1.0"?><info>'
        f"<name>{name}</name><type>{kind}</type><channel_count>{channels}</channel_count>"
        f"<nominal_srate>{rate}</nominal_srate><channel_format>{fmt}</channel_format>"
        f"<source_id>{name}-src</source_id>{desc}</info>"
    ).encode()


def numeric_samples(fmt, rows, stamps):
    code = {"float32": "f", "double64": "d", "int16": "h"}[fmt]
    out = varlen(len(rows))
    for row, t in zip(rows, stamps):
        out += b"\x00" if t is None else b"\x08" + struct.pack("<d", t)
        out += struct.pack("<" + code * len(row), *row)
    return out


def string_samples(rows, stamps):
    out = varlen(len(rows))
    for row, t in zip(rows, stamps):
        out += b"\x00" if t is None else b"\x08" + struct.pack("<d", t)
        for value in row:
            raw = value.encode()
            out += varlen(len(raw)) + raw
    return out


def synthetic():
    rng = random.Random(7)
    data = b"XDF:" + chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    data += chunk(2, header("EEG", "EEG", 3, 250.0, "float32", ["C3", "Cz", "C4"]), 1)
    data += chunk(2, header("Counts", "Misc", 2, 100.0, "int16"), 2)
    data += chunk(2, header("Cues", "Markers", 1, 0.0, "string"), 3)
    t0, n = 1000.0, 0
    for block in range(40):
        rows, stamps = [], []
        for k in range(25):
            # a clock reset (the stream's clock jumps 100 s) from block 26,
            # a 5 s break from block 30
            t = t0 + n / 250.0 + (100.0 if block >= 26 else 0.0) + (5.0 if block >= 30 else 0.0)
            rows.append([math.sin(n / 10.0), 2.5 * n, -1e-3 * n])
            jitter = rng.uniform(-0.002, 0.002)
            # the second half of block 3 without timestamps (deduced)
            stamps.append(None if block == 3 and k >= 12 else t + jitter)
            n += 1
        data += chunk(3, numeric_samples("float32", rows, stamps), 1)
        rows = [[block * 10 + k, -block] for k in range(10)]
        data += chunk(3, numeric_samples("int16", rows, [t0 + block * 0.1 + k * 0.01 for k in range(10)]), 2)
        if block % 5 == 0:
            data += chunk(3, string_samples([["left"], ["größe → 1"]], [t0 + block * 0.1, t0 + block * 0.1 + 0.05]), 3)
        # clock offsets: a drift, one outlier, a reset after block 25
        when = t0 + block * 0.1 + 0.01
        value = -0.25 + 2e-4 * block + rng.uniform(-1e-5, 1e-5)
        if block == 17:
            value += 0.004
        if block >= 26:
            when += 100.0
            value += 30.0
        data += chunk(4, struct.pack("<dd", when, value), 1)
        data += chunk(4, struct.pack("<dd", when, 0.5 + 1e-4 * block), 2)
    data += chunk(5, bytes(range(16)))
    for sid, count in ((1, n), (2, 400), (3, 16)):
        footer = f'<?xml version="1.0"?><info><sample_count>{count}</sample_count></info>'
        data += chunk(6, footer.encode(), sid)
    return data


def dump(path, **kwargs):
    streams, fileheader = pyxdf.load_xdf(str(path), **kwargs)
    out = []
    for s in sorted(streams, key=lambda s: s["info"]["stream_id"]):
        info = s["info"]
        series = s["time_series"]
        if info["channel_format"][0] == "string":
            values = [list(row) for row in series]
        else:
            values = [[float(v) for v in row] for row in series]
        out.append(
            {
                "id": int(info["stream_id"]),
                "name": info["name"][0],
                "type": info["type"][0],
                "channel_count": int(info["channel_count"][0]),
                "nominal_srate": float(info["nominal_srate"][0]),
                "channel_format": info["channel_format"][0],
                "time_stamps": [float(t) for t in s["time_stamps"]],
                "values": values,
                "clock_times": [float(t) for t in s["clock_times"]],
                "clock_values": [float(v) for v in s["clock_values"]],
                "effective_srate": float(info["effective_srate"]),
            }
        )
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "xdf_synthetic.xdf").write_bytes(synthetic())
    files = {
        "xdf_synthetic.xdf": OUT / "xdf_synthetic.xdf",
        "minimal.xdf": SHARED / "minimal.xdf",
        "empty_streams.xdf": SHARED / "empty_streams.xdf",
    }
    reference = {"pyxdf": pyxdf.__version__, "files": {}}
    for name, path in files.items():
        reference["files"][name] = {
            "default": dump(path),
            "raw": dump(path, synchronize_clocks=False, dejitter_timestamps=False),
        }
    (OUT / "xdf_reference.json").write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()
