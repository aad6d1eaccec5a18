"""Covariance decoders of neuroloop against pyriemann / MNE / scikit-learn on
the real recordings in ../shared/data (see its README.md), on the same epochs
and the same folds, in one run.

For each task (table TASKS below) the script

1. gets the epochs: ``neuroloop evaluate ... --export-epochs DIR`` writes
   DIR/epochs.npy (float32 [n, C, T], C order, after neuroloop's causal filter
   chain), DIR/labels.npy (int64 [n]) and DIR/meta.json ({"classes",
   "sample_rate", "channels", "folds" (fold index of each epoch), "n_folds",
   "recordings", "recording_of_epoch"}). With ``--reference-only``, or when
   the export fails, the script cuts the same epochs itself (see
   ``cut_epochs_reference``) and writes the same three files;
2. runs the reference pipelines (``make_pipelines``) on exactly those
   epochs: within-recording (the exported k folds) and cross-recording (the
   task's ``cross`` splits: fit on the training recordings' epochs, score
   the test recording's); scores: accuracy (mean ± sample SD over folds, and
   pooled over every held-out prediction), balanced accuracy, ROC-AUC of the
   second class (two classes), fit time (sum over folds) and predict time
   per epoch;
3. runs ``neuroloop evaluate --json`` for each architecture (``ARCHS_BY_KIND``
   or ``--architectures``) on the same recordings, events, window, filters,
   folds and seed (checking that neuroloop's fold_of equals the exported
   folds), and ``neuroloop evaluate --test-recording ... --json`` for each
   cross-recording split, reading the same scores and neuroloop's own
   fit_seconds / predict_ms_per_epoch;
4. prints the markdown report (``bench_report.py``: best of each side per
   task, then every pipeline within and across recordings) and, with
   ``--write-docs``, replaces the marker-delimited block of the section
   "Decoding against pyriemann/MNE" in docs/benchmarks.md (appending the
   section the first time).

Cross-recording splits: MI left/right R04 -> R08 and R08 -> R04 (mean of
both); MI hands/feet R06 -> R10; SSVEP subject 03 session 1 -> 2 and
2 -> 1 (subject 01 has one session: none); P300 runs 1 + 2 -> 3.

The neuroloop command lines are built in one place, ``neuroloop_command``;
adapt it when the CLI changes.

Run from the repository root (venv of tools/decode/requirements-reference.txt):

    <venv>/bin/python tools/decode/bench_vs_pyriemann.py --reference-only
    <venv>/bin/python tools/decode/bench_vs_pyriemann.py \\
        --neuroloop target/release/neuroloop [--write-docs]

Options: --tasks NAME,... (default all), --folds 5, --seed 0, --data DIR
(default ../shared/data), --work DIR (default target/bench-vs-pyriemann).

Reference pipelines (pyriemann 0.12, mne 1.13.2, scikit-learn 1.9.1):
* CSP+LDA: mne.decoding.CSP(n_components=4, reg="ledoit_wolf", log=True,
  norm_trace=False) -> LinearDiscriminantAnalysis(solver="lsqr",
  shrinkage="auto"). For more than two classes MNE's CSP uses approximate
  joint diagonalisation (Pham) of all class covariances, ordered by mutual
  information, not one-vs-rest.
* TS+LR: pyriemann Covariances("lwf") -> TangentSpace(metric="riemann")
  -> LogisticRegression(C=1.0).
* MDM: Covariances("lwf") -> MDM(metric="riemann").
* FBCSP+LDA: per band of the task's filter bank, a CSP as above (log
  variance of 4 components); the features of all bands concatenated
  -> LDA (lsqr, auto shrinkage).
* FB-TS+LR: per band, Covariances("lwf") -> TangentSpace; tangent vectors of
  all bands concatenated -> LogisticRegression(C=1.0).
  Filter bank: 4th-order Butterworth band-pass per band applied to each epoch
  with scipy.signal.sosfiltfilt (zero phase, within the epoch). MI: 8-12,
  12-16, ..., 28-32 Hz; SSVEP: ±1 Hz around 13, 17, 21 Hz and their second
  harmonics 26, 34, 42 Hz; P300: none (not run).
* xDAWN+TS+LR and xDAWN+MDM (P300 only): pyriemann XdawnCovariances(
  nfilter=2, estimator="lwf", xdawn_estimator="lwf") -> TangentSpace ->
  LogisticRegression(C=1.0), or -> MDM (pyriemann's P300 examples; neuroloop's
  xdawn_tangent_space / xdawn_mdm).
* ERPCov+MDM (P300 only): ERPCovariances(estimator="lwf") -> MDM, the
  eeg-notebooks P300 pipeline.

The reference side runs with one BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS=1
unless set); fit times are summed over the folds, predict times are per
epoch, both wall-clock.
"""

