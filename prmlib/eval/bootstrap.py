"""Paired bootstrap intervals: is the difference between two PRMs larger than test-set noise?

Two PRMs evaluated on the same test rows differ by a few points; a reader wants to know whether a
different draw of test rows of the same size could have reversed that. The paired bootstrap
resamples the rows with replacement, evaluates both PRMs on the same resample and reads the
interval of the difference from the resamples' differences (percentile interval). ProcessBench rows
are resampled within each subset and class (erroneous / correct), as such test sets are built with
fixed counts of each; Best-of-N problems within each benchmark. The intervals are not adjusted for
the number of comparisons shown together.

What it does not cover: the noise of training (another seed trains another PRM) and of tuning the
threshold (the threshold is held fixed). Seeds measure the first; see the lessons' seed tables.

    >>> ci = paired_processbench_f1(pred_a, pred_b, labels, n_boot=2000)   # doctest: +SKIP
    >>> ci["diff"], ci["lo"], ci["hi"]                                     # doctest: +SKIP

Both statistics are the ones the lessons report: ProcessBench F1 averaged over subsets
(:func:`prmlib.eval.processbench.processbench_f1` per subset), and Best-of-N accuracy averaged over
benchmarks (:meth:`prmlib.eval.bon.BoNResult.average`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def stratified_indices(sizes: Mapping[str, int], n_boot: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per group, an ``(n_boot, size)`` array of row indices drawn with replacement."""
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    rng = np.random.default_rng(seed)
    return {g: rng.integers(0, n, size=(n_boot, n)) if n else np.zeros((n_boot, 0), dtype=np.int64)
            for g, n in sizes.items()}


