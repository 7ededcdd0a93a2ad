"""ProcessBench: find the earliest wrong step of a solution (Zheng et al., 2024, arXiv 2412.06559).

Every ProcessBench row carries ``label``: the 0-based index of the first wrong step, or -1 when
every step is correct. A model predicts such an index. Per subset:

* **error accuracy**: exact match of the predicted index on the erroneous rows (``label != -1``);
* **correct accuracy**: share of the fully correct rows (``label == -1``) predicted -1;
* **F1**: harmonic mean of the two (0 when both are 0). The headline is the plain mean of the
  subset F1s. All three are percentages, laid out like Table 7 of the Lessons paper.

A PRM gives step scores (probability that the step is correct) rather than an index. A
threshold turns them into a prediction: the first step whose score is *strictly below* the
threshold, or -1 if there is none (:func:`predictions_from_scores`). As in ProcessBench, the
threshold is chosen to maximise F1 on the GSM8K subset and reused for all subsets
(:func:`tune_threshold`); the per-subset optimal thresholds are reported as an upper bound.

The threshold sweep is vectorised. For a row with label ``l >= 0`` the prediction equals ``l``
exactly when ``s[l] < t <= min(s[:l])``; for a correct row it equals -1 exactly when
``t <= min(s)``. So each row reduces to one interval ``(low, high]`` computed once from the padded
score matrix, and a sweep is a (rows x thresholds) comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SUBSETS: tuple[str, ...] = ("gsm8k", "math", "olympiadbench", "omnimath")
#: column prefixes of the Lessons paper's Table 7 ("GSM8K err", "Olym. cor", "Omni F1", ...)
SUBSET_ABBREV: dict[str, str] = {"gsm8k": "GSM8K", "math": "MATH", "olympiadbench": "Olym.", "omnimath": "Omni"}
#: full names (Table 5 columns)
SUBSET_NAMES: dict[str, str] = {
    "gsm8k": "GSM8K", "math": "MATH", "olympiadbench": "OlympiadBench", "omnimath": "Omni-MATH"}
#: 0.00, 0.01, ..., 1.00
DEFAULT_THRESHOLDS: np.ndarray = np.round(np.linspace(0.0, 1.0, 101), 2)
#: trivial predictors (see :func:`baseline_predictions`)
BASELINES: tuple[str, ...] = ("always_correct", "always_first_step", "outcome_first_step", "outcome_last_step")


def as_rows(data: Any) -> list[dict[str, Any]]:
    """A list of row dicts from a list, a ``datasets.Dataset`` or a ``pandas.DataFrame``."""
    if isinstance(data, pd.DataFrame):
        return data.to_dict("records")
    if hasattr(data, "to_list") and not isinstance(data, (list, tuple)):
        return list(data.to_list())
    return [dict(r) for r in data]


# -- step scores -> predictions -------------------------------------------------------------
def finite_prefix(step_scores) -> list[float]:
    """The scores before the first missing one (``None`` or NaN). A scorer leaves steps cut by the
    model's context length unscored, always at the end of a solution: on ProcessBench they are never
    predicted as the first error (one among them is missed), and in Best-of-N they take no part in a
    solution's score."""
    out = []
    for x in step_scores:
        if x is None or math.isnan(x):
            break
        out.append(float(x))
    return out


