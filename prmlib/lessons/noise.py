"""Which differences between two PRMs of a run are larger than test-set noise.

A claim compares PRMs by a few points of ProcessBench F1 or Best-of-N accuracy, measured on a few
hundred test rows and problems. :func:`differences_table` gives each difference with its paired
bootstrap interval (:mod:`prmlib.eval.bootstrap`): the test rows (per level) and Best-of-N problems
(per level) are resampled, both PRMs are evaluated on the same resample, with each PRM's threshold
held at the value tuned on the validation set. The interval covers the draw of the test set only;
training noise (another seed, another PRM) is what the lessons' seed tables show.

    from prmlib.lessons import LessonRun, noise
    noise.differences_table(LessonRun("cpu", seed=0), [("exact", "judge"), ("judge", "mc_hard")])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prmlib.eval.bon import best_of_n
from prmlib.eval.bootstrap import paired_bon_accuracy, paired_processbench_f1
from prmlib.eval.processbench import predictions_from_scores
from prmlib.lessons.evaluate import _clean, bon_problems
from prmlib.lessons.experiment import PRM_TITLES

#: the comparisons of lesson 2's claims C2 and C3: the human row against the judge, the judge against MC
LESSON2_PAIRS = (("exact", "judge"), ("judge", "mc_hard"), ("exact", "mc_hard"))
#: C4: the consensus-filtered PRM against MC alone and against the judge
LESSON3_PAIRS = (("consensus_hard", "mc_hard"), ("consensus_hard", "judge"))
#: C5: hard against soft labels, before and after filtering
LESSON4_PAIRS = (("mc_hard", "mc_soft"), ("consensus_hard", "consensus_soft"))
#: C11: the recipe (consensus + hard) against the alternatives
LESSON7_PAIRS = (("consensus_hard", "mc_hard"), ("consensus_hard", "mc_soft"), ("consensus_hard", "judge"),
                 ("consensus_hard", "exact"))


def test_predictions(run, name: str) -> dict[str, np.ndarray]:
    """Per test level, each row's predicted first wrong step, at the PRM's tuned threshold (as its
    F1 in :meth:`LessonRun.metrics` is computed)."""
    scores, _ = _clean(run.scores(name))
    threshold = run.metrics(name)["threshold"]
    return {level: predictions_from_scores(rows, threshold) for level, rows in scores["test"].items()}


def test_labels(run) -> dict[str, np.ndarray]:
    """Per test level, each row's true first wrong step (-1: none)."""
    return {level: np.array([int(r["label"]) for r in rows]) for level, rows in run.sets["test"].items()}


def bon_correct(run, name: str, agg: str = "product") -> dict[str, np.ndarray]:
    """Per Best-of-N level, one bool per problem: is the candidate the PRM selects (``agg`` of its
    step scores) right. Problems keep the run's order, so two PRMs' arrays are paired."""
    scores, _ = _clean(run.scores(name))
    per = best_of_n(bon_problems(run.sets["bon"], scores["bon"]), aggs=[agg]).per_problem
    return {level: g.sort_index()[f"rm:{agg}"].to_numpy(dtype=bool) for level, g in per.groupby("benchmark", sort=False)}


def differences_table(run, pairs=LESSON2_PAIRS, agg: str = "product", n_boot: int = 2000, seed: int = 0,
                      confidence: float = 0.95) -> pd.DataFrame:
    """One row per pair ``(a, b)`` of PRM names: the differences ``a - b`` of ProcessBench F1 and of
    Best-of-N accuracy (``agg``), each with its paired bootstrap interval and whether the interval
    excludes 0. The human row (``exact``) is the run's own (``run.human``: exact labels, or PRM800K on
    the GPU profiles). Pairs with a PRM the run does not have are left out."""
    have = set(run.prm_names())
    human = {"exact": run.human}
    labels = test_labels(run)
    preds, correct = {}, {}
    rows = {}
    for a, b in pairs:
        a, b = human.get(a, a), human.get(b, b)
        if a not in have or b not in have:
            continue
        for n in (a, b):
            if n not in preds:
                preds[n], correct[n] = test_predictions(run, n), bon_correct(run, n, agg)
        f1 = paired_processbench_f1(preds[a], preds[b], labels, n_boot=n_boot, seed=seed, confidence=confidence)
        bon = paired_bon_accuracy(correct[a], correct[b], n_boot=n_boot, seed=seed, confidence=confidence)
        n_bon = len(run.sets["bon"][0]["responses"]) if run.sets["bon"] else "N"
        rows[f"{PRM_TITLES.get(a, a)} - {PRM_TITLES.get(b, b)}"] = {
            "F1 difference": f1["diff"], "F1 low": f1["lo"], "F1 high": f1["hi"],
            "F1 beyond noise": not f1["lo"] <= 0.0 <= f1["hi"],
            f"BoN@{n_bon} difference": bon["diff"], "BoN low": bon["lo"], "BoN high": bon["hi"],
            "BoN beyond noise": not bon["lo"] <= 0.0 <= bon["hi"]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "PRMs (a - b)"
    out.attrs["caption"] = (f"Differences with their {100 * confidence:.0f}% paired bootstrap intervals "
                            f"({n_boot} resamples of the test rows and Best-of-N problems, per level; "
                            "thresholds held fixed; training noise not included)")
    return out