def class_stratified_indices(labels: Mapping[str, np.ndarray], n_boot: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per group, an ``(n_boot, size)`` array of row indices drawn with replacement separately among
    the erroneous rows (label >= 0) and the correct ones (label -1), so every resample keeps each
    group's count of both."""
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    rng = np.random.default_rng(seed)
    out = {}
    for g, lab in labels.items():
        lab = np.asarray(lab)
        parts = [np.flatnonzero(lab >= 0), np.flatnonzero(lab < 0)]
        out[g] = np.concatenate([rows[rng.integers(0, len(rows), size=(n_boot, len(rows)))] if len(rows)
                                 else np.zeros((n_boot, 0), dtype=np.int64) for rows in parts], axis=1)
    return out


def _as_arrays(values: Mapping[str, object], dtype) -> dict[str, np.ndarray]:
    return {g: np.asarray(v, dtype=dtype) for g, v in values.items()}


def average_f1(predictions: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray],
               idx: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """ProcessBench F1 (%) averaged over groups, for the full rows (``idx`` None: shape ``(1,)``) or
    each resample of ``idx`` (shape ``(n_boot,)``). As :func:`prmlib.eval.processbench.processbench_f1`,
    a group without erroneous or without correct rows has no F1 (NaN, and so is the average)."""
    per_group = []
    for g, lab in labels.items():
        pred = np.asarray(predictions[g], dtype=np.int64)
        lab = np.asarray(lab, dtype=np.int64)
        rows = np.arange(len(lab))[None, :] if idx is None else idx[g]
        p, y = pred[rows], lab[rows]
        err = y >= 0
        hit = p == y
        n_err, n_cor = err.sum(axis=1), (~err).sum(axis=1)
        err_acc = 100.0 * (hit & err).sum(axis=1) / np.maximum(n_err, 1)
        cor_acc = 100.0 * (hit & ~err).sum(axis=1) / np.maximum(n_cor, 1)
        total = err_acc + cor_acc
        f1 = np.where(total > 0, 2.0 * err_acc * cor_acc / np.where(total > 0, total, 1.0), 0.0)
        per_group.append(np.where((n_err > 0) & (n_cor > 0), f1, np.nan))
    return np.mean(per_group, axis=0)


def average_accuracy(correct: Mapping[str, np.ndarray], idx: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Accuracy (%) averaged over groups (Best-of-N: one bool per problem, whether the selected
    candidate is right), for the full rows or each resample of ``idx``."""
    per_group = []
    for g, c in correct.items():
        c = np.asarray(c, dtype=np.float64)
        rows = np.arange(len(c))[None, :] if idx is None else idx[g]
        per_group.append(100.0 * c[rows].mean(axis=1))
    return np.mean(per_group, axis=0)


def interval(point_a: float, point_b: float, samples_a: np.ndarray, samples_b: np.ndarray,
             confidence: float = 0.95) -> dict[str, float]:
    """``{"a", "b", "diff", "lo", "hi", "beyond", "confidence", "n_boot"}``: the point values, their
    difference ``a - b``, its percentile interval over the paired resamples, and whether the interval
    excludes 0 (False when it is undefined)."""
    d = np.asarray(samples_a) - np.asarray(samples_b)
    lo, hi = _percentiles(d, confidence)
    return {"a": float(point_a), "b": float(point_b), "diff": float(point_a - point_b), "lo": float(lo),
            "hi": float(hi), "beyond": bool(lo > 0 or hi < 0), "confidence": confidence, "n_boot": len(d)}


def paired_processbench_f1(pred_a: Mapping[str, np.ndarray], pred_b: Mapping[str, np.ndarray],
                           labels: Mapping[str, np.ndarray], n_boot: int = 2000, seed: int = 0,
                           confidence: float = 0.95) -> dict[str, float]:
    """The difference of two PRMs' average ProcessBench F1 on the same rows, with its interval.

    Args:
        pred_a, pred_b: per subset, each row's predicted first wrong step (-1: none).
        labels: per subset, each row's true first wrong step (-1: none).
    """
    labels = _as_arrays(labels, np.int64)
    for name, pred in (("pred_a", pred_a), ("pred_b", pred_b)):
        bad = [g for g in labels if g not in pred or len(pred[g]) != len(labels[g])]
        if bad:
            raise ValueError(f"{name} has no prediction per row for subsets {bad}")
    one_class = [g for g, y in labels.items() if not ((y >= 0).any() and (y < 0).any())]
    if one_class:
        raise ValueError(f"subsets {one_class} lack erroneous or correct rows: their F1 is undefined")
    idx = class_stratified_indices(labels, n_boot, seed)
    return interval(average_f1(pred_a, labels)[0], average_f1(pred_b, labels)[0],
                    average_f1(pred_a, labels, idx), average_f1(pred_b, labels, idx), confidence)


def paired_bon_accuracy(correct_a: Mapping[str, np.ndarray], correct_b: Mapping[str, np.ndarray],
                        n_boot: int = 2000, seed: int = 0, confidence: float = 0.95) -> dict[str, float]:
    """The difference of two selectors' Best-of-N accuracy (averaged over benchmarks) on the same
    problems, with its interval. ``correct_*``: per benchmark, one bool per problem, in the same order."""
    if set(correct_a) != set(correct_b) or any(len(correct_a[g]) != len(correct_b[g]) for g in correct_a):
        raise ValueError("correct_a and correct_b must hold the same benchmarks and problems")
    empty = [g for g, c in correct_a.items() if len(c) == 0]
    if empty:
        raise ValueError(f"benchmarks {empty} have no problems")
    idx = stratified_indices({g: len(v) for g, v in correct_a.items()}, n_boot, seed)
    return interval(average_accuracy(correct_a)[0], average_accuracy(correct_b)[0],
                    average_accuracy(correct_a, idx), average_accuracy(correct_b, idx), confidence)


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    tail = 100.0 * (1.0 - confidence) / 2.0
    lo, hi = np.percentile(samples, [tail, 100.0 - tail])
    return float(lo), float(hi)


def processbench_f1_interval(pred: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray], n_boot: int = 2000,
                             seed: int = 0, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(value, low, high)``: one PRM's average ProcessBench F1 and its bootstrap interval (rows
    resampled within each subset and class, as for the paired differences)."""
    labels = _as_arrays(labels, np.int64)
    idx = class_stratified_indices(labels, n_boot, seed)
    return (float(average_f1(pred, labels)[0]), *_percentiles(average_f1(pred, labels, idx), confidence))


def bon_accuracy_interval(correct: Mapping[str, np.ndarray], n_boot: int = 2000, seed: int = 0,
                          confidence: float = 0.95) -> tuple[float, float, float]:
    """``(value, low, high)``: one selector's Best-of-N accuracy and its bootstrap interval."""
    idx = stratified_indices({g: len(c) for g, c in correct.items()}, n_boot, seed)
    return (float(average_accuracy(correct)[0]), *_percentiles(average_accuracy(correct, idx), confidence))


def clustered_share_interval(hits: np.ndarray, counts: np.ndarray, n_boot: int = 2000, seed: int = 0,
                             confidence: float = 0.95) -> tuple[float, float, float]:
    """``(value, low, high)``: a share (%) of items pooled over clusters, ``sum(hits) / sum(counts)``,
    and its bootstrap interval with whole clusters resampled (e.g. Best-of-N candidates, whose
    scores share a problem and are not independent: one cluster per problem)."""
    hits, counts = np.asarray(hits, dtype=float), np.asarray(counts, dtype=float)
    if hits.shape != counts.shape or hits.ndim != 1:
        raise ValueError(f"hits and counts must be 1-d and of one length, got {hits.shape} and {counts.shape}")
    if counts.sum() <= 0:
        return (float("nan"),) * 3
    idx = stratified_indices({"all": len(hits)}, n_boot, seed)["all"]
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of clusters with no item: NaN, dropped
        samples = 100.0 * hits[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return (100.0 * hits.sum() / counts.sum(), *_percentiles(samples[~np.isnan(samples)], confidence))
