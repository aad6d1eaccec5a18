"""Epochs for tools/decode/bench_vs_pyriemann.py when neuroloop does not
export them (``--reference-only``, or a failed export): the recordings cut
as neuroloop_offline::cut does, the folds dealt as its
stratified_folds does, and the three export files read back."""

import json
import pathlib

import numpy as np
import scipy.signal as sig


class SplitMix:
    """SplitMix64, as neuroloop_offline::crossval."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        zone = self.MASK - self.MASK % n
        while True:
            x = self.next()
            if x < zone:
                return x % n


def stratified_folds(labels, n_classes, k, seed):
    """neuroloop's stratified_folds: per class (in class order) a seeded
    Fisher-Yates shuffle, then dealt round-robin, the deal continuing across
    classes."""
    rng = SplitMix(seed)
    fold_of = np.zeros(len(labels), dtype=int)
    nxt = 0
    for c in range(n_classes):
        idx = [i for i in range(len(labels)) if labels[i] == c]
        if len(idx) < k:
            raise ValueError(f"class {c} has {len(idx)} epochs, fewer than {k} folds")
        for i in range(len(idx) - 1, 0, -1):
            j = rng.below(i + 1)
            idx[i], idx[j] = idx[j], idx[i]
        for i in idx:
            fold_of[i] = nxt
            nxt = (nxt + 1) % k
    return fold_of


def filter_chain(text, fs, n_channels):
    """neuroloop --filters text -> a function filtering [T, C] causally
    (scipy.signal.sosfilt from a zero state, like the online chain)."""
    stages = []
    for stage in (s.strip() for s in text.split(";")):
        if not stage:
            continue
        w = stage.split()
        order = int(float(w[2])) if len(w) > 2 and w[0] != "notch" else 4
        if w[0] in ("bandpass", "bandstop"):
            lo, hi = (float(v) for v in w[1].split("-"))
            stages.append(("sos", sig.butter(order, [lo, hi], w[0], fs=fs, output="sos")))
        elif w[0] in ("highpass", "lowpass"):
            stages.append(("sos", sig.butter(order, float(w[1]), w[0], fs=fs, output="sos")))
        elif w[0] == "notch":
            q = float(w[2]) if len(w) > 2 else 30.0
            b, a = sig.iirnotch(float(w[1]), q, fs=fs)
            stages.append(("sos", sig.tf2sos(b, a)))
        elif w[0] == "car":
            stages.append(("car", None))
        else:
            raise ValueError(f"unknown filter stage {stage!r}")

    def run(x):
        for kind, sos in stages:
            if kind == "sos":
                x = sig.sosfilt(sos, x, axis=0)
            else:
                x = x - x.mean(axis=1, keepdims=True)
        return x

    return run


def read_recording(path, channels):
    """-> (data [T, C] float64, sample rate, channel names, events [(onset s, key)])."""
    path = pathlib.Path(path)
    if path.suffix.lower() == ".csv":
        with open(path) as f:
            header = f.readline().strip().split(",")
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        fs = 256.0  # nominal rate of the Muse 2016 (timestamps jitter)
        marker = table[:, header.index("Marker")]
        names = channels or [h for h in header if h not in ("timestamps", "Marker")]
        data = table[:, [header.index(n) for n in names]]
        events = [(i / fs, str(int(marker[i]))) for i in np.flatnonzero(marker)]
        return data, fs, names, events
    import mne

    mne.set_log_level("ERROR")
    reader = mne.io.read_raw_gdf if path.suffix.lower() == ".gdf" else mne.io.read_raw_edf
    raw = reader(path, preload=True)
    if channels:
        raw.pick(channels)
    data = raw.get_data().T * 1e6  # V -> uV (scale does not change the decoders)
    events = [(float(a["onset"]), str(a["description"]).strip()) for a in raw.annotations]
    return data, float(raw.info["sfreq"]), list(raw.ch_names), events


def cut_epochs_reference(args, task, out_dir):
    """Cuts epochs as neuroloop_offline::cut does and writes the
    export files: per recording the causal filter chain over the whole
    recording, then for each event the samples
    [round((onset + tmin) fs), + round((tmax - tmin) fs)), skipping windows
    that run past an end; recordings then events in order; classes in order
    of first appearance in the event mapping; folds as neuroloop deals them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = {k: None for k, _ in task.events}
    classes = []
    for k, c in task.events:
        if c not in classes:
            classes.append(c)
        keys[k] = classes.index(c)
    epochs, labels, rec_of = [], [], []
    fs0, names0 = None, None
    for r, rec in enumerate(task.recordings):
        data, fs, names, events = read_recording(pathlib.Path(args.data) / rec,
                                                 task.channels)
        if fs0 is None:
            fs0, names0 = fs, names
        assert fs == fs0 and names == names0, f"{rec}: rate or channels differ"
        x = filter_chain(task.filters, fs, data.shape[1])(data)
        n_samp = int(round((task.tmax - task.tmin) * fs))
        for onset, key in events:
            if key not in keys:
                continue
            start = int(round((onset + task.tmin) * fs))
            if start < 0 or start + n_samp > len(x):
                continue
            epochs.append(x[start:start + n_samp].T)
            labels.append(keys[key])
            rec_of.append(r)
    epochs = np.ascontiguousarray(np.array(epochs, dtype=np.float32))
    labels = np.array(labels, dtype=np.int64)
    folds = stratified_folds(labels, len(classes), args.folds, args.seed)
    np.save(out_dir / "epochs.npy", epochs)
    np.save(out_dir / "labels.npy", labels)
    meta = {
        "classes": classes,
        "sample_rate": fs0,
        "channels": names0,
        "folds": folds.tolist(),
        "n_folds": args.folds,
        "recordings": [str(pathlib.Path(args.data) / r) for r in task.recordings],
        "recording_of_epoch": rec_of,
        "cut_by": "bench_vs_pyriemann.py (reference)",
    }
    with open(out_dir / "meta.json", "w") as f:
        json.dump(meta, f, indent=1)


def load_export(out_dir):
    x = np.load(out_dir / "epochs.npy").astype(np.float64)
    y = np.load(out_dir / "labels.npy").astype(np.int64)
    with open(out_dir / "meta.json") as f:
        meta = json.load(f)
    assert x.ndim == 3 and len(x) == len(y) == len(meta["folds"])
    return x, y, meta
