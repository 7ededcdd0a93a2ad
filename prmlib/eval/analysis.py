"""Bias analyses of the Lessons paper (Section 3.2): why Best-of-N misjudges process quality.

* **Right answer, wrong process.** Policies reach correct final answers through wrong steps,
  more often on harder sets. :func:`correct_answer_wrong_process_rate` measures it on
  ProcessBench; :func:`extracted_processbench` selects those rows (final answer correct,
  ``label != -1``: 7 / 94 / 161 / 259 rows in GSM8K / MATH / OlympiadBench / Omni-MATH) and
  :func:`extracted_accuracy` is the accuracy of finding their first error (the paper's Table 5).
  An outcome-only judge scores 0 there by construction: it calls every such row correct.
* **Process-to-outcome drift.** A PRM tuned for Best-of-N tends to put its lowest step score on
  the last step, behaving like an outcome model. :func:`lowest_score_positions` measures the
  share of solutions whose minimum is at the last step (the paper's Figure 8) and the
  distribution of the minimum's relative position.
* **Is the final-answer flag what a grader says?** :func:`answer_agreement` grades every
  ProcessBench solution's final answer against the gold of its problem with an extraction policy
  (by default the subset's, :func:`prmlib.data.default_extraction`) and counts how often that
  agrees with the data's ``final_answer_correct`` flag, the flag behind the two analyses above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from prmlib.eval.processbench import BASELINES, SUBSET_NAMES, as_rows, baseline_predictions


def extracted_mask(rows: Any) -> np.ndarray:
    """Rows whose final answer is correct but whose process has an error."""
    rows = as_rows(rows)
    return np.array([bool(r["final_answer_correct"]) and int(r["label"]) != -1 for r in rows], dtype=bool)


def extracted_processbench(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The right-answer-wrong-process subset ("extracted ProcessBench") of each split."""
    out = {}
    for s, rows in data.items():
        rows = as_rows(rows)
        mask = extracted_mask(rows)
        out[s] = [r for r, m in zip(rows, mask) if m]
    return out


def correct_answer_wrong_process_rate(data: Mapping[str, Any]) -> pd.DataFrame:
    """Per subset: rows with a correct final answer, how many have a wrong step, and the share (%)."""
    records = []
    for s, rows in data.items():
        rows = as_rows(rows)
        right = [r for r in rows if bool(r["final_answer_correct"])]
        wrong_process = sum(int(r["label"]) != -1 for r in right)
        records.append({"subset": SUBSET_NAMES.get(s, s), "correct_answer": len(right),
                        "wrong_process": wrong_process,
                        "share": 100.0 * wrong_process / len(right) if right else float("nan")})
    return pd.DataFrame(records).set_index("subset")


def extracted_accuracy(
    data: Mapping[str, Any], predictions: Mapping[str, Sequence[int]], name: str = "ours"
) -> pd.DataFrame:
    """Accuracy (%) of the predicted first error on the extracted rows, one row like Table 5.

    Args:
        data: subset -> all ProcessBench rows.
        predictions: subset -> predicted first-error index for *every* row of ``data`` (the
            extracted rows are picked here).
        name: row label.

    Returns:
        columns ``GSM8K``, ``MATH``, ``OlympiadBench``, ``Omni-MATH`` (those present) and ``Avg.``
        (plain mean of the subset accuracies, as in the paper).
    """
    row: dict[str, float] = {}
    for s, rows in data.items():
        rows = as_rows(rows)
        pred = np.asarray(predictions[s], dtype=np.int64)
        if len(pred) != len(rows):
            raise ValueError(f"subset {s}: {len(pred)} predictions for {len(rows)} rows")
        mask = extracted_mask(rows)
        labels = np.array([int(r["label"]) for r in rows], dtype=np.int64)
        row[SUBSET_NAMES.get(s, s)] = 100.0 * float(np.mean(pred[mask] == labels[mask])) if mask.any() else float("nan")
    row["Avg."] = float(np.nanmean(list(row.values())))
    return pd.DataFrame([row], index=pd.Index([name], name="Model"))


def extracted_counts(data: Mapping[str, Any]) -> dict[str, int]:
    """Number of extracted rows per subset (paper: 7 / 94 / 161 / 259)."""
    return {s: int(extracted_mask(rows).sum()) for s, rows in data.items()}


def extracted_baselines(data: Mapping[str, Any], kinds: Sequence[str] = BASELINES) -> pd.DataFrame:
    """Table 5 rows of the trivial predictors (always -1, always step 0, outcome-only)."""
    return pd.concat([
        extracted_accuracy(data, {s: baseline_predictions(rows, k) for s, rows in data.items()}, name=k)
        for k in kinds])


