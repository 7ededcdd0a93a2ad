"""Annotation results as a ``datasets.Dataset`` in TRL's stepwise-supervision schema.

Each row has ``prompt`` (the problem), ``completions`` (the steps up to and including the first
negative one) and ``labels`` (one per kept step), which is what ``trl.experimental.prm.PRMTrainer``
reads, plus metadata columns: ``solution_id``, ``source``, ``difficulty``, ``gold``,
``answer_correct``, ``mc_counts``, ``mc_drawn``, ``mc_first_error``, ``judge_index``,
``consensus`` (the reason of :func:`~prmlib.annotate.consensus.consensus_reason`), ``strategy``,
``k``, ``threshold``, ``rollouts`` and ``tokens``.

Labels: ``"hard"`` (MC, bool), ``"soft"`` (MC ``count / k``, float; needs exhaustive counts) or
``"judge"`` (from the judge's first-error index, bool); in memory also ``"exact"`` (the solutions'
own labels) and ``"consensus"`` (hard MC labels of the consensus-filtered solutions). TRL's
collator casts labels to int, so soft labels need a float-keeping trainer (see docs/annotation.md).

Two entry points, one code path: :func:`stepwise_rows_from_results` takes ``Solution`` objects,
``MCResult``\\ s and judge first-error indices held in memory; :func:`stepwise_rows` parses the JSONL
records of the annotation jobs into those and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmlib.annotate.consensus import consensus_filter
from prmlib.annotate.mc import MCResult
from prmlib.annotate.store import solution_id
from prmlib.solution import Solution, labels_from_first_error

LABEL_TYPES = ("hard", "soft", "judge")  # from JSONL records (:func:`stepwise_rows`)
RESULT_LABEL_TYPES = (*LABEL_TYPES, "exact", "consensus")  # in memory (:func:`stepwise_rows_from_results`)


def _judge_index(rec: dict[str, Any] | None) -> int | None:
    return None if rec is None else rec["judge"]["index"]


def stepwise_rows_from_results(
    solutions: Sequence[Solution],
    mc_results: Sequence[MCResult] | None = None,
    judge_indices: Sequence[int | None] | None = None,
    *,
    labels: str = "hard",
    threshold: int | None = None,
    consensus: bool | None = None,
    judged: Sequence[bool] | None = None,
    solution_ids: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """TRL stepwise rows (plain dicts) and a report, from annotation results held in memory.

    The same rows as :func:`stepwise_rows` builds from JSONL records (that function parses the
    records and calls this one), without writing or reading any file. Steps after the first
    negative step are dropped (the paper's convention).

    Args:
        solutions: the annotated :class:`~prmlib.solution.Solution`\\ s (``problem``, ``steps``,
            ``gold`` and ``meta`` go into the rows; ``labels`` only for ``labels="exact"``).
        mc_results: one :class:`~prmlib.annotate.mc.MCResult` per solution (e.g. from
            :func:`~prmlib.annotate.mc.mc_estimate`). Needed for MC labels and for consensus.
        judge_indices: per solution, the judge's first wrong step (-1: no error, ``None``: the
            verdict could not be read). Needed for judge labels and for consensus.
        labels: ``"hard"`` (MC, positive iff more than ``threshold`` of ``k`` completions are
            right), ``"soft"`` (MC ``count / k``; needs exhaustive counts), ``"judge"`` (from the
            judge's first error; unreadable verdicts are skipped and counted), ``"exact"`` (the
            solutions' own ``labels``, e.g. the synthetic verifier's) or ``"consensus"`` (hard MC
            labels of the solutions kept by consensus filtering).
        threshold: hard-label threshold (default: the MC run's; another one needs exhaustive
            counts). Soft labels are cut after the first step that is negative at it.
        consensus: keep only solutions whose MC and judge first errors agree
            (:func:`~prmlib.annotate.consensus.consensus_filter`). Default: only for
            ``labels="consensus"``.
        judged: per solution, whether a judgement exists at all (``False``: dropped by
            consensus as ``judge_missing``, not ``judge_unparseable``). Default: all judged.
        solution_ids: ids of the rows (default
            :func:`~prmlib.annotate.store.solution_id` of problem and steps, as the jobs write).

    Returns:
        ``(rows, report)``: the rows, with the metadata columns of the module docstring (``None``
        where the input has no MC result or judgement), and a report with ``solutions``,
        ``rows``, ``labels``, ``consensus_filter``, the consensus summary when MC results and
        judgements are both given, and ``skipped_unparseable_judge`` when judge labels skipped
        any.

    Example::

        results = mc_estimate(solutions, policy, config=MCConfig(k=8))
        rows, report = stepwise_rows_from_results(solutions, results, [j.index for j in verdicts],
                                                  labels="consensus")
    """
    if labels not in RESULT_LABEL_TYPES:
        raise ValueError(f"labels must be one of {RESULT_LABEL_TYPES}, got {labels!r}")
    if consensus is None:
        consensus = labels == "consensus"
    elif labels == "consensus" and not consensus:
        raise ValueError("labels='consensus' means consensus filtering; do not pass consensus=False")
    n = len(solutions)
    for name, seq in (("mc_results", mc_results), ("judge_indices", judge_indices), ("judged", judged),
                      ("solution_ids", solution_ids)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries for {n} solutions: they must be parallel")
    if mc_results is None and (consensus or labels in ("hard", "soft", "consensus")):
        what = f"labels={labels!r}" + (" with consensus filtering" if consensus else "")
        raise ValueError(f"{what} needs mc_results")
    if judge_indices is None and (consensus or labels == "judge"):
        raise ValueError("consensus filtering and judge labels need judge_indices")
    for idx, sol in enumerate(solutions):
        if not isinstance(sol, Solution):
            raise TypeError(f"solutions[{idx}] is a {type(sol).__name__}, not a Solution")
        if labels == "exact" and sol.labels is None:
            raise ValueError(f"solutions[{idx}] has no labels (labels='exact' reads Solution.labels)")
    if solution_ids is None:
        solution_ids = [solution_id(sol.problem, sol.steps) for sol in solutions]
    mc_fe = [res.first_error_at(threshold) for res in mc_results] if mc_results is not None else [None] * n
    jd = list(judge_indices) if judge_indices is not None else [None] * n
    decision = None
    if mc_results is not None and judge_indices is not None:
        decision = consensus_filter(mc_fe, jd, judged)
    rows = []
    skipped_no_judge = 0
    for i, sol in enumerate(solutions):
        if consensus and decision is not None and not decision.keep[i]:
            continue
        res = mc_results[i] if mc_results is not None else None
        if labels in ("hard", "consensus"):
            lab: list = res.hard_labels(threshold)
        elif labels == "soft":
            lab = res.soft_labels(res.threshold if threshold is None else threshold)
        elif labels == "exact":
            lab = sol.to_stepwise()["labels"]
        else:
            if jd[i] is None:
                skipped_no_judge += 1
                continue
            full = labels_from_first_error(len(sol.steps), jd[i])
            lab = full if jd[i] == -1 else full[: jd[i] + 1]
        meta = sol.meta or {}
        rows.append({
            "prompt": sol.problem,
            "completions": list(sol.steps[: len(lab)]),
            "labels": lab,
            "solution_id": solution_ids[i],
            "source": meta.get("source"),
            "difficulty": meta.get("difficulty"),
            "gold": sol.gold,
            "answer_correct": res.answer_correct if res is not None else meta.get("answer_correct"),
            "mc_counts": list(res.counts) if res is not None else None,
            "mc_drawn": list(res.drawn) if res is not None else None,
            "mc_first_error": mc_fe[i],
            "judge_index": jd[i],
            "consensus": decision.reasons[i] if decision is not None else None,
            "strategy": res.strategy if res is not None else None,
            "k": res.k if res is not None else None,
            "threshold": threshold if threshold is not None else (res.threshold if res is not None else None),
            "rollouts": res.rollouts if res is not None else None,
            "tokens": res.tokens if res is not None else None,
        })
    report: dict[str, Any] = {"solutions": n, "rows": len(rows), "labels": labels,
                              "consensus_filter": bool(consensus)}
    if decision is not None:
        report["consensus"] = decision.summary()
    if skipped_no_judge:
        report["skipped_unparseable_judge"] = skipped_no_judge
    return rows, report


def stepwise_rows(
    mc_records: Sequence[dict[str, Any]],
    judge_records: Sequence[dict[str, Any]] | None = None,
    *,
    labels: str = "hard",
    threshold: int | None = None,
    consensus: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows (plain dicts) and a report, from MC records and optional judge records.

    Parses the records and calls :func:`stepwise_rows_from_results`.

    Args:
        mc_records: records written by :func:`~prmlib.annotate.jobs.run_mc_job`.
        judge_records: records of :func:`~prmlib.annotate.jobs.run_judge_job`, matched to the MC
            records by ``solution_id``. Needed for ``consensus=True`` and ``labels="judge"``.
        labels: ``"hard"``, ``"soft"`` or ``"judge"``.
        threshold: hard-label threshold (default: the one of the MC run; another one needs
            exhaustive counts).
        consensus: keep only solutions where MC and judge agree on the first error.

    Returns:
        ``(rows, report)`` where the report has the consensus summary (when filtering) and counts.
    """
    if labels not in LABEL_TYPES:
        raise ValueError(f"labels must be one of {LABEL_TYPES}, got {labels!r}")
    if (consensus or labels == "judge") and judge_records is None:
        raise ValueError("consensus filtering and judge labels need judge records")
    judges: dict[str, dict[str, Any]] = {}
    for rec in judge_records or []:
        sid = rec["solution_id"]
        if sid in judges and judges[sid].get("judge_id") != rec.get("judge_id"):
            raise ValueError(f"solution {sid} was judged by two judges ({judges[sid].get('judge_id')!r} and "
                             f"{rec.get('judge_id')!r}): pass the records of one judge")
        judges.setdefault(sid, rec)
    solutions = [Solution(problem=r["problem"], steps=r["steps"], gold=r.get("gold"),
                          meta=r.get("meta") or {}) for r in mc_records]
    results = [MCResult.from_dict(r["mc"]) for r in mc_records]
    judge_given = judge_records is not None
    rows, report = stepwise_rows_from_results(
        solutions, results,
        [_judge_index(judges.get(r["solution_id"])) for r in mc_records] if judge_given else None,
        labels=labels, threshold=threshold, consensus=consensus,
        judged=[r["solution_id"] in judges for r in mc_records] if judge_given else None,
        solution_ids=[r["solution_id"] for r in mc_records],
    )
    return rows, {("mc_records" if key == "solutions" else key): v for key, v in report.items()}