import os

# One BLAS thread: the times compare single-threaded work, and on a shared,
# loaded machine multi-threaded BLAS on small matrices is ~10x slower.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.signal as sig  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_report  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS_BEGIN = "<!-- bench_vs_pyriemann: begin (generated by tools/decode/bench_vs_pyriemann.py) -->"
DOCS_END = "<!-- bench_vs_pyriemann: end -->"
DOCS_SECTION = "## Decoding against pyriemann/MNE on the same epochs"

MI_BANDS = [(8, 12), (12, 16), (16, 20), (20, 24), (24, 28), (28, 32)]
SSVEP_FREQS = [13.0, 17.0, 21.0, 26.0, 34.0, 42.0]
SSVEP_BANDS = [(f - 1.0, f + 1.0) for f in SSVEP_FREQS]


@dataclasses.dataclass
class Task:
    name: str  # short id, also the work sub-directory
    label: str  # table label
    recordings: list  # paths relative to the data directory
    events: list  # (event key, class name), class order = first appearance
    tmin: float
    tmax: float
    filters: str  # neuroloop --filters syntax
    kind: str  # "mi", "ssvep", "p300"
    channels: list = None  # None: all channels
    bandpower_bands: str = ""  # neuroloop --bands for the bandpower architecture
    # Cross-recording splits: (training recording indices, test indices).
    cross: list = dataclasses.field(default_factory=list)

    @property
    def events_arg(self):
        return ",".join(f"{k}={c}" for k, c in self.events)

    @property
    def metric(self):
        """The score the task is judged by: ROC-AUC for the imbalanced P300,
        accuracy otherwise."""
        return "auc" if self.kind == "p300" else "acc"

    @property
    def fb_bands(self):
        return {"mi": MI_BANDS, "ssvep": SSVEP_BANDS}.get(self.kind)


MI_BP = "8-13,13-30"
SSVEP_BP = "12.5-13.5,16.5-17.5,20.5-21.5,25.5-26.5,33.5-34.5,41.5-42.5"
SSVEP_EVENTS = [("33024", "rest"), ("33025", "13Hz"), ("33026", "21Hz"), ("33027", "17Hz")]
MI_WINDOW = dict(tmin=0.5, tmax=4.0, filters="bandpass 4-40")
SSVEP_WINDOW = dict(tmin=1.0, tmax=5.0, filters="bandpass 5-45")

TASKS = [
    Task("mi-left-right", "MI left vs right (S001 R04+R08)",
         ["physionet-eegmmidb/S001R04.edf", "physionet-eegmmidb/S001R08.edf"],
         [("T1", "left"), ("T2", "right")], kind="mi", bandpower_bands=MI_BP,
         cross=[([0], [1]), ([1], [0])], **MI_WINDOW),
    Task("mi-hands-feet", "MI hands vs feet (S001 R06+R10)",
         ["physionet-eegmmidb/S001R06.edf", "physionet-eegmmidb/S001R10.edf"],
         [("T1", "hands"), ("T2", "feet")], kind="mi", bandpower_bands=MI_BP,
         cross=[([0], [1])], **MI_WINDOW),
    Task("ssvep-s01", "SSVEP 4 classes (subject 01, 1 session)",
         ["ssvep-kalunga2016/subject01-session1.gdf"], SSVEP_EVENTS, kind="ssvep",
         bandpower_bands=SSVEP_BP, **SSVEP_WINDOW),
    Task("ssvep-s03", "SSVEP 4 classes (subject 03, 2 sessions)",
         ["ssvep-kalunga2016/subject03-session1.gdf",
          "ssvep-kalunga2016/subject03-session2.gdf"], SSVEP_EVENTS, kind="ssvep",
         bandpower_bands=SSVEP_BP, cross=[([0], [1]), ([1], [0])], **SSVEP_WINDOW),
    # Muse: 4 EEG channels (Right AUX left out), nominal 256 Hz; marker 1 =
    # non-target, 2 = target; 0-0.8 s after the flash, 1-30 Hz (the window
    # and band of the eeg-notebooks P300 analysis of these runs, which
    # starts at -0.1 s for a baseline the covariance decoders do not use).
    Task("p300-muse", "P300 Muse (subject 1, 3 runs)",
         ["muse-p300/subject1-run1.csv", "muse-p300/subject1-run2.csv",
          "muse-p300/subject1-run3.csv"],
         [("1", "nontarget"), ("2", "target")], tmin=0.0, tmax=0.8,
         filters="bandpass 1-30", kind="p300",
         channels=["TP9", "AF7", "AF8", "TP10"], bandpower_bands="1-4,4-8,8-13",
         cross=[([0, 1], [2])]),
]

