"""The markdown report of tools/decode/bench_vs_pyriemann.py: per task the
within-recording (k folds) and cross-recording scores of every reference
pipeline and neuroloop architecture, with fit and predict times, and a
summary of the best of each side; and writing it into docs/benchmarks.md."""

import numpy as np


def pct(v):
    return "–" if v is None else f"{100 * v:.1f}"


def auc_text(v):
    return "–" if v is None else f"{v:.3f}"


def brief(within, cross):
    """One progress line for stderr."""
    if "error" in within:
        return f"error: {within['error']}"
    text = (f"within acc {pct(within['acc_mean'])} bacc {pct(within['bacc_mean'])} "
            f"AUC {auc_text(within['auc'])}")
    if cross and "error" not in cross:
        text += f"; cross acc {pct(cross['acc'])} AUC {auc_text(cross['auc'])}"
    elif cross:
        text += f"; cross error: {cross['error']}"
    return text


def within_rows(t):
    rows = []
    sides = [("pyriemann/MNE", t["reference"]), ("neuroloop", t["neuroloop"])]
    for side, results in sides:
        for name, r in results.items():
            label = name
            if side == "neuroloop" and t["pairs"].get(name):
                label += f" (≙ {t['pairs'][name]})"
            if "error" in r:
                rows.append(f"| {t['label']} | {side} | {label} | error: {r['error']} |"
                            " | | | | |")
                continue
            rows.append(
                f"| {t['label']} | {side} | {label} | {pct(r['acc_mean'])} ± "
                f"{pct(r['acc_sd'])} | {pct(r['acc_pooled'])} | {pct(r['bacc_mean'])} | "
                f"{auc_text(r['auc'])} | {r['fit_s']:.2f} | {r['predict_ms_per_epoch']:.2f} |")
    return rows


def cross_rows(t):
    rows = []
    splits = "; ".join(t["cross_splits"])
    for side, results in [("pyriemann/MNE", t["reference_cross"]),
                          ("neuroloop", t["neuroloop_cross"])]:
        for name, r in results.items():
            if "error" in r:
                rows.append(f"| {t['label']} | {splits} | {side} | {name} | "
                            f"error: {r['error']} | | | | |")
                continue
            rows.append(
                f"| {t['label']} | {splits} | {side} | {name} | {pct(r['acc'])} | "
                f"{pct(r['bacc'])} | {auc_text(r['auc'])} | {r['fit_s']:.2f} | "
                f"{r['predict_ms_per_epoch']:.2f} |")
    return rows


def best(results, key):
    scored = [(r[key], name) for name, r in results.items()
              if "error" not in r and r.get(key) is not None]
    return max(scored) if scored else (None, None)


def verdict(ref, ours, metric, n_test):
    if ref[0] is None or ours[0] is None:
        return "–"
    diff = ours[0] - ref[0]
    if metric == "auc":
        # AUCs are shown to 3 decimals: closer than that is a tie.
        word = "above" if diff >= 5e-4 else ("tie" if diff > -5e-4 else "below")
        return f"{word} ({diff:+.3f})"
    trial = 1.0 / n_test
    if diff > 1e-9:
        word = "above"
    elif diff > -1e-9:
        word = "tie"
    elif diff >= -trial - 1e-9:
        word = "within one trial"
    else:
        word = "below"
    return f"{word} ({100 * diff:+.1f} points; one trial = {100 * trial:.1f})"


def show(pair, metric):
    value, name = pair
    if value is None:
        return "–"
    return f"{auc_text(value) if metric == 'auc' else pct(value)} ({name})"