def _features(rows: Sequence[dict[str, Any]], labels: str):
    from datasets import Features, Value
    from datasets import Sequence as Seq

    diffs = [r["difficulty"] for r in rows if r["difficulty"] is not None]
    diff_type = "int64" if all(isinstance(d, int) and not isinstance(d, bool) for d in diffs) else "string"
    return Features({
        "prompt": Value("string"),
        "completions": Seq(Value("string")),
        "labels": Seq(Value("float64" if labels == "soft" else "bool")),
        "solution_id": Value("string"),
        "source": Value("string"),
        "difficulty": Value(diff_type),
        "gold": Value("string"),
        "answer_correct": Value("bool"),
        "mc_counts": Seq(Value("int64")),
        "mc_drawn": Seq(Value("int64")),
        "mc_first_error": Value("int64"),
        "judge_index": Value("int64"),
        "consensus": Value("string"),
        "strategy": Value("string"),
        "k": Value("int64"),
        "threshold": Value("int64"),
        "rollouts": Value("int64"),
        "tokens": Value("int64"),
    }), diff_type


def to_dataset(rows: Sequence[dict[str, Any]], labels: str = "hard"):
    """A ``datasets.Dataset`` of :func:`stepwise_rows` rows (explicit column types, so that
    all-missing columns such as ``judge_index`` keep their type)."""
    from datasets import Dataset

    features, diff_type = _features(rows, labels)
    data = {name: [] for name in features}
    for r in rows:
        for name in features:
            v = r[name]
            if name == "difficulty" and v is not None and diff_type == "string":
                v = str(v)
            data[name].append(v)
    return Dataset.from_dict(data, features=features)


def build_stepwise_dataset(mc_records, judge_records=None, **kwargs):
    """:func:`stepwise_rows` then :func:`to_dataset`; returns ``(dataset, report)``."""
    rows, report = stepwise_rows(mc_records, judge_records, **kwargs)
    return to_dataset(rows, kwargs.get("labels", "hard")), report


def push_to_hub(dataset, repo_id: str, **kwargs) -> Any:
    """Pass-through to ``Dataset.push_to_hub(repo_id, **kwargs)`` (needs network and a token;
    not exercised by the offline tests)."""
    return dataset.push_to_hub(repo_id, **kwargs)