# The architectures run per kind of task (--architectures overrides).
ARCHS_BY_KIND = {
    "mi": ["csp_lda", "tangent_space", "mdm", "fbcsp", "fb_tangent_space", "bandpower"],
    "ssvep": ["csp_lda", "tangent_space", "mdm", "fbcsp", "fb_tangent_space",
              "stacked_tangent_space", "cca_lr", "bandpower"],
    "p300": ["xdawn_tangent_space", "xdawn_mdm", "erp_tangent_space", "erp_mdm",
             "tangent_space", "mdm", "csp_lda"],
}

# Which reference pipeline each neuroloop architecture is compared with.
ARCH_PAIR = {
    "csp_lda": "CSP+LDA",
    "tangent_space": "TS+LR",
    "mdm": "MDM",
    "fbcsp": "FBCSP+LDA",
    "fb_tangent_space": "FB-TS+LR",
    "xdawn_tangent_space": "xDAWN+TS+LR",
    "xdawn_mdm": "xDAWN+MDM",
    "erp_mdm": "ERPCov+MDM",
    "bandpower": None,
}

# Architectures that take the task's filter bank (the reference's bands) as
# hyperparameters; "fb_tangent_space" is neuroloop's tangent_space with a bank.
FILTER_BANK_ARCHS = {"fbcsp": "fbcsp", "fb_tangent_space": "tangent_space",
                     "stacked_tangent_space": "stacked_tangent_space"}


# --------------------------------------------------------------------------
# The neuroloop side: command lines (one place to adapt to the CLI)
# --------------------------------------------------------------------------


def neuroloop_command(binary, task, data, *, folds, seed, architecture=None,
                      export_dir=None, json_out=False, split=None):
    """The ``neuroloop evaluate`` command line for ``task``.

    ``export_dir``: ask for the epoch export (``--export-epochs DIR``);
    ``architecture``: the decoder to cross-validate (an export run uses the
    cheap bandpower decoder unless the CLI lets it go without one);
    ``split``: (training, test) recording indices for a cross-recording run
    (``--test-recording``) instead of the k folds.
    """
    cmd = [str(binary), "evaluate"]
    train, test = split if split else (range(len(task.recordings)), [])
    for i in train:
        cmd += ["--recording", str(pathlib.Path(data) / task.recordings[i])]
    for i in test:
        cmd += ["--test-recording", str(pathlib.Path(data) / task.recordings[i])]
    cmd += ["--events", task.events_arg, "--tmin", repr(task.tmin),
            "--tmax", repr(task.tmax), "--filters", task.filters,
            "--folds", str(folds), "--seed", str(seed)]
    if task.channels:
        cmd += ["--channels", ",".join(task.channels)]
    arch = architecture or ("bandpower" if export_dir else None)
    if arch in FILTER_BANK_ARCHS:
        bands = [[float(lo), float(hi)] for lo, hi in (task.fb_bands or [])]
        cmd += ["--architecture", FILTER_BANK_ARCHS[arch]]
        if bands:
            cmd += ["--hyperparameters", json.dumps({"bands_hz": bands})]
    elif arch:
        cmd += ["--architecture", arch]
        if arch == "bandpower":
            cmd += ["--bands", task.bandpower_bands]
    if export_dir:
        cmd += ["--export-epochs", str(export_dir)]
    if json_out:
        cmd += ["--json"]
    return cmd


def run_command(cmd):
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return proc, time.perf_counter() - started


