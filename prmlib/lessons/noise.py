"""Which differences between two PRMs of a run are larger than test-set noise.

A claim compares PRMs by a few points of ProcessBench F1 or Best-of-N accuracy, measured on a few
hundred test rows and problems. :func:`differences_table` gives each difference with its paired
bootstrap interval (:mod:`prmlib.eval.bootstrap`): the test rows (per level and class) and
Best-of-N problems (per level) are resampled, both PRMs are evaluated on the same resample, with
each PRM's threshold held at the value tuned on the validation set. The interval covers the draw of
the test set only. The same difference on another seed of the store (its own training data, labels,
training run and test set) shows how much more than that moves.

    from prmlib.lessons import LessonRun, noise
    noise.differences_table(LessonRun("cpu", seed=0), [("exact", "judge"), ("judge", "mc_hard")])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prmlib.eval.analysis import argmin_positions
from prmlib.eval.bon import best_of_n
from prmlib.eval.bootstrap import (
    bon_accuracy_interval,
    clustered_share_interval,
    paired_bon_accuracy,
    paired_processbench_f1,
    processbench_f1_interval,
)
from prmlib.eval.processbench import predictions_from_scores
from prmlib.lessons.evaluate import _clean, bon_problems, extracted_rows
from prmlib.lessons.experiment import prm_title

#: the comparisons of lesson 2's claims C2 and C3: the human row against the judge, the judge against MC
LESSON2_PAIRS = (("exact", "judge"), ("judge", "mc_hard"), ("exact", "mc_hard"))
#: C4: the consensus-filtered PRM against MC alone and against the judge
LESSON3_PAIRS = (("consensus_hard", "mc_hard"), ("consensus_hard", "judge"))
#: C5: hard against soft labels, before and after filtering
LESSON4_PAIRS = (("mc_hard", "mc_soft"), ("consensus_hard", "consensus_soft"))
#: C11: the recipe (consensus + hard) against the alternatives
LESSON7_PAIRS = (("consensus_hard", "mc_hard"), ("consensus_hard", "mc_soft"), ("consensus_hard", "judge"),
                 ("consensus_hard", "exact"))


def predictions_on_test(run, name: str) -> dict[str, np.ndarray]:
    """Per test level, each row's predicted first wrong step, at the PRM's tuned threshold (as its
    F1 in :meth:`LessonRun.metrics` is computed)."""
    scores, _ = _clean(run.scores(name))
    threshold = run.metrics(name)["threshold"]
    return {level: predictions_from_scores(rows, threshold) for level, rows in scores["test"].items()}


def labels_of_test(run) -> dict[str, np.ndarray]:
    """Per test level, each row's true first wrong step (-1: none)."""
    return {level: np.array([int(r["label"]) for r in rows]) for level, rows in run.sets["test"].items()}


def bon_correct(run, name: str, agg: str = "product") -> dict[str, np.ndarray]:
    """Per Best-of-N level, one bool per problem: is the candidate the PRM selects (``agg`` of its
    step scores) right. Problems keep the run's order, so two PRMs' arrays are paired."""
    scores, _ = _clean(run.scores(name))
    per = best_of_n(bon_problems(run.sets["bon"], scores["bon"]), aggs=[agg]).per_problem
    return {level: g.sort_index()[f"rm:{agg}"].to_numpy(dtype=bool) for level, g in per.groupby("benchmark", sort=False)}


def extracted_hits(run, name: str) -> np.ndarray:
    """One bool per right-answer-wrong-step test row (all levels pooled, as the metric
    ``extracted`` is): does the PRM predict its first wrong step exactly."""
    preds, labels = predictions_on_test(run, name), labels_of_test(run)
    masks = extracted_rows(run.sets["test"])
    return np.concatenate([preds[s][m] == labels[s][m] for s, m in masks.items()] or [np.zeros(0, bool)])


