"""The neuroloop side of tools/decode/bench_vs_pyriemann.py: the
``neuroloop evaluate`` command lines (one place to adapt when the CLI
changes), the epoch export, and the scores read from its JSON (k folds,
held-out recordings, k folds on training recordings alone)."""

import json
import pathlib
import subprocess
import time

from bench_reference import mean_of_splits

ROOT = pathlib.Path(__file__).resolve().parents[2]

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


def inner_score(args, task, arch, train_recs):
    """neuroloop's k-fold score (the task's) on the recordings ``train_recs`` alone."""
    out, _ = run_json(neuroloop_command(args.neuroloop, task, args.data, folds=args.folds,
                                        seed=args.seed, architecture=arch, json_out=True,
                                        split=(train_recs, [])))
    if "error" in out:
        return None
    cv = out["cv"]
    if task.metric == "auc":
        return cv["auc_mean_sd"][0] if cv.get("auc_mean_sd") else None
    return cv["accuracy_mean"]


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