def export_epochs_neuroloop(args, task, out_dir):
    """Runs the export; returns None on success, else a one-line reason."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in ("epochs.npy", "labels.npy", "meta.json"):
        (out_dir / f).unlink(missing_ok=True)
    cmd = neuroloop_command(args.neuroloop, task, args.data, folds=args.folds,
                            seed=args.seed, export_dir=out_dir)
    try:
        proc, _ = run_command(cmd)
    except OSError as e:
        return f"cannot run {args.neuroloop}: {e}"
    missing = [f for f in ("epochs.npy", "labels.npy", "meta.json")
               if not (out_dir / f).exists()]
    if proc.returncode != 0 or missing:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        why = lines[-1] if lines else f"exit {proc.returncode}, missing {missing}"
        return f"export failed: {why}"
    return None


def run_json(cmd):
    """Runs a ``--json`` command -> (parsed last line, wall seconds) or {"error"}."""
    try:
        proc, wall = run_command(cmd)
    except OSError as e:
        return {"error": f"cannot run: {e}"}, 0.0
    if proc.returncode != 0:
        lines = (proc.stderr or "").strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {proc.returncode}"}, wall
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), wall
    except (ValueError, IndexError) as e:
        return {"error": f"unreadable JSON: {e}"}, wall


def neuroloop_evaluate(args, task, arch, folds_expected):
    """``neuroloop evaluate --json`` (k folds) for one architecture -> a result dict."""
    out, wall = run_json(neuroloop_command(args.neuroloop, task, args.data, folds=args.folds,
                                           seed=args.seed, architecture=arch, json_out=True))
    if "error" in out:
        return out
    cv = out["cv"]
    res = {
        "acc_mean": cv["accuracy_mean"],
        "acc_sd": cv["accuracy_sd"],
        "acc_pooled": cv["accuracy_pooled"],
        "bacc_mean": cv["balanced_accuracy_mean_sd"][0],
        "bacc_pooled": cv["balanced_accuracy_pooled"],
        "auc": cv["auc_mean_sd"][0] if cv.get("auc_mean_sd") else None,
        "fit_s": out["fit_seconds"],
        "predict_ms_per_epoch": out["predict_ms_per_epoch"],
        "seconds": out.get("seconds", wall),
    }
    if folds_expected is not None and list(cv.get("fold_of", [])) != list(folds_expected):
        res["warning"] = "neuroloop's folds differ from the exported folds"
    return res


def neuroloop_cross(args, task, arch):
    """``neuroloop evaluate --test-recording --json`` for every split of the
    task -> per-split results and their mean."""
    splits = []
    for split in task.cross:
        out, _ = run_json(neuroloop_command(args.neuroloop, task, args.data, folds=args.folds,
                                            seed=args.seed, architecture=arch, json_out=True,
                                            split=split))
        if "error" in out:
            return out
        h = out["held_out"]
        splits.append({"n_test": h["n_test"], "acc": h["accuracy"], "bacc": h["balanced_accuracy"], "auc": h["auc"],
                       "fit_s": out["fit_seconds"],
                       "predict_ms_per_epoch": out["predict_ms_per_epoch"]})
    return mean_of_splits(splits)


def mean_of_splits(splits):
    def mean(key):
        vals = [r[key] for r in splits]
        return None if any(v is None for v in vals) else float(np.mean(vals))

    return {"splits": splits, **{k: mean(k) for k in
                                 ("n_test", "acc", "bacc", "auc", "fit_s",
                                  "predict_ms_per_epoch")}}


# --------------------------------------------------------------------------
# Reference epoch cutting (the --reference-only path, and the fallback)
# --------------------------------------------------------------------------


class SplitMix:
    """SplitMix64, as neuroloop_runtime::offline::crossval."""

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
    """Cuts epochs as neuroloop_runtime::offline::cut does and writes the
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


# --------------------------------------------------------------------------
# Reference pipelines
# --------------------------------------------------------------------------