def pad_step_scores(step_scores: Sequence[Sequence[float]], fill: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Pad ragged step scores into a float matrix (pad value ``+inf``: never below a threshold).

    Returns:
        ``(matrix, lengths)`` of shapes ``(rows, max_steps)`` and ``(rows,)``.
    Raises:
        ValueError: on a NaN score (name the row).
    """
    lengths = np.fromiter((len(s) for s in step_scores), dtype=np.int64, count=len(step_scores))
    width = max(int(lengths.max(initial=0)), 1)
    matrix = np.full((len(lengths), width), fill, dtype=np.float64)
    if lengths.sum():
        flat = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1) for s in step_scores if len(s)])
        if np.isnan(flat).any():
            bad = next(i for i, s in enumerate(step_scores) if np.isnan(np.asarray(s, dtype=float)).any())
            raise ValueError(f"step scores of row {bad} contain NaN")
        matrix[np.arange(width)[None, :] < lengths[:, None]] = flat
    return matrix, lengths


def predictions_from_scores(step_scores: Sequence[Sequence[float]] | np.ndarray, threshold: float) -> np.ndarray:
    """First step whose score is below ``threshold`` (-1 if none), for every row.

    Args:
        step_scores: ragged per-row step scores, or a matrix padded with ``+inf`` (see
            :func:`pad_step_scores`).
        threshold: a step with score ``< threshold`` is predicted wrong.
    """
    matrix = step_scores if isinstance(step_scores, np.ndarray) else pad_step_scores(step_scores)[0]
    below = matrix < threshold
    return np.where(below.any(axis=1), below.argmax(axis=1), -1).astype(np.int64)


# -- metrics --------------------------------------------------------------------------------
def harmonic_f1(error_acc: float, correct_acc: float) -> float:
    """Harmonic mean of the two accuracies (0 when both are 0)."""
    total = error_acc + correct_acc
    return 0.0 if total == 0 else 2.0 * error_acc * correct_acc / total


def processbench_f1(predictions: Sequence[int], labels: Sequence[int]) -> dict[str, float]:
    """Error accuracy, correct accuracy and F1 (percentages) of predicted first-error indices.

    Returns:
        dict with ``error_acc``, ``correct_acc``, ``f1``, ``n_error``, ``n_correct``. An accuracy
        over zero rows is NaN (and so is the F1).
    """
    pred = np.asarray(predictions, dtype=np.int64)
    lab = np.asarray(labels, dtype=np.int64)
    if pred.shape != lab.shape:
        raise ValueError(f"{pred.shape[0]} predictions for {lab.shape[0]} labels")
    err = lab != -1
    error_acc = 100.0 * float(np.mean(pred[err] == lab[err])) if err.any() else float("nan")
    correct_acc = 100.0 * float(np.mean(pred[~err] == -1)) if (~err).any() else float("nan")
    f1 = harmonic_f1(error_acc, correct_acc) if err.any() and (~err).any() else float("nan")
    return {"error_acc": error_acc, "correct_acc": correct_acc, "f1": f1,
            "n_error": int(err.sum()), "n_correct": int((~err).sum())}


# -- threshold sweep ------------------------------------------------------------------------
def hit_intervals(matrix: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the thresholds ``t`` with ``low < t <= high`` are exactly those that predict its label.

    Args:
        matrix: step scores padded with ``+inf`` (rows x max_steps).
        labels: first-error labels (-1 = all correct), each < that row's number of steps.
    """
    labels = np.asarray(labels, dtype=np.int64)
    prefix_min = np.minimum.accumulate(matrix, axis=1)
    low = np.full(len(labels), -np.inf)
    high = np.full(len(labels), np.inf)
    err = np.nonzero(labels >= 0)[0]
    lab = labels[err]
    low[err] = matrix[err, lab]
    high[err] = np.where(lab > 0, prefix_min[err, np.maximum(lab - 1, 0)], np.inf)
    ok = labels < 0
    high[ok] = prefix_min[ok, -1]
    return low, high


def threshold_sweep(
    step_scores: Sequence[Sequence[float]] | np.ndarray,
    labels: Sequence[int],
    thresholds: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Error accuracy, correct accuracy and F1 for every threshold (one row per threshold, ascending)."""
    t = np.unique(np.asarray(DEFAULT_THRESHOLDS if thresholds is None else thresholds, dtype=np.float64))
    matrix = step_scores if isinstance(step_scores, np.ndarray) else pad_step_scores(step_scores)[0]
    labels = np.asarray(labels, dtype=np.int64)
    low, high = hit_intervals(matrix, labels)
    hit = (low[:, None] < t[None, :]) & (t[None, :] <= high[:, None])
    err = labels >= 0
    error_acc = 100.0 * hit[err].mean(axis=0) if err.any() else np.full(len(t), np.nan)
    correct_acc = 100.0 * hit[~err].mean(axis=0) if (~err).any() else np.full(len(t), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(error_acc + correct_acc > 0, 2 * error_acc * correct_acc / (error_acc + correct_acc), 0.0)
    return pd.DataFrame({"threshold": t, "error_acc": error_acc, "correct_acc": correct_acc, "f1": f1})


def tune_threshold(
    step_scores: Sequence[Sequence[float]] | np.ndarray,
    labels: Sequence[int],
    thresholds: Sequence[float] | None = None,
) -> tuple[float, float]:
    """The threshold with the highest F1, and that F1. Ties go to the lowest threshold."""
    sweep = threshold_sweep(step_scores, labels, thresholds)
    best = int(np.argmax(sweep["f1"].to_numpy()))
    return float(sweep["threshold"].iloc[best]), float(sweep["f1"].iloc[best])


# -- baselines ------------------------------------------------------------------------------
def baseline_predictions(rows: Sequence[Mapping[str, Any]], kind: str) -> np.ndarray:
    """Predictions of a trivial predictor that never reads the steps.

    * ``always_correct``: -1 everywhere.
    * ``always_first_step``: 0 everywhere.
    * ``outcome_first_step``: knows only whether the final answer is right (the row's
      ``final_answer_correct``): right -> -1, wrong -> step 0.
    * ``outcome_last_step``: the same, but wrong -> the last step.
    """
    rows = as_rows(rows)
    n_steps = np.array([len(r["steps"]) for r in rows], dtype=np.int64)
    if kind == "always_correct":
        return np.full(len(rows), -1, dtype=np.int64)
    if kind == "always_first_step":
        return np.zeros(len(rows), dtype=np.int64)
    if kind in ("outcome_first_step", "outcome_last_step"):
        right = np.array([bool(r["final_answer_correct"]) for r in rows])
        wrong_at = np.zeros(len(rows), dtype=np.int64) if kind == "outcome_first_step" else n_steps - 1
        return np.where(right, -1, wrong_at).astype(np.int64)
    raise ValueError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")


# -- whole-benchmark evaluation -------------------------------------------------------------
@dataclass
class ProcessBenchResult:
    """ProcessBench scores of one model.

    Attributes:
        name: the model's name (the table's row label).
        metrics: subset -> ``processbench_f1`` dict (plus ``threshold`` when scores were given).
        table: one row in the layout of the Lessons paper's Table 7 (percentages).
        threshold: the threshold used for every subset (None for index predictions).
        tuned_on: the subset the threshold was tuned on (None if it was given).
        oracle: per-subset optimal threshold and its F1 (an upper bound), empty for index predictions.
        predictions: subset -> predicted first-error indices (row order of the data).
    """

    name: str
    metrics: dict[str, dict[str, float]]
    table: pd.DataFrame
    threshold: float | None = None
    tuned_on: str | None = None
    oracle: dict[str, dict[str, float]] = field(default_factory=dict)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def average_f1(self) -> float:
        return float(self.table["Avg. F1"].iloc[0])

    def oracle_table(self) -> pd.DataFrame:
        """Per-subset optimal thresholds (upper bound), one row like :attr:`table`'s F1 columns."""
        if not self.oracle:
            return pd.DataFrame()
        row = {f"{SUBSET_ABBREV.get(s, s)} F1": v["f1"] for s, v in self.oracle.items()}
        row.update({f"{SUBSET_ABBREV.get(s, s)} threshold": v["threshold"] for s, v in self.oracle.items()})
        row["Avg. F1"] = float(np.mean([v["f1"] for v in self.oracle.values()]))
        return pd.DataFrame([row], index=[f"{self.name} (per-subset threshold)"])

    def to_json(self, digits: int = 2) -> dict[str, Any]:
        def r(x: float) -> float | None:
            return None if x is None or np.isnan(x) else round(float(x), digits)

        out: dict[str, Any] = {"name": self.name, "threshold": self.threshold, "tuned_on": self.tuned_on}
        out["subsets"] = {s: {k: (r(v) if isinstance(v, float) else v) for k, v in m.items()}
                          for s, m in self.metrics.items()}
        out["average_f1"] = r(self.average_f1)
        if self.oracle:
            out["oracle"] = {s: {k: r(v) for k, v in m.items()} for s, m in self.oracle.items()}
            out["oracle_average_f1"] = r(float(np.mean([m["f1"] for m in self.oracle.values()])))
        return out


def results_table(metrics: Mapping[str, Mapping[str, float]], name: str) -> pd.DataFrame:
    """One row in Table 7 layout: ``<subset> err``, ``cor``, ``F1`` per subset, then ``Avg. F1``."""
    row: dict[str, float] = {}
    for subset, m in metrics.items():
        abbr = SUBSET_ABBREV.get(subset, subset)
        row[f"{abbr} err"], row[f"{abbr} cor"], row[f"{abbr} F1"] = m["error_acc"], m["correct_acc"], m["f1"]
    row["Avg. F1"] = float(np.mean([m["f1"] for m in metrics.values()]))
    return pd.DataFrame([row], index=pd.Index([name], name="Model"))


def _check_row_inputs(subset: str, rows: list[dict], values: Sequence, kind: str) -> None:
    if len(values) != len(rows):
        raise ValueError(f"subset {subset}: {len(values)} {kind} for {len(rows)} rows")
    for row, v in zip(rows, values):
        n = len(row["steps"])
        if kind == "step_scores" and len(v) != n:
            raise ValueError(f"row {row.get('id')!r}: {len(v)} step scores for {n} steps")
        if kind == "predictions" and not -1 <= int(v) < n:
            raise ValueError(f"row {row.get('id')!r}: prediction {v} out of range for {n} steps (-1..{n - 1})")


def evaluate_processbench(
    data: Mapping[str, Any],
    *,
    step_scores: Mapping[str, Sequence[Sequence[float]]] | None = None,
    predictions: Mapping[str, Sequence[int]] | None = None,
    threshold: float | None = None,
    tune_on: str = "gsm8k",
    thresholds: Sequence[float] | None = None,
    name: str = "ours",
) -> ProcessBenchResult:
    """Score a model on ProcessBench subsets.

    Args:
        data: subset name -> rows (each with ``steps`` and ``label``), e.g. from
            ``prmlib.data.load_processbench``.
        step_scores: subset -> per-row step scores, aligned with ``data`` (a PRM).
        predictions: subset -> per-row predicted first-error index (a critic). Give exactly one
            of ``step_scores`` and ``predictions``.
        threshold: fixed threshold for step scores; if None it is tuned on ``tune_on``.
        tune_on: the subset whose F1 chooses the threshold (ProcessBench: GSM8K).
        thresholds: candidate thresholds of the sweep (default 0.00, 0.01, ..., 1.00).
        name: row label of the result table.
    """
    if (step_scores is None) == (predictions is None):
        raise ValueError("give exactly one of step_scores and predictions")
    rows = {s: as_rows(d) for s, d in data.items()}
    given = step_scores if step_scores is not None else predictions
    missing = [s for s in rows if s not in given]
    if missing:
        raise ValueError(f"no {'step scores' if step_scores is not None else 'predictions'} for subsets {missing}")
    labels = {s: np.array([int(r["label"]) for r in rs], dtype=np.int64) for s, rs in rows.items()}
    preds: dict[str, np.ndarray] = {}
    oracle: dict[str, dict[str, float]] = {}
    tuned_on = None
    if predictions is not None:
        for s, rs in rows.items():
            _check_row_inputs(s, rs, predictions[s], "predictions")
            preds[s] = np.asarray(predictions[s], dtype=np.int64)
    else:
        matrices = {}
        for s, rs in rows.items():
            _check_row_inputs(s, rs, step_scores[s], "step_scores")
            matrices[s] = pad_step_scores(step_scores[s])[0]
        if threshold is None:
            if tune_on not in matrices:
                raise ValueError(f"cannot tune the threshold on {tune_on!r}: it is not among the subsets "
                                 f"{list(rows)}; give a threshold or include {tune_on!r}")
            threshold, _ = tune_threshold(matrices[tune_on], labels[tune_on], thresholds)
            tuned_on = tune_on
        for s, m in matrices.items():
            preds[s] = predictions_from_scores(m, threshold)
            best_t, best_f1 = tune_threshold(m, labels[s], thresholds)
            oracle[s] = {"threshold": best_t, "f1": best_f1}
    metrics = {s: processbench_f1(preds[s], labels[s]) for s in rows}
    return ProcessBenchResult(name=name, metrics=metrics, table=results_table(metrics, name),
                              threshold=None if threshold is None else float(threshold), tuned_on=tuned_on,
                              oracle=oracle, predictions=preds)


def evaluate_baselines(data: Mapping[str, Any], kinds: Sequence[str] = BASELINES) -> pd.DataFrame:
    """Table 7 rows of the trivial predictors of :func:`baseline_predictions`."""
    tables = []
    for kind in kinds:
        preds = {s: baseline_predictions(rows, kind) for s, rows in data.items()}
        tables.append(evaluate_processbench(data, predictions=preds, name=kind).table)
    return pd.concat(tables)


def align_by_id(data: Mapping[str, Any], by_id: Mapping[str, Any], what: str = "entries") -> dict[str, list]:
    """Order per-id values (predictions or step scores) like the rows of ``data``.

    Raises:
        KeyError: for ids that are not in ``data`` (lists a few), and for rows of ``data`` with no
            value (says how many per subset and names a few).
    """
    known = {}
    for s, rows in data.items():
        for r in as_rows(rows):
            known[str(r["id"])] = s
    unknown = [i for i in by_id if str(i) not in known]
    if unknown:
        raise KeyError(f"{len(unknown)} {what} have ids that are not in ProcessBench's {', '.join(data)} "
                       f"({', '.join(map(str, unknown[:5]))}{', ...' if len(unknown) > 5 else ''})")
    out: dict[str, list] = {}
    gaps: dict[str, list[str]] = {}
    values = {str(k): v for k, v in by_id.items()}
    for s, rows in data.items():
        ids = [str(r["id"]) for r in as_rows(rows)]
        gaps[s] = [i for i in ids if i not in values]
        out[s] = [values.get(i) for i in ids]
    gaps = {s: g for s, g in gaps.items() if g}
    if gaps:
        detail = "; ".join(f"{s}: {len(g)} (e.g. {', '.join(g[:3])})" for s, g in gaps.items())
        raise KeyError(f"{sum(map(len, gaps.values()))} ProcessBench rows have no {what}: {detail}")
    return out
