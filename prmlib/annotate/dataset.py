"""Annotation results as a ``datasets.Dataset`` in TRL's stepwise-supervision schema.

Each row has ``prompt`` (the problem), ``completions`` (the steps up to and including the first
negative one) and ``labels`` (one per kept step), which is what ``trl.experimental.prm.PRMTrainer``
reads, plus metadata columns: ``solution_id``, ``source``, ``difficulty``, ``gold``,
``answer_correct``, ``mc_counts``, ``mc_drawn``, ``mc_first_error``, ``judge_index``,
``consensus`` (the reason of :func:`~prmlib.annotate.consensus.consensus_reason`), ``strategy``,
``k``, ``threshold``, ``rollouts`` and ``tokens``.

Labels: ``"hard"`` (MC, bool), ``"soft"`` (MC ``count / k``, float; needs exhaustive counts) or
``"judge"`` (from the judge's first-error index, bool). TRL's collator casts labels to int, so soft
labels need a float-keeping trainer (see docs/annotation.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmlib.annotate.consensus import consensus_filter
from prmlib.annotate.mc import MCResult
from prmlib.solution import labels_from_first_error

LABEL_TYPES = ("hard", "soft", "judge")


def _judge_index(rec: dict[str, Any] | None) -> int | None:
    return None if rec is None else rec["judge"]["index"]


def stepwise_rows(
    mc_records: Sequence[dict[str, Any]],
    judge_records: Sequence[dict[str, Any]] | None = None,
    *,
    labels: str = "hard",
    threshold: int | None = None,
    consensus: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows (plain dicts) and a report, from MC records and optional judge records.

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
    results = [MCResult.from_dict(r["mc"]) for r in mc_records]
    mc_fe = []
    for res in results:
        hard = res.hard_labels(threshold)
        mc_fe.append(len(hard) - 1 if hard and not hard[-1] else -1)
    judged = [r["solution_id"] in judges for r in mc_records]
    jd = [_judge_index(judges.get(r["solution_id"])) for r in mc_records]
    decision = consensus_filter(mc_fe, jd, judged) if judge_records is not None else None
    rows = []
    skipped_no_judge = 0
    for n, (rec, res) in enumerate(zip(mc_records, results)):
        if consensus and decision is not None and not decision.keep[n]:
            continue
        steps = rec["steps"]
        if labels == "hard":
            lab: list = res.hard_labels(threshold)
        elif labels == "soft":
            lab = res.soft_labels(res.threshold if threshold is None else threshold)
        else:
            if jd[n] is None:
                skipped_no_judge += 1
                continue
            full = labels_from_first_error(len(steps), jd[n])
            lab = full if jd[n] == -1 else full[: jd[n] + 1]
        meta = rec.get("meta") or {}
        rows.append({
            "prompt": rec["problem"],
            "completions": list(steps[: len(lab)]),
            "labels": lab,
            "solution_id": rec["solution_id"],
            "source": meta.get("source"),
            "difficulty": meta.get("difficulty"),
            "gold": rec.get("gold"),
            "answer_correct": res.answer_correct,
            "mc_counts": list(res.counts),
            "mc_drawn": list(res.drawn),
            "mc_first_error": mc_fe[n],
            "judge_index": jd[n],
            "consensus": decision.reasons[n] if decision is not None else None,
            "strategy": res.strategy,
            "k": res.k,
            "threshold": res.threshold if threshold is None else threshold,
            "rollouts": res.rollouts,
            "tokens": res.tokens,
        })
    report: dict[str, Any] = {"mc_records": len(mc_records), "rows": len(rows), "labels": labels,
                              "consensus_filter": bool(consensus)}
    if decision is not None:
        report["consensus"] = decision.summary()
    if skipped_no_judge:
        report["skipped_unparseable_judge"] = skipped_no_judge
    return rows, report


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