def lowest_last_counts(run, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per Best-of-N problem: how many of its candidates with at least two steps have their lowest
    step score (first occurrence) on the last step, and how many such candidates it has. Pooled,
    this is the metric ``lowest_last_share`` (Figure 8; :func:`prmlib.eval.analysis.argmin_positions`,
    the rule of ``lowest_score_positions``, with ``min_steps=2``)."""
    scores, _ = _clean(run.scores(name))
    per = [argmin_positions(problem, min_steps=2) for problem in scores["bon"]]
    return (np.array([sum(i == n - 1 for i, n in p) for p in per], dtype=float),
            np.array([len(p) for p in per], dtype=float))


def measure_names(run, agg: str = "product") -> dict[str, str]:
    """``{"f1": ..., "bon": ...}``: how the tables name the two measures (Best-of-N with N and ``agg``)."""
    n = len(run.sets["bon"][0]["responses"]) if run.sets["bon"] else "N"
    return {"f1": "ProcessBench F1", "bon": f"BoN@{n} ({agg})"}


def intervals(run, names, agg: str = "product", n_boot: int = 2000, boot_seed: int = 0,
              confidence: float = 0.95) -> pd.DataFrame:
    """Per PRM (its name as the index): ProcessBench F1, Best-of-N accuracy (``agg``) and the
    accuracy on the right-answer-wrong-step test rows (``extracted``, :func:`extracted_hits`) and the
    share of Best-of-N candidates whose lowest step score is on the last step (``last``, Figure 8,
    :func:`lowest_last_counts`, problems resampled whole), each with its own bootstrap interval over
    the test rows / problems (for error bars; to compare two
    PRMs, use the paired :func:`differences_table`, whose intervals are narrower)."""
    labels, rows = labels_of_test(run), {}
    nan3 = (float("nan"),) * 3
    for n in names:
        if n not in run.prm_names() or run.metrics(n).get("missing"):
            continue
        f1 = processbench_f1_interval(predictions_on_test(run, n), labels, n_boot, boot_seed, confidence)
        bon = bon_accuracy_interval(bon_correct(run, n, agg), n_boot, boot_seed, confidence)
        hits = extracted_hits(run, n)  # one pool: the accuracy of one group of rows is their mean
        ext = bon_accuracy_interval({"all": hits}, n_boot, boot_seed, confidence) if len(hits) else nan3
        last = clustered_share_interval(*lowest_last_counts(run, n), n_boot, boot_seed, confidence)
        rows[n] = {"F1": f1[0], "F1 low": f1[1], "F1 high": f1[2], "BoN": bon[0], "BoN low": bon[1], "BoN high": bon[2],
                   "extracted": ext[0], "extracted low": ext[1], "extracted high": ext[2],
                   "last": last[0], "last low": last[1], "last high": last[2]}
    columns = [f"{m}{end}" for m in ("F1", "BoN", "extracted", "last") for end in ("", " low", " high")]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)  # the columns even with no PRM


def differences_table(run, pairs=LESSON2_PAIRS, agg: str = "product", n_boot: int = 2000, boot_seed: int = 0,
                      confidence: float = 0.95, other_seeds: bool = True) -> pd.DataFrame:
    """Two rows per pair ``(a, b)`` of PRM names, one per measure (ProcessBench F1, Best-of-N accuracy
    with ``agg``): both PRMs' values, ``a - b``, its paired bootstrap interval, whether the interval
    excludes 0, and (``other_seeds``) ``a - b`` on the other seeds of the profile whose verdicts this
    store recorded. Those are read from their stores, which are opened read-only: nothing is
    sampled, labelled or trained there, and a difference they do not hold is left out. Another seed
    has its own training data, labels, training run and test set: the column shows what the interval
    leaves out. ``boot_seed`` seeds the resampling.

    The human row (``exact``) is the run's own (``run.human``: exact labels, or PRM800K on the GPU
    profiles). Pairs with a PRM the run does not have (or could not train) are left out.
    """
    labels = labels_of_test(run)
    measures = measure_names(run, agg)
    pct = f"{100 * confidence:g}%"
    others: dict[int, object] = {}
    try:
        if other_seeds:
            _open_other_seeds(run, others)
        records = _records(run, pairs, agg, n_boot, boot_seed, confidence, labels, measures, others, pct)
    finally:
        for other in others.values():
            other.close()
    out = pd.DataFrame.from_records(records, columns=[
        "PRMs (a - b)", "measure", "a", "b", "a - b", f"{pct} low", f"{pct} high", "beyond test-set noise",
        "a - b, other seeds"]).set_index("PRMs (a - b)")
    out.attrs["caption"] = (
        f"a - b with its {100 * confidence:.0f}% paired bootstrap interval (percentile; {n_boot} resamples of the "
        f"{sum(len(v) for v in labels.values())} test rows and {len(run.sets['bon'])} Best-of-N problems, within each "
        "level (test rows also within class); each PRM's threshold held at its validation value, so neither training "
        "nor threshold tuning is in the interval; not adjusted for the number of comparisons). Percentage points; "
        "F1 is the mean of the per-level F1s; differences from unrounded values.")
    return out


def _records(run, pairs, agg, n_boot, boot_seed, confidence, labels, measures, others, pct) -> list[dict]:
    names, k = set(run.prm_names()), run.profile.sizes.k
    preds, correct, records = {}, {}, []
    for a, b in pairs:
        a, b = run.own_name(a), run.own_name(b)
        if not {a, b} <= names or any(run.metrics(n).get("missing") for n in (a, b)):  # not trained (no rows)
            continue
        for n in (a, b):
            if n not in preds:
                preds[n], correct[n] = predictions_on_test(run, n), bon_correct(run, n, agg)
        opts = {"n_boot": n_boot, "seed": boot_seed, "confidence": confidence}
        cis = {"f1": paired_processbench_f1(preds[a], preds[b], labels, **opts),
               "bon": paired_bon_accuracy(correct[a], correct[b], **opts)}
        for key, ci in cis.items():
            elsewhere = [f"seed {s}: {d:+.1f}" for s, other in others.items()
                         if (d := _difference(other, a, b, key, agg)) is not None]
            records.append({"PRMs (a - b)": f"{prm_title(a, k)} - {prm_title(b, k)}", "measure": measures[key],
                            "a": ci["a"], "b": ci["b"], "a - b": ci["diff"], f"{pct} low": ci["lo"],
                            f"{pct} high": ci["hi"], "beyond test-set noise": ci["beyond"],
                            "a - b, other seeds": "; ".join(elsewhere) or "–"})
    return records


def resolution_note(table: pd.DataFrame) -> str:
    """One sentence: how large a difference this test set can resolve (the median half-width of the
    table's intervals, per measure), and what an interval containing 0 does not show."""
    if table.empty:
        return "*No pair of this lesson's PRMs is in this run.*"
    low = next(c for c in table.columns if c.endswith(" low"))
    high = next(c for c in table.columns if c.endswith(" high"))
    half = ((table[high] - table[low]) / 2).groupby(table["measure"], sort=False).median()
    parts = " and ".join(f"about {h:.1f} points of {m}" for m, h in half.items())
    return (f"At this test-set size, differences smaller than {parts} cannot be told from 0 (the median "
            "half-width of the intervals above). An interval that contains 0 does not show that two PRMs are "
            "equal, and a claim with a margin (judge - 3, within 1 point, ...) should be read against that "
            "margin, not against 0. The last column is the same difference on another seed, with its own "
            "training data, labels, training run and test set: what moves beyond a resample of one test set.")


def _open_other_seeds(run, into: dict[int, object]) -> None:
    """Open, read-only, the other seeds of this profile whose verdicts this store recorded
    (``claims.json``), into ``into``; none for a run with changed settings or a profile read from a
    file (their other seeds would be other experiments, or cannot be told apart)."""
    from prmlib.lessons import seed_claims
    from prmlib.lessons.experiment import LessonRun
    from prmlib.lessons.profiles import load_profile

    try:
        if run.profile != load_profile(run.profile.name):
            return
    except (FileNotFoundError, ValueError, TypeError):
        return
    for s in seed_claims.collect(run.root.parent):
        if s != run.seed:
            into[s] = LessonRun(run.profile, seed=s, run_dir=run.root.parent.parent, progress=False, read_only=True)


def _difference(other, a: str, b: str, key: str, agg: str) -> float | None:
    """``a - b`` of one measure on another seed's stored run; None when either PRM is not stored there."""
    try:
        ma, mb = other.metrics(a), other.metrics(b)
    except (LookupError, OSError, ValueError):
        return None
    va, vb = (m["processbench"]["avg_f1"] if key == "f1" else m["bon"].get(agg, float("nan")) for m in (ma, mb))
    return None if np.isnan(va) or np.isnan(vb) else float(va - vb)
