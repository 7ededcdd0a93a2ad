"""Every metric of one PRM from its step scores: ProcessBench-style F1, Best-of-N, the bias analyses.

* ProcessBench: the threshold is tuned on the validation set (all levels pooled) and reused for
  every level of the test set (the paper tunes on ProcessBench's GSM8K subset and reuses it);
  the headline is the mean of the per-level F1s, as the paper averages its four subsets.
* Extracted rows (Table 5 / Figure 7): test rows whose final answer is right but which contain a
  wrong step; the accuracy of the predicted first error on them.
* Best-of-N: rm@N for product / min / last / mean, with pass@N and maj@N, per level and averaged.
* Figure 8: share of Best-of-N candidates (at least two steps) whose lowest step score is on the
  last step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from prmlib.eval.analysis import lowest_score_positions
from prmlib.eval.bon import AGGREGATIONS, BoNProblem, best_of_n, grade_problems
from prmlib.eval.processbench import (
    evaluate_processbench,
    finite_prefix,
    predictions_from_scores,
    tune_threshold,
)

THRESHOLDS = np.round(np.linspace(0.01, 0.99, 99), 2)


def bon_problems(bon: list[dict[str, Any]], step_scores: list[list[list[float]]] | None = None) -> list[BoNProblem]:
    """:class:`BoNProblem` objects of the run's candidate sets. Each candidate's correctness is the
    verdict stored with the set when it was built (``answer_correct``: the library's grader on real
    benchmarks, the world's own truth in the synthetic world), so that evaluating another PRM compares
    no answers again; records without it are graded by the library's grader. Answers are extracted
    for majority voting either way."""
    problems = [BoNProblem(problem=r["problem"], gold=str(r["gold"]), responses=r["responses"],
                           benchmark=r["benchmark"], extraction=r.get("extraction"),
                           step_scores=None if step_scores is None else step_scores[i],
                           correct=None if r.get("answer_correct") is None else [bool(c) for c in r["answer_correct"]])
                for i, r in enumerate(bon)]
    grade_problems(problems, progress=False)
    return problems


def extracted_rows(test: dict[str, list[dict]]) -> dict[str, np.ndarray]:
    """Per subset, a mask of the rows with a right final answer and a wrong step."""
    return {s: np.array([bool(r["final_answer_correct"]) and int(r["label"]) >= 0 for r in rows])
            for s, rows in test.items()}


def _clean(scores: dict[str, Any]) -> tuple[dict[str, Any], int]:
    cut = 0

    def fix(lst):
        nonlocal cut
        f = finite_prefix(lst)
        cut += len(lst) - len(f)
        return f

    def never_flagged(lst):  # ProcessBench rows keep their length; a cut step is never predicted
        f = fix(lst)
        return f + [math.inf] * (len(lst) - len(f))

    out = {name: {s: [never_flagged(x) for x in rows] for s, rows in scores[name].items()}
           for name in ("val", "test")}
    out["bon"] = [[fix(x) or [0.0] for x in problem] for problem in scores["bon"]]
    return out, cut


def prm_metrics(scores: dict[str, Any], sets: dict[str, Any], aggs=tuple(AGGREGATIONS)) -> dict[str, Any]:
    """All metrics of one PRM (see the module docstring) as a JSON-able dict (percentages)."""
    scores, truncated = _clean(scores)
    val_scores = [s for subset in sets["val"] for s in scores["val"][subset]]
    val_labels = [int(r["label"]) for subset in sets["val"] for r in sets["val"][subset]]
    threshold, val_f1 = tune_threshold(val_scores, val_labels, THRESHOLDS)
    pb = evaluate_processbench(sets["test"], step_scores=scores["test"], threshold=threshold, name="prm")
    levels = {s: {k: float(v) for k, v in m.items() if k in ("error_acc", "correct_acc", "f1")}
              for s, m in pb.metrics.items()}
    hit, total = 0, 0
    for s, mask in extracted_rows(sets["test"]).items():
        pred = predictions_from_scores(scores["test"][s], threshold)
        labels = np.array([int(r["label"]) for r in sets["test"][s]])
        hit += int((pred[mask] == labels[mask]).sum())
        total += int(mask.sum())
    problems = bon_problems(sets["bon"], scores["bon"])
    result = best_of_n(problems, aggs=list(aggs))
    bon = result.to_json(digits=4)
    flat = [s for per_problem in scores["bon"] for s in per_problem]
    lowest = lowest_score_positions(flat, min_steps=2)
    return {
        "threshold": threshold, "val_f1": val_f1,
        "processbench": {"avg_f1": float(np.mean([m["f1"] for m in levels.values()])), "levels": levels,
                         "error_acc": float(np.mean([m["error_acc"] for m in levels.values()])),
                         "correct_acc": float(np.mean([m["correct_acc"] for m in levels.values()]))},
        "extracted": {"n": total, "accuracy": 100.0 * hit / total if total else float("nan")},
        "bon": {agg: round(result.average(f"rm:{agg}"), 4) for agg in aggs}
        | {m: round(result.average(m), 4) for m in ("maj", "pass")},
        "bon_levels": bon["benchmarks"],
        "lowest_last_share": lowest["share_last"], "lowest_n": lowest["n"],
        "truncated_steps": truncated,
    }


def missing_metrics(aggs=tuple(AGGREGATIONS)) -> dict[str, Any]:
    """The shape of :func:`prm_metrics` with every number NaN: a PRM that could not be trained."""
    nan = float("nan")
    return {"threshold": nan, "val_f1": nan,
            "processbench": {"avg_f1": nan, "levels": {}, "error_acc": nan, "correct_acc": nan},
            "extracted": {"n": 0, "accuracy": nan}, "bon": {a: nan for a in (*aggs, "maj", "pass")},
            "bon_levels": {}, "lowest_last_share": nan, "lowest_n": 0, "missing": True}
