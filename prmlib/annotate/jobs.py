"""Batch annotation jobs: MC estimation and judging, sharded, resumable, with progress bars.

Both jobs read solutions, keep those of their shard, skip the ones already in their output file,
and process the rest in batches; each finished batch is appended to the JSONL output at once
(:class:`~prmlib.annotate.store.ResultStore`). Killing a job loses at most the batch in flight
(and with a generation cache not even its completions); running it again finishes the work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmlib.annotate.mc import mc_estimate, mc_settings, solution_extraction
from prmlib.annotate.store import ResultStore, content_key, shard_of, shard_path, solution_id
from prmlib.interfaces import Generator, Judge
from prmlib.solution import Solution


def _solution_fields(sol: Solution) -> dict[str, Any]:
    return {
        "solution_id": solution_id(sol.problem, sol.steps),
        "problem": sol.problem,
        "steps": list(sol.steps),
        "gold": sol.gold,
        "meta": dict(sol.meta),
    }


def _todo(keys: Sequence[str], store: ResultStore, shard: int, num_shards: int) -> tuple[list[int], int, int]:
    """Indices still to do (one per distinct key of this shard), keys in the shard, keys done."""
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if shard_of(key, num_shards) == shard:
            first.setdefault(key, i)
    todo = [i for key, i in first.items() if key not in store]
    return todo, len(first), len(first) - len(todo)


def _bar(total: int, desc: str, show: bool):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="sol")


def run_mc_job(
    solutions: Sequence[Solution],
    generator: Generator,
    out: str | Path,
    *,
    k: int = 8,
    strategy: str = "exhaustive",
    threshold: int = 0,
    seed: int = 0,
    final_step: str = "grade",
    window: int = 1,
    batch_size: int = 64,
    shard: int = 0,
    num_shards: int = 1,
    generator_id: str = "",
    show_progress: bool = True,
) -> dict[str, Any]:
    """MC-annotate ``solutions`` into ``out/mc[-i-of-n].jsonl``; returns a summary dict.

    ``generator_id`` names the policy (model and sampling settings) in the content key, so
    changing the policy never reuses another policy's results. The key also holds the extraction
    policy that grades each solution's rollouts (:func:`prmlib.annotate.mc.solution_extraction`)
    and :data:`prmlib.grading.GRADING_VERSION`, so a change of policy or of the extraction rules
    re-grades instead of reusing old verdicts. Identical solutions (same problem, steps, gold and
    extraction policy) share one record; ``solutions_in_shard`` counts distinct ones.
    """
    from prmlib.grading import GRADING_VERSION

    start = time.perf_counter()
    settings = mc_settings(k, strategy, threshold, seed, final_step)
    path = shard_path(out, "mc", shard, num_shards)
    store = ResultStore(path)
    extraction = [solution_extraction(s) for s in solutions]
    keys = [content_key("mc", s.problem, s.steps, s.gold, settings, generator_id, e, GRADING_VERSION)
            for s, e in zip(solutions, extraction)]
    todo, in_shard, done_before = _todo(keys, store, shard, num_shards)
    rollouts = tokens = written = 0
    bar = _bar(len(todo), f"MC {strategy} k={k}", show_progress)
    try:
        for b in range(0, len(todo), batch_size):
            idx = todo[b : b + batch_size]
            batch = [solutions[i] for i in idx]
            results = mc_estimate(batch, generator, k=k, strategy=strategy, threshold=threshold, seed=seed,
                                  final_step=final_step, window=window, show_progress=False)
            records = []
            for i, sol, res in zip(idx, batch, results):
                rollouts += res.rollouts
                tokens += res.tokens
                records.append({"key": keys[i], **_solution_fields(sol), "settings": settings,
                                "generator": generator_id, "extraction": extraction[i], "mc": res.to_dict()})
            written += store.append(records)
            if bar is not None:
                bar.update(len(idx))
                bar.set_postfix(rollouts=rollouts, refresh=False)
    finally:
        if bar is not None:
            bar.close()
    return {
        "command": "annotate mc",
        "output": str(path),
        "solutions_in_shard": in_shard,
        "already_done": done_before,
        "annotated": written,
        "records": len(store),
        "rollouts": rollouts,
        "tokens": tokens,
        "rollouts_per_solution": rollouts / written if written else 0.0,
        "seconds": round(time.perf_counter() - start, 3),
        **_mc_label_counts(store.records()),
    }


def _mc_label_counts(records: list[dict[str, Any]]) -> dict[str, Any]:
    clean = sum(r["mc"]["first_error"] == -1 for r in records)
    steps = sum(len(r["mc"]["labels"]) for r in records)
    positive = sum(sum(r["mc"]["labels"]) for r in records)
    return {"mc_clean_solutions": clean, "mc_error_solutions": len(records) - clean,
            "labelled_steps": steps, "positive_steps": positive}


def judge_id_of(judge: Judge, extra: str = "") -> str:
    """A name for a judge and its settings (goes into the content key)."""
    from prmlib.annotate.judge import LLMJudge

    if isinstance(judge, LLMJudge):
        gen = judge.generator
        fp = getattr(gen, "fingerprint", None) or getattr(getattr(gen, "config", None), "fingerprint", None)
        fp = fp() if callable(fp) else (fp or type(gen).__name__)
        return f"llm:{judge.style}:samples={judge.samples}:seed={judge.seed}:{fp}{extra}"
    cfg = getattr(judge, "config", None)
    return f"{type(judge).__name__}:{cfg!r}{extra}" if cfg is not None else f"{type(judge).__name__}{extra}"


def run_judge_job(
    solutions: Sequence[Solution],
    judge: Judge,
    out: str | Path,
    *,
    batch_size: int = 64,
    shard: int = 0,
    num_shards: int = 1,
    judge_id: str | None = None,
    keep_texts: bool = True,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Judge ``solutions`` into ``out/judge[-i-of-n].jsonl``; returns a summary dict.

    With an :class:`~prmlib.annotate.judge.LLMJudge` each record also holds the parsed index of
    every sample (``votes``), the tokens, and (``keep_texts``) the judge's texts.
    """
    from prmlib.annotate.judge import LLMJudge

    start = time.perf_counter()
    judge_id = judge_id or judge_id_of(judge)
    path = shard_path(out, "judge", shard, num_shards)
    store = ResultStore(path)
    keys = [content_key("judge", s.problem, s.steps, judge_id) for s in solutions]
    todo, in_shard, done_before = _todo(keys, store, shard, num_shards)
    tokens = written = 0
    bar = _bar(len(todo), "judge", show_progress)
    try:
        for b in range(0, len(todo), batch_size):
            idx = todo[b : b + batch_size]
            batch = [solutions[i] for i in idx]
            problems = [s.problem for s in batch]
            steps = [s.steps for s in batch]
            if isinstance(judge, LLMJudge):
                full = judge.judge(problems, steps)
                infos = [{"index": j.index, "votes": j.votes, "tokens": j.tokens,
                          **({"texts": j.texts} if keep_texts else {})} for j in full]
            else:
                infos = [{"index": i} for i in judge.first_errors(problems, steps)]
            records = []
            for i, sol, info in zip(idx, batch, infos):
                tokens += int(info.get("tokens", 0))
                records.append({"key": keys[i], **_solution_fields(sol), "judge_id": judge_id, "judge": info})
            written += store.append(records)
            if bar is not None:
                bar.update(len(idx))
    finally:
        if bar is not None:
            bar.close()
    recs = store.records()
    return {
        "command": "annotate judge",
        "output": str(path),
        "solutions_in_shard": in_shard,
        "already_done": done_before,
        "judged": written,
        "records": len(recs),
        "tokens": tokens,
        "seconds": round(time.perf_counter() - start, 3),
        "judge_clean": sum(r["judge"]["index"] == -1 for r in recs),
        "judge_error": sum(r["judge"]["index"] is not None and r["judge"]["index"] >= 0 for r in recs),
        "judge_unparseable": sum(r["judge"]["index"] is None for r in recs),
    }