def argmin_positions(step_scores: Sequence[Sequence[float]], min_steps: int = 1) -> list[tuple[int, int]]:
    """``(index of the lowest step score, number of steps)`` of each solution with at least
    ``min_steps`` steps (the first occurrence of the minimum); the rule of
    :func:`lowest_score_positions`, per solution."""
    out = []
    for scores in step_scores:
        s = np.asarray(scores, dtype=np.float64)
        if len(s) < max(min_steps, 1):
            continue
        if np.isnan(s).any():
            raise ValueError("step scores contain NaN")
        out.append((int(np.argmin(s)), len(s)))
    return out


def lowest_score_positions(
    step_scores: Sequence[Sequence[float]], bins: int = 10, min_steps: int = 1
) -> dict[str, Any]:
    """Where the lowest step score of each solution sits.

    The position of the minimum is its first occurrence (so a tie that includes the last step
    does *not* count as "last"). A one-step solution has its minimum at the last step, relative
    position 1.0; pass ``min_steps=2`` to leave such solutions out.

    Args:
        step_scores: per-solution step scores (e.g. a PRM on the Best-of-N candidates).
        bins: number of equal-width bins of the relative position ``argmin / (n - 1)`` in [0, 1]
            (10 = deciles; a position exactly on an inner edge goes to the upper bin, 1.0 to the last).
        min_steps: solutions with fewer steps are skipped.

    Returns:
        dict with ``n`` (solutions counted), ``share_last`` (% whose minimum is at the last step),
        ``share_first`` (% at the first step), and ``histogram``: a DataFrame with ``bin`` (label
        like "0.0-0.1"), ``count`` and ``share`` (%).
    """
    positions, last, first = [], 0, 0
    for i, n in argmin_positions(step_scores, min_steps):
        last += i == n - 1
        first += i == 0
        positions.append(1.0 if n == 1 else i / (n - 1))
    pos = np.asarray(positions)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, pos, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins) if len(pos) else np.zeros(bins, dtype=int)
    total = max(len(pos), 1)
    hist = pd.DataFrame({
        "bin": [f"{edges[b]:.3g}-{edges[b + 1]:.3g}" for b in range(bins)],
        "count": counts.astype(int),
        "share": 100.0 * counts / total,
    })
    n = len(pos)
    return {"n": n, "share_last": 100.0 * last / n if n else float("nan"),
            "share_first": 100.0 * first / n if n else float("nan"), "histogram": hist}


def answer_agreement(
    rows: Any, golds: Mapping[str, str], policy: str | None = None, grader: Any = None
) -> dict[str, Any]:
    """Agreement of a grader with ProcessBench's ``final_answer_correct`` flag on one subset.

    Two countings are reported. ``agreement`` counts a solution whose answer cannot be extracted
    as graded wrong, as a Best-of-N grader does; ``agreement_extracted`` leaves such solutions
    out (it only measures the comparison of answers that were found).

    Args:
        rows: ProcessBench rows of one subset (``split``, ``problem``, ``steps``, ``id``,
            ``final_answer_correct``).
        golds: problem text (stripped) -> gold answer; rows whose problem is missing are counted
            in ``no_gold`` and not graded.
        policy: extraction policy; default the subset's (``default_extraction("processbench/<split>")``).
        grader: a :class:`prmlib.grading.Grader` to reuse (its cache); default a new one.

    Returns:
        dict with ``policy``, ``rows``, ``no_gold``, ``graded`` (rows with a gold), ``no_answer``,
        ``agree``, ``agreement``, ``extracted``, ``agree_extracted``, ``agreement_extracted``, and
        ``disagreements``: one dict per disagreeing row (``id``, ``gold``, ``answer``, ``flag``,
        ``graded``).
    """
    from prmlib.data.benchmarks import default_extraction
    from prmlib.grading import Grader

    rows = as_rows(rows)
    grader = grader if grader is not None else Grader()
    split = str(rows[0].get("split", "")) if rows else ""
    policy = policy or default_extraction(f"processbench/{split}")
    out: dict[str, Any] = {"policy": policy, "rows": len(rows), "no_gold": 0, "graded": 0, "no_answer": 0, "agree": 0,
                           "extracted": 0, "agree_extracted": 0}
    disagreements = []
    for r in rows:
        gold = golds.get(str(r["problem"]).strip())
        if gold is None:
            out["no_gold"] += 1
            continue
        out["graded"] += 1
        answer = grader.extract("\n\n".join(r["steps"]), gold, policy)
        ok = grader.check(answer, gold, policy)
        flag = bool(r["final_answer_correct"])
        if answer is None:
            out["no_answer"] += 1
        else:
            out["extracted"] += 1
            out["agree_extracted"] += ok == flag
        if ok == flag:
            out["agree"] += 1
        else:
            disagreements.append({"id": str(r["id"]), "gold": gold, "answer": answer, "flag": flag, "graded": ok})
    out["agreement"] = out["agree"] / out["graded"] if out["graded"] else float("nan")
    out["agreement_extracted"] = out["agree_extracted"] / out["extracted"] if out["extracted"] else float("nan")
    out["disagreements"] = disagreements
    return out
