"""Inputs of annotation jobs: a JSONL file of solutions, or solutions sampled in the synthetic world.

JSONL rows: ``{"problem": str, "steps": [str, ...] | "response": str, "gold": str}`` plus optional
``id``, ``source``, ``difficulty`` and ``meta`` (a dict). A ``response`` is split into steps on
blank lines. ``gold`` is needed for MC estimation, not for judging.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from prmlib.solution import Solution, split_steps

_META_FIELDS = ("id", "source", "difficulty")


def read_solutions(path: str | Path, require_gold: bool = True) -> list[Solution]:
    """Solutions from a JSONL file; errors name the file, line and field."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {path} does not exist")
    out: list[Solution] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc})") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{where}: a row must be a JSON object")  # noqa: TRY004 (bad input file)
            out.append(solution_from_row(row, where, require_gold))
    if not out:
        raise ValueError(f"{path} holds no solutions")
    return out


def solution_from_row(row: dict, where: str = "row", require_gold: bool = True) -> Solution:
    """One :class:`Solution` from an input row (see the module docstring)."""
    problem = row.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        raise ValueError(f"{where}: field 'problem' must be a non-empty string")
    if "steps" in row:
        steps = row["steps"]
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise ValueError(f"{where}: field 'steps' must be a list of strings")
    elif "response" in row:
        if not isinstance(row["response"], str):
            raise ValueError(f"{where}: field 'response' must be a string")
        steps = split_steps(row["response"])
    else:
        raise ValueError(f"{where}: needs a 'steps' list or a 'response' string")
    if not steps:
        raise ValueError(f"{where}: the solution has no steps")
    gold = row.get("gold")
    if gold is None and require_gold:
        raise ValueError(f"{where}: field 'gold' (the gold final answer) is required")
    meta = dict(row.get("meta") or {})
    for key in _META_FIELDS:
        if key in row:
            meta[key] = row[key]
    return Solution(problem=problem, steps=list(steps), gold=None if gold is None else str(gold), meta=meta)


def synthetic_solutions(
    n: int,
    seed: int = 0,
    difficulties: Sequence[int] = (1, 2, 3, 4, 5),
    per_problem: int = 1,
    policy=None,
) -> list[Solution]:
    """Solutions sampled by the synthetic policy on ``n`` synthetic problems, to be annotated.

    Problems are spread evenly over ``difficulties`` (the first levels get one more when ``n`` does
    not divide); each gets ``per_problem`` sampled solutions, drawn by the library's one sampler
    (:func:`prmlib.synth.sampling.sample_labelled`). The exact labels are removed (annotation
    makes its own); ``meta`` keeps ``source="synthetic"``, ``difficulty``, ``problem_id`` and the
    verifier's ``first_error`` for later comparison.
    """
    from prmlib.synth.sampling import sample_labelled, spread

    if n < 1:
        raise ValueError(f"need at least one synthetic problem, got {n}")
    if per_problem < 1:
        raise ValueError(f"per_problem must be >= 1, got {per_problem}")
    sols = sample_labelled(spread(n, difficulties), list(difficulties), per_problem=per_problem, seed=seed,
                           split="annotate", policy=policy)
    return [Solution(problem=s.problem, steps=s.steps, gold=s.gold, meta={**s.meta, "source": "synthetic"})
            for s in sols]
