"""Cross-recording scores of a pipeline chosen on the training recordings
alone, for tools/decode/bench_vs_pyriemann.py: on each split, every
candidate of a side is cross-validated (the same k stratified folds on both
sides, dealt as neuroloop deals them) on the epochs of the training
recordings; the best by the task's score (ties: the first listed) is kept,
and its score on the held-out recording is reported. Unlike "best of each
side", the choice never sees the held-out recording."""

import numpy as np

from bench_epochs import stratified_folds
from bench_reference import evaluate_split


def within_key(metric):
    return "auc" if metric == "auc" else "acc_mean"


def cross_key(metric):
    return "auc" if metric == "auc" else "acc"


def choose(scores):
    """The name with the highest score (the first on ties); None if none."""
    best = None
    for name, score in scores.items():
        if score is not None and (best is None or score > scores[best]):
            best = name
    return best


def summarise(chosen, held_out):
    valid = [h for h in held_out if h is not None]
    return {"chosen": chosen, "held_out": held_out,
            "score": float(np.mean(valid)) if len(valid) == len(held_out) else None}


def reference_selected(pipes, x, y, rec_of, task, n_classes, cross, folds, seed):
    """The reference side: inner folds on each split's training epochs."""
    chosen, held = [], []
    for s, (train_recs, _) in enumerate(task.cross):
        sel = np.isin(rec_of, train_recs)
        xs, ys = x[sel], y[sel]
        inner = stratified_folds(ys, n_classes, folds, seed)
        scores = {name: evaluate_split(factory, xs, ys, inner, n_classes)[within_key(task.metric)]
                  for name, factory in pipes.items()}
        name = choose(scores)
        chosen.append(name)
        held.append(cross[name]["splits"][s][cross_key(task.metric)] if name else None)
    return summarise(chosen, held)


def neuroloop_selected(task, archs, cross, inner_score):
    """neuroloop's side: ``inner_score(arch, training recordings)`` is its
    k-fold score on those recordings alone (``neuroloop evaluate``)."""
    chosen, held = [], []
    for s, (train_recs, _) in enumerate(task.cross):
        scores = {arch: inner_score(arch, train_recs) for arch in archs
                  if arch in cross and "error" not in cross[arch]}
        name = choose(scores)
        chosen.append(name)
        held.append(cross[name]["splits"][s][cross_key(task.metric)] if name else None)
    return summarise(chosen, held)
