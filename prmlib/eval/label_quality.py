"""How well one source of step labels agrees with another (annotation audits).

Used to compare, e.g., Monte Carlo labels or an LLM judge against exact synthetic truth or
against human labels. Two views:

* **step level**: precision / recall / F1 of flagging a *wrong* step (the positive class is
  "wrong", because wrong steps are what a PRM must find);
* **solution level**: agreement of the first-error index (-1 = no error), with a breakdown of
  disagreements into "too early", "too late", "missed error" and "false alarm".

Labels may be truncated after the first error (Math-Shepherd-style data drops the later steps),
so the step-level comparison uses only the steps that **both** sources label: the first
``min(len(a), len(b))`` steps of each solution. The first-error index is still well defined for a
truncated list (its last label is the error); a truncated list without a wrong label means
"no error found in the labelled prefix" and is read as -1.

Hard labels are booleans (``True`` = correct); soft labels are floats in [0, 1] and a step is
wrong when its label is below ``threshold`` (0.5 by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from prmlib.solution import first_error_from_labels


def _is_wrong(labels: Sequence[bool | float], threshold: float) -> np.ndarray:
    values = np.asarray([float(x) for x in labels], dtype=np.float64)
    return np.isnan(values) | (values < threshold)


def step_label_agreement(
    predicted: Sequence[Sequence[bool | float]],
    reference: Sequence[Sequence[bool | float]],
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Precision / recall / F1 (%) of the "wrong step" class, over the steps both sources label.

    Args:
        predicted: per-solution step labels of the audited source.
        reference: per-solution step labels taken as truth, same solutions in the same order.
        threshold: soft labels below it count as wrong.

    Returns:
        dict with ``precision``, ``recall``, ``f1``, ``accuracy`` (all %; NaN when undefined),
        counts ``tp``, ``fp``, ``fn``, ``tn``, ``steps_compared`` and ``steps_skipped`` (labelled
        by only one source).
    """
    if len(predicted) != len(reference):
        raise ValueError(f"{len(predicted)} predicted label lists for {len(reference)} reference lists")
    tp = fp = fn = tn = skipped = 0
    for pred, ref in zip(predicted, reference):
        k = min(len(pred), len(ref))
        skipped += max(len(pred), len(ref)) - k
        p, r = _is_wrong(pred[:k], threshold), _is_wrong(ref[:k], threshold)
        tp += int(np.sum(p & r))
        fp += int(np.sum(p & ~r))
        fn += int(np.sum(~p & r))
        tn += int(np.sum(~p & ~r))
    precision = 100.0 * tp / (tp + fp) if tp + fp else float("nan")
    recall = 100.0 * tp / (tp + fn) if tp + fn else float("nan")
    if tp + fp and tp + fn:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    else:
        f1 = float("nan")
    total = tp + fp + fn + tn
    return {"precision": precision, "recall": recall, "f1": f1,
            "accuracy": 100.0 * (tp + tn) / total if total else float("nan"),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "steps_compared": total, "steps_skipped": skipped}


def first_errors(labels: Sequence[Sequence[bool | float]], threshold: float = 0.5) -> list[int]:
    """First-error index of every label list (-1 when no labelled step is wrong)."""
    return [first_error_from_labels(lab, threshold) for lab in labels]


def first_error_agreement(predicted: Sequence[int], reference: Sequence[int]) -> dict[str, Any]:
    """Agreement (%) of first-error indices (-1 = no error).

    Returns:
        dict with ``agreement`` (exact match, %), ``n``, and the shares (%) of ``too_early``
        (both see an error, predicted before the reference), ``too_late``, ``missed_error``
        (reference has an error, predicted -1), ``false_alarm`` (reference -1, predicted an
        error); plus ``error_agreement`` (exact match on solutions the reference calls wrong)
        and ``correct_agreement`` (-1 on those it calls right), the ProcessBench pair.
    """
    p = np.asarray(predicted, dtype=np.int64)
    r = np.asarray(reference, dtype=np.int64)
    if p.shape != r.shape:
        raise ValueError(f"{len(p)} predicted first errors for {len(r)} reference ones")
    n = len(p)
    if n == 0:
        raise ValueError("no solutions to compare")
    both = (p >= 0) & (r >= 0)
    err = r >= 0

    def pct(mask: np.ndarray, denom: int) -> float:
        return 100.0 * float(mask.sum()) / denom if denom else float("nan")

    return {
        "agreement": pct(p == r, n), "n": n,
        "too_early": pct(both & (p < r), n), "too_late": pct(both & (p > r), n),
        "missed_error": pct(err & (p < 0), n), "false_alarm": pct(~err & (p >= 0), n),
        "error_agreement": pct(err & (p == r), int(err.sum())),
        "correct_agreement": pct(~err & (p < 0), int((~err).sum())),
    }


def label_quality(
    predicted: Sequence[Sequence[bool | float]],
    reference: Sequence[Sequence[bool | float]],
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Both views at once: ``{"steps": step_label_agreement(...), "first_error": first_error_agreement(...)}``."""
    return {"steps": step_label_agreement(predicted, reference, threshold),
            "first_error": first_error_agreement(first_errors(predicted, threshold), first_errors(reference, threshold))}