def summary_rows(t):
    metric = t["metric"]
    key_within = "auc" if metric == "auc" else "acc_mean"
    key_cross = "auc" if metric == "auc" else "acc"
    rw, nw = best(t["reference"], key_within), best(t["neuroloop"], key_within)
    rc, nc = best(t["reference_cross"], key_cross), best(t["neuroloop_cross"], key_cross)
    n_cross = next((r["n_test"] for r in t["reference_cross"].values() if "n_test" in r), 1)
    name = "ROC-AUC" if metric == "auc" else "accuracy %"
    return [
        f"| {t['label']} | {name} | within | {show(rw, metric)} | {show(nw, metric)} | "
        f"{verdict(rw, nw, metric, t['n_epochs'])} |",
        f"| {t['label']} | {name} | cross | {show(rc, metric)} | {show(nc, metric)} | "
        f"{verdict(rc, nc, metric, n_cross)} |" if t["cross_splits"] else None,
        selected_row(t, name, n_cross),
    ]


def selected_row(t, name, n_cross):
    """The cross-recording row of the pipelines chosen on the training recordings."""
    sel = t.get("selected") or {}
    if not sel:
        return None
    metric = t["metric"]
    ref, ours = sel["reference"], sel["neuroloop"]

    def cell(s):
        return (s["score"], " / ".join(str(c) for c in s["chosen"]))

    r, n = cell(ref), cell(ours)
    return (f"| {t['label']} | {name} | cross, chosen on the training recordings | "
            f"{show(r, metric)} | {show(n, metric)} | {verdict(r, n, metric, n_cross)} |")


def markdown(results, args, header):
    lines = [header, ""]
    lines += [f"* {t['label']}: {t['n_epochs']} epochs ({t['class_counts']}), "
              f"{t['n_channels']} ch x {t['n_samples']} samples at {t['sample_rate']:g} Hz, "
              f"epochs from {t['epochs_from']}" for t in results]
    lines += ["", "Best of each side (the task's score: accuracy, or ROC-AUC for the "
              "imbalanced P300). \"best\" is picked on the held-out folds, except in "
              "the rows \"chosen on the training recordings\": there each side's "
              "pipeline is the best of a k-fold cross-validation on the split's training "
              "recordings alone (per split, names separated by /), then scored on the "
              "held-out recording.", "",
              "| task | score | evaluation | best pyriemann/MNE | best neuroloop | neuroloop |",
              "|---|---|---|---|---|---|"]
    for t in results:
        lines += [r for r in summary_rows(t) if r]
    lines += ["", f"Within-recording: {args.folds} stratified folds (seed {args.seed}) "
              "that neuroloop deals, the same for both sides; acc = mean ± sample SD over "
              "folds, pooled = over every held-out prediction, bal. acc = mean per-class "
              "recall (mean over folds), AUC = mean over folds of the second class's "
              "ROC-AUC; fit s = summed over the folds, predict = per epoch.", "",
              "| task | side | pipeline | acc % | pooled % | bal. acc % | AUC | fit s | "
              "predict ms/epoch |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for t in results:
        lines += within_rows(t)
    if any(t["cross_splits"] for t in results):
        lines += ["", "Cross-recording: fitted on every epoch of the training recordings, "
                  "scored on the held-out recording (`neuroloop evaluate --test-recording`); "
                  "with two splits, the mean of both.", "",
                  "| task | split | side | pipeline | acc % | bal. acc % | AUC | fit s | "
                  "predict ms/epoch |",
                  "|---|---|---|---|---:|---:|---:|---:|---:|"]
        for t in results:
            if t["cross_splits"]:
                lines += cross_rows(t)
    return "\n".join(lines)


def write_docs(path, block, begin, end, section):
    text = path.read_text() if path.exists() else ""
    body = f"{begin}\n{block.rstrip()}\n{end}"
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + body + text[b:]
    else:
        text = text.rstrip("\n") + f"\n\n{section}\n\n{body}\n"
    path.write_text(text)


def versions():
    import mne
    import pyriemann
    import scipy
    import sklearn

    return (f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
            f"{sklearn.__version__}, pyriemann {pyriemann.__version__}, mne {mne.__version__}")
