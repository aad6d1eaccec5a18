"""The reference side of tools/decode/bench_vs_pyriemann.py: the pyriemann /
MNE / scikit-learn pipelines of each task (see that script's docstring),
scored within recordings over the exported folds and across recordings over
the task's splits, with fit and predict times.

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
"""

import time
import warnings

import numpy as np
import scipy.signal as sig


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


def mean_of_splits(splits):
    def mean(key):
        vals = [r[key] for r in splits]
        return None if any(v is None for v in vals) else float(np.mean(vals))

    return {"splits": splits, **{k: mean(k) for k in
                                 ("n_test", "acc", "bacc", "auc", "fit_s",
                                  "predict_ms_per_epoch")}}
