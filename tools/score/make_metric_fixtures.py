"""Reference values for `neuroloop score`'s metrics, from scikit-learn.

Writes crates/neuroloop-cli/tests/fixtures/score_metrics.json: seeded
probabilities (float32, with ties) and labels for 2, 3 and 4 classes, with
scikit-learn's accuracy_score, confusion_matrix and roc_auc_score (binary:
the second class's probability; more classes: multi_class="ovr",
average="macro"), and Wolpaw's bits per trial computed here from the
formula for a few accuracies.

Run with the reference stack: python tools/score/make_metric_fixtures.py
"""

import json
import math
import pathlib

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/neuroloop-cli/tests/fixtures/score_metrics.json"


def case(rng, n, classes):
    labels = rng.integers(0, classes, size=n)
    # Informative but noisy scores, rounded to tenths so that ties occur.
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), labels] += 0.8
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, 1).astype(np.float64)
    p[:, -1] = 1.0 - p[:, :-1].sum(axis=1)
    p = np.clip(p, 0.0, 1.0).astype(np.float32)
    p64 = p.astype(np.float64)
    predicted = p64.argmax(axis=1)
    if classes == 2:
        auc = roc_auc_score(labels, p64[:, 1])
    else:
        auc = roc_auc_score(labels, p64, multi_class="ovr", average="macro")
    return {
        "classes": classes,
        "labels": labels.tolist(),
        "probabilities": [[float(v) for v in row] for row in p],
        "accuracy": float(accuracy_score(labels, predicted)),
        "confusion": confusion_matrix(labels, predicted, labels=list(range(classes))).tolist(),
        "auc": float(auc),
    }


def wolpaw(n, p):
    if p <= 1.0 / n:
        return 0.0
    bits = math.log2(n) + p * math.log2(p)
    if p < 1.0:
        bits += (1.0 - p) * math.log2((1.0 - p) / (n - 1))
    return bits


def main():
    rng = np.random.default_rng(20261203)
    cases = [case(rng, 40, 2), case(rng, 60, 3), case(rng, 80, 4)]
    itr = [
        {"classes": n, "accuracy": p, "bits": wolpaw(n, p)}
        for n, p in [(2, 0.5), (2, 0.75), (2, 0.9), (2, 1.0), (3, 0.6), (4, 0.7), (4, 0.2)]
    ]
    OUT.write_text(json.dumps({"sklearn": sklearn.__version__, "cases": cases, "itr": itr}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
