#!/usr/bin/env python3
"""Write reference values of the Muse P300 CSV runs for the neuroloop-formats
CSV reader test (crates/neuroloop-formats/tests/csv.rs).

Counts are made with Python's csv module alone, independently of the reader:
data rows, header, rows per marker value, the row index of every non-zero
marker, per-channel sums and the first and last rows, and the rate the
timestamps imply, (n - 1) / (t_last - t_first).

    python3 tools/formats/make_muse_reference.py
"""

import csv
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "muse-p300"
OUT = ROOT / "crates" / "neuroloop-formats" / "tests" / "fixtures" / "muse-p300.json"


def describe(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index("timestamps")
    m = header.index("Marker")
    channels = [i for i in range(len(header)) if i not in (t, m)]
    times = [float(r[t]) for r in body]
    markers = [int(r[m]) for r in body]
    counts = {}
    for v in markers:
        counts[str(v)] = counts.get(str(v), 0) + 1
    return {
        "file": f"muse-p300/{path.name}",
        "header": header,
        "channels": [header[i] for i in channels],
        "rows": len(body),
        "marker_counts": counts,
        "marker_rows": [i for i, v in enumerate(markers) if v != 0],
        "marker_codes": [v for v in markers if v != 0],
        "channel_sums": [sum(float(r[i]) for r in body) for i in channels],
        "first_row": [float(body[0][i]) for i in channels],
        "last_row": [float(body[-1][i]) for i in channels],
        "measured_rate": (len(body) - 1) / (times[-1] - times[0]),
    }


def main():
    runs = [describe(DATA / f"subject1-run{r}.csv") for r in (1, 2, 3)]
    OUT.write_text(json.dumps(runs, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