def make_pipelines(task, fs):
    """name -> factory of a fresh sklearn estimator, for this task."""
    import mne
    from mne.decoding import CSP
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances, ERPCovariances, XdawnCovariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.base import BaseEstimator, TransformerMixin, clone
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    mne.set_log_level("ERROR")

    def lda():
        return LDA(solver="lsqr", shrinkage="auto")

    def lr():
        return LogisticRegression(C=1.0, max_iter=1000)

    def csp():
        return CSP(n_components=4, reg="ledoit_wolf", log=True, norm_trace=False)

    class FilterBank(BaseEstimator, TransformerMixin):
        """Per band: zero-phase band-pass of each epoch, then ``inner``;
        the features of all bands concatenated."""

        def __init__(self, bands, inner, fs):
            self.bands, self.inner, self.fs = bands, inner, fs

        def _band(self, x, band):
            sos = sig.butter(4, band, "bandpass", fs=self.fs, output="sos")
            return sig.sosfiltfilt(sos, x, axis=-1)

        def fit(self, x, y):
            self.fitted_ = [clone(self.inner).fit(self._band(x, b), y) for b in self.bands]
            return self

        def transform(self, x):
            return np.concatenate(
                [m.transform(self._band(x, b)) for m, b in zip(self.fitted_, self.bands)],
                axis=1)

    pipes = {
        "CSP+LDA": lambda: make_pipeline(csp(), lda()),
        "TS+LR": lambda: make_pipeline(Covariances("lwf"), TangentSpace(metric="riemann"), lr()),
        "MDM": lambda: make_pipeline(Covariances("lwf"), MDM(metric="riemann")),
    }
    if task.fb_bands:
        bands = task.fb_bands
        pipes["FBCSP+LDA"] = lambda: make_pipeline(FilterBank(bands, csp(), fs), lda())
        pipes["FB-TS+LR"] = lambda: make_pipeline(
            FilterBank(bands, make_pipeline(Covariances("lwf"),
                                            TangentSpace(metric="riemann")), fs), lr())
    if task.kind == "p300":
        def xdawn():
            return XdawnCovariances(nfilter=2, estimator="lwf", xdawn_estimator="lwf")

        pipes["xDAWN+TS+LR"] = lambda: make_pipeline(xdawn(), TangentSpace(metric="riemann"), lr())
        pipes["xDAWN+MDM"] = lambda: make_pipeline(xdawn(), MDM(metric="riemann"))
        pipes["ERPCov+MDM"] = lambda: make_pipeline(ERPCovariances(estimator="lwf"),
                                                    MDM(metric="riemann"))
    return pipes


def evaluate_split(factory, x, y, split_of, n_classes):
    """Cross-validates over the groups of ``split_of`` (each group held out once)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    accs, baccs, aucs, fit_s, pred_s = [], [], [], 0.0, 0.0
    predicted = np.zeros(len(y), dtype=int)
    for g in np.unique(split_of):
        test = split_of == g
        model = factory()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x[~test], y[~test])
            t1 = time.perf_counter()
            proba = model.predict_proba(x[test])
        t2 = time.perf_counter()
        fit_s += t1 - t0
        pred_s += t2 - t1
        pred = np.argmax(proba, axis=1)
        predicted[test] = pred
        accs.append(float(np.mean(pred == y[test])))
        baccs.append(float(balanced_accuracy_score(y[test], pred)))
        if n_classes == 2 and len(np.unique(y[test])) == 2:
            aucs.append(float(roc_auc_score(y[test] == 1, proba[:, 1])))
    return {
        "acc_mean": float(np.mean(accs)),
        "acc_sd": float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0,
        "acc_pooled": float(np.mean(predicted == y)),
        "acc_folds": accs,
        "bacc_mean": float(np.mean(baccs)),
        "bacc_pooled": float(balanced_accuracy_score(y, predicted)),
        "auc": float(np.mean(aucs)) if n_classes == 2 and aucs else None,
        "fit_s": fit_s,
        "predict_ms_per_epoch": 1e3 * pred_s / len(y),
    }


def reference_cross(factory, x, y, rec_of, task, n_classes):
    """The task's cross-recording splits for one reference pipeline."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    splits = []
    for train_recs, test_recs in task.cross:
        train, test = np.isin(rec_of, train_recs), np.isin(rec_of, test_recs)
        model = factory()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x[train], y[train])
            t1 = time.perf_counter()
            proba = model.predict_proba(x[test])
        t2 = time.perf_counter()
        pred = np.argmax(proba, axis=1)
        auc = (float(roc_auc_score(y[test] == 1, proba[:, 1]))
               if n_classes == 2 and len(np.unique(y[test])) == 2 else None)
        splits.append({"n_test": int(test.sum()), "acc": float(np.mean(pred == y[test])),
                       "bacc": float(balanced_accuracy_score(y[test], pred)), "auc": auc,
                       "fit_s": t1 - t0, "predict_ms_per_epoch": 1e3 * (t2 - t1) / test.sum()})
    return mean_of_splits(splits)


def write_docs(path, block):
    text = path.read_text() if path.exists() else ""
    body = f"{DOCS_BEGIN}\n{block.rstrip()}\n{DOCS_END}"
    if DOCS_BEGIN in text and DOCS_END in text:
        a = text.index(DOCS_BEGIN)
        b = text.index(DOCS_END) + len(DOCS_END)
        text = text[:a] + body + text[b:]
    else:
        text = text.rstrip("\n") + f"\n\n{DOCS_SECTION}\n\n{body}\n"
    path.write_text(text)


