#!/usr/bin/env python3
"""Write MNE reference values for the neuroloop-formats reader tests.

Reads real recordings from ../shared/data with MNE (read_raw_edf, read_raw_gdf)
and writes small JSON fixtures into crates/neuroloop-formats/tests/fixtures/:
channel names, sampling rate, number of samples, data excerpts (first samples
and samples at fixed indices for several channels, in the volts MNE reports),
per-channel RMS and mean absolute value over the whole recording,
annotations and, for GDF, the raw event table.

MNE is not a test dependency: install it into the venv by hand
(`.venv/bin/pip install mne`) and rerun this script when the readers' reference
behaviour must be regenerated:

    .venv/bin/python tools/formats/make_reference.py
"""

import json
import pathlib

import mne
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "crates" / "neuroloop-formats" / "tests" / "fixtures"

FIRST = 10
INDICES = [0, 1, 159, 160, 1000, 4321, 10000, 12345]


def excerpt(raw, channels):
    data = raw.get_data()
    n = raw.n_times
    idx = sorted({i for i in INDICES if i < n} | {n - 1})
    rows = []
    for ch in channels:
        k = raw.ch_names.index(ch)
        rows.append(
            {
                "channel": ch,
                "index": k,
                "first": [float(v) for v in data[k, :FIRST]],
                "at": [[int(i), float(data[k, i])] for i in idx],
            }
        )
    return rows


def base(raw, path, channels):
    return {
        "file": str(path.relative_to(DATA.parent.parent)),
        "mne_version": mne.__version__,
        "units": "volts (MNE scales uV channels by 1e-6)",
        "ch_names": list(raw.ch_names),
        "sfreq": float(raw.info["sfreq"]),
        "n_times": int(raw.n_times),
        "excerpts": excerpt(raw, channels),
        # Whole-signal checks for every channel: root mean square and mean
        # absolute value over all samples, in volts.
        "rms": [float(v) for v in np.sqrt(np.mean(raw.get_data() ** 2, axis=1))],
        "mean_abs": [float(v) for v in np.mean(np.abs(raw.get_data()), axis=1)],
        "annotations": [
            {"onset": float(a["onset"]), "duration": float(a["duration"]), "description": str(a["description"])}
            for a in raw.annotations
        ],
    }


def edf(name, channels):
    path = DATA / "physionet-eegmmidb" / name
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    return base(raw, path, channels)


def gdf(name, channels):
    path = DATA / "ssvep-kalunga2016" / name
    raw = mne.io.read_raw_gdf(path, preload=True, verbose="error")
    out = base(raw, path, channels)
    extras = raw._raw_extras[0]
    n_ev, pos, typ, _chn, dur = extras["events"][:5]
    out["events"] = {
        "count": int(n_ev),
        "position_zero_based": [int(p) for p in pos],
        "type": [int(t) for t in typ],
        "duration_samples": [int(d) for d in dur],
    }
    out["cal"] = [float(c) for c in np.atleast_1d(extras["cal"])]
    out["offsets"] = [float(c) for c in np.atleast_1d(extras["offsets"])]
    return out


def write(name, obj):
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=1)
    (OUT / name).write_text(text + "\n")
    print(f"{name}: {len(text)} bytes")


def main():
    eeg = ["Fc5.", "Cz..", "C3..", "C4..", "Fp1.", "Iz.."]
    write("S001R04.edf.json", edf("S001R04.edf", eeg))
    write("S001R06.edf.json", edf("S001R06.edf", eeg))
    write("subject03-session1.gdf.json", gdf("subject03-session1.gdf", ["Oz", "O1", "POz", "PO4"]))


if __name__ == "__main__":
    main()
