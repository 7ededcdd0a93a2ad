"""One sampler of labelled synthetic solutions, with one seeding scheme, and the test-set builders.

Every experiment draws its solutions here, so that "seed 0" means the same problems everywhere:

* :func:`split_seed` turns ``(seed, split, level)`` into the problem seed of that split and level.
  Splits (``"train"``, ``"val"``, ``"test"``, ``"bon"``, ``"offpolicy"`` ...) never share a
  problem text: held-out builders take an ``exclude`` set (the training problems);
* :func:`sample_labelled`: ``per_problem`` policy solutions for ``problems_per_level`` problems of
  each level, every step labelled by the exact verifier (ProcessBench convention: steps from the
  first error on are wrong);
* :func:`processbench_set`: a ProcessBench-style test set: per level as many erroneous as fully
  correct solutions, one subset per level (``"level-1"`` ...);
* :func:`bon_candidates`: Best-of-N candidate sets, ``n`` solutions per held-out problem.

``meta`` of every solution: ``id``, ``problem_id``, ``difficulty``, ``split``, ``first_error``
(-1: none), ``error_kind``, ``answer_correct``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prmlib.solution import Solution, labels_from_first_error, split_steps
from prmlib.synth.policy import SyntheticPolicy
from prmlib.synth.problems import LEVELS, make_problems
from prmlib.synth.verifier import first_error_kind, is_correct_answer


def split_seed(seed: int, split: str, level: int, round_: int = 0) -> int:
    """The problem seed of one split and level (and a top-up round); stable across Python runs."""
    digest = hashlib.sha256(f"prmlib-split|{seed}|{split}|{level}|{round_}".encode()).hexdigest()
    return int(digest[:12], 16)


def level_name(level: int) -> str:
    """Subset name of a difficulty level in test sets and tables."""
    return f"level-{level}"


def _label(problem, text: str, j: int, split: str) -> Solution | None:
    steps = split_steps(text)
    if not steps:
        return None
    fe, kind = first_error_kind(problem, steps)
    return Solution(
        problem=problem.text, steps=steps, labels=labels_from_first_error(len(steps), fe), gold=problem.gold,
        meta={"id": f"{split}-{problem.id}-{j}", "problem_id": problem.id, "difficulty": problem.difficulty,
              "split": split, "first_error": fe, "error_kind": kind,
              "answer_correct": is_correct_answer(text, problem.gold)},
    )


def _problems(n: int, level: int, seed: int, split: str, round_: int, exclude: set[str]):
    ps = make_problems(n, level, seed=split_seed(seed, split, level, round_))
    out = []
    for p in ps:
        if p.text in exclude:
            continue
        exclude.add(p.text)  # no duplicate problem inside a split either
        out.append(p)
    return out


def spread(n: int, levels: Sequence[int]) -> dict[int, int]:
    """``n`` problems spread evenly over ``levels`` (the first levels get one more when it does not divide)."""
    levels = list(levels)
    return {d: n // len(levels) + (1 if j < n % len(levels) else 0) for j, d in enumerate(levels)}


def sample_labelled(
    problems_per_level: int | Mapping[int, int],
    levels: Sequence[int] = tuple(LEVELS),
    per_problem: int = 1,
    seed: int = 0,
    split: str = "train",
    policy: SyntheticPolicy | None = None,
    exclude: Iterable[str] = (),
) -> list[Solution]:
    """Policy solutions of fresh problems with exact step labels.

    Args:
        problems_per_level: problems drawn per level (fewer when some repeat an excluded problem),
            or a mapping level -> count (see :func:`spread`).
        levels: difficulty levels (1-5).
        per_problem: solutions sampled per problem.
        seed: the experiment seed; with ``split`` and the level it fixes the problems and samples.
        split: name of the split (different splits draw different problems).
        policy: the :class:`SyntheticPolicy` (default: the calibrated one).
        exclude: problem texts not to use (e.g. the training problems, for a held-out split).
    """
    counts = dict(problems_per_level) if isinstance(problems_per_level, Mapping) else \
        {d: problems_per_level for d in levels}
    if any(c < 0 for c in counts.values()) or per_problem < 1:
        raise ValueError("problems_per_level must be >= 0 and per_problem >= 1")
    policy = policy or SyntheticPolicy()
    seen = set(exclude)
    out: list[Solution] = []
    for level in levels:
        if not counts.get(level):
            continue
        problems = _problems(counts[level], level, seed, split, 0, seen)
        comps = policy.sample([p.text for p in problems], per_problem, seed=split_seed(seed, split, level))
        for p, group in zip(problems, comps):
            for j, c in enumerate(group):
                sol = _label(p, c.text, j, split)
                if sol is not None:
                    out.append(sol)
    return out


def processbench_row(sol: Solution) -> dict[str, Any]:
    """A ProcessBench-style row (``id``, ``problem``, ``steps``, ``label``, ``final_answer_correct``,
    ``difficulty``, ``gold``) of a labelled synthetic solution."""
    return {"id": sol.meta["id"], "problem": sol.problem, "steps": list(sol.steps), "label": sol.meta["first_error"],
            "final_answer_correct": bool(sol.meta["answer_correct"]), "difficulty": sol.meta["difficulty"],
            "gold": sol.gold, "error_kind": sol.meta.get("error_kind")}


def processbench_set(
    per_level: int,
    levels: Sequence[int] = tuple(LEVELS),
    seed: int = 0,
    split: str = "test",
    policy: SyntheticPolicy | None = None,
    exclude: Iterable[str] = (),
    max_rounds: int = 50,
) -> dict[str, list[dict[str, Any]]]:
    """ProcessBench-style test set: per level ``per_level`` erroneous and ``per_level`` fully
    correct solutions (one per problem), as subsets ``level-1`` ... of ProcessBench rows.

    Problems are drawn in rounds until both counts are reached; raises if ``max_rounds`` do not
    suffice (a policy that almost never errs, or never succeeds, at some level).
    """
    policy = policy or SyntheticPolicy()
    seen = set(exclude)
    out: dict[str, list[dict[str, Any]]] = {}
    for level in levels:
        err: list[dict] = []
        ok: list[dict] = []
        for r in range(max_rounds):
            if len(err) >= per_level and len(ok) >= per_level:
                break
            problems = _problems(max(8, 2 * per_level), level, seed, split, r, seen)
            comps = policy.sample([p.text for p in problems], 1, seed=split_seed(seed, split, level, r))
            for p, group in zip(problems, comps):
                sol = _label(p, group[0].text, 0, split)
                if sol is None:
                    continue
                target = err if sol.meta["first_error"] >= 0 else ok
                if len(target) < per_level:
                    target.append(processbench_row(sol))
        if len(err) < per_level or len(ok) < per_level:
            raise RuntimeError(f"level {level}: only {len(err)} erroneous / {len(ok)} correct solutions after "
                               f"{max_rounds} rounds (wanted {per_level} each)")
        out[level_name(level)] = err + ok
    return out


def bon_candidates(
    problems_per_level: int,
    n: int = 8,
    levels: Sequence[int] = tuple(LEVELS),
    seed: int = 0,
    split: str = "bon",
    policy: SyntheticPolicy | None = None,
    exclude: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Best-of-N candidate sets: ``n`` policy solutions per held-out problem.

    Returns :func:`prmlib.eval.bon.bon_record` records (``benchmark`` = level name, extraction
    ``strict``, exact first errors), built by :func:`solutions_bon_record`.
    """
    policy = policy or SyntheticPolicy()
    seen = set(exclude)
    out = []
    for level in levels:
        problems = _problems(problems_per_level, level, seed, split, 0, seen)
        comps = policy.sample([p.text for p in problems], n, seed=split_seed(seed, split, level))
        for p, group in zip(problems, comps):
            sols = [_label(p, c.text, j, split) for j, c in enumerate(group)]
            sols = [s for s in sols if s is not None]
            if sols:
                out.append(solutions_bon_record(p.text, p.gold, level, sols))
    return out


def solutions_bon_record(problem: str, gold: str, level: int, sols: Sequence[Solution]) -> dict[str, Any]:
    """The Best-of-N record (:func:`prmlib.eval.bon.bon_record`) of labelled synthetic solutions
    to one problem: responses, steps, exact first errors and answer correctness from the
    solutions' ``meta``; the synthetic world's extraction policy (``strict``)."""
    from prmlib.eval.bon import bon_record

    return bon_record(problem, gold, level_name(level), [s.text for s in sols],
                      [bool(s.meta["answer_correct"]) for s in sols], extraction="strict",
                      steps=[list(s.steps) for s in sols], first_errors=[s.meta["first_error"] for s in sols])