def versions():
    import mne
    import pyriemann
    import scipy
    import sklearn

    return (f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
            f"{sklearn.__version__}, pyriemann {pyriemann.__version__}, mne {mne.__version__}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neuroloop", default="target/release/neuroloop")
    ap.add_argument("--architectures", default="",
                    help="comma-separated; default: ARCHS_BY_KIND for each task")
    ap.add_argument("--reference-only", action="store_true",
                    help="cut the epochs here with MNE/numpy; run no neuroloop binary")
    ap.add_argument("--tasks", default=",".join(t.name for t in TASKS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default="../shared/data",
                    help="data directory, relative to the repository root or absolute")
    ap.add_argument("--work", default="target/bench-vs-pyriemann")
    ap.add_argument("--no-cross", action="store_true", help="skip cross-recording runs")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--docs", default="docs/benchmarks.md")
    args = ap.parse_args()
    os.chdir(ROOT)
    wanted = args.tasks.split(",")
    unknown = set(wanted) - {t.name for t in TASKS}
    if unknown:
        sys.exit(f"unknown task(s) {sorted(unknown)}; known: {[t.name for t in TASKS]}")
    results = [run_task(args, task) for task in TASKS if task.name in wanted]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "tools/decode/bench_vs_pyriemann.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:] if a != "--write-docs")
    header = (f"Generated {stamp} by `{cmd}` ({versions()}; {platform.machine()}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; "
              "reference times with one BLAS thread).")
    block = bench_report.markdown(results, args, header)
    print(block)
    pathlib.Path(args.work).mkdir(parents=True, exist_ok=True)
    with open(pathlib.Path(args.work) / "results.json", "w") as f:
        json.dump(results, f, indent=1)
    if args.write_docs:
        write_docs(pathlib.Path(args.docs), block)
        print(f"wrote the block in {args.docs}", file=sys.stderr)


def run_task(args, task):
    """Epochs, reference pipelines and neuroloop architectures of one task."""
    out_dir = pathlib.Path(args.work) / task.name
    if args.reference_only:
        cut_epochs_reference(args, task, out_dir)
        source = "reference cutter (--reference-only)"
    else:
        why = export_epochs_neuroloop(args, task, out_dir)
        if why is None:
            source = "neuroloop --export-epochs"
        else:
            print(f"{task.name}: {why}; cutting the epochs here", file=sys.stderr)
            cut_epochs_reference(args, task, out_dir)
            source = f"reference cutter ({why})"
    x, y, meta = load_export(out_dir)
    n_classes = len(meta["classes"])
    folds = np.asarray(meta["folds"])
    rec_of = np.asarray(meta["recording_of_epoch"])
    cross_wanted = bool(task.cross) and not args.no_cross
    print(f"{task.name}: {x.shape} from {source}", file=sys.stderr)
    ref, ref_cross = {}, {}
    for name, factory in make_pipelines(task, meta["sample_rate"]).items():
        ref[name] = evaluate_split(factory, x, y, folds, n_classes)
        if cross_wanted:
            ref_cross[name] = reference_cross(factory, x, y, rec_of, task, n_classes)
        print(f"  {name:12s} {bench_report.brief(ref[name], ref_cross.get(name))}",
              file=sys.stderr)
    nl, nl_cross = {}, {}
    archs = ([a for a in args.architectures.split(",") if a] or ARCHS_BY_KIND[task.kind]
             if not args.reference_only else [])
    for arch in archs:
        nl[arch] = neuroloop_evaluate(args, task, arch, folds.tolist())
        if cross_wanted and "error" not in nl[arch]:
            nl_cross[arch] = neuroloop_cross(args, task, arch)
        print(f"  neuroloop {arch}: {bench_report.brief(nl[arch], nl_cross.get(arch))}",
              file=sys.stderr)
    counts = ", ".join(f"{c} {int(np.sum(y == i))}" for i, c in enumerate(meta["classes"]))
    names = [pathlib.Path(r).stem for r in task.recordings]
    return {
        "name": task.name, "label": task.label, "metric": task.metric,
        "reference": ref, "reference_cross": ref_cross,
        "neuroloop": nl, "neuroloop_cross": nl_cross, "pairs": ARCH_PAIR,
        "cross_splits": [" + ".join(names[i] for i in a) + " → " + " + ".join(names[i] for i in b)
                         for a, b in task.cross] if cross_wanted else [],
        "n_epochs": len(y), "class_counts": counts, "n_channels": x.shape[1],
        "n_samples": x.shape[2], "sample_rate": meta["sample_rate"], "epochs_from": source,
    }


if __name__ == "__main__":
    main()
