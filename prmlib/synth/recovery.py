"""How a completion that starts after a wrong step can still reach the right answer.

Monte Carlo estimation with hard labels at threshold 0 calls a step correct as soon as one of its
``k`` completions reaches the gold answer. After the *first wrong step* of a solution, that happens
only by one of five routes in the synthetic world (:mod:`prmlib.synth.policy`), each checked here on
the completion's text and the problem:

* ``"correction"``: the completion writes a ``Wait, ...`` step that redoes the wrong step (the
  policy re-reads its own text and notices the inconsistency);
* ``"distractor"``: the wrong step computes someone the question does not need, so the wrong value
  never reaches the answer;
* ``"rounded away"``: the wrong value does reach the answer's chain, but recomputing the problem's
  true relations from it still gives the gold answer, through a division made inexact by the wrong
  value, which the policy rounds down (``Tara has a third as many as Wes``: 11 // 3 = 9 // 3);
* ``"cancels"``: the same without an inexact division (the error cancels in the chain);
* ``"second slip"``: none of these; a later mistake lands back on the true value (the policy's
  ``compensate``, or another slip).

The routes are checked in that order and each completion gets the first that applies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from prmlib.solution import Solution, split_steps
from prmlib.synth.policy import SyntheticPolicy, carried_result
from prmlib.synth.problems import SynthProblem, parse_problem
from prmlib.synth.verifier import is_correct_answer, parse_step

ROUTES = ("correction", "distractor", "rounded away", "cancels", "second slip")


def answer_with(problem: SynthProblem, name: str, value: int) -> tuple[int, bool]:
    """The answer the problem's true relations give when ``name`` holds ``value`` (every later
    person recomputed from it; an inexact division rounds down, as the policy does), and whether a
    division on the way to the answer was inexact."""
    env = dict(problem.values)
    env[name] = value
    after, rounded = False, set()
    for q in problem.derived:
        if q.name == name:
            after = True
            continue
        if after:
            a, b = (env[x] if isinstance(x, str) else x for x in q.args)
            env[q.name], inexact = carried_result(q.op, a, b)
            if inexact:
                rounded.add(q.name)
    return env[problem.target], bool(rounded & (problem.needed | {problem.target}))


def recovery_route(problem: SynthProblem, wrong_step: str, completion: str) -> str:
    """Route (one of :data:`ROUTES`) by which ``completion``, written after ``wrong_step`` (a
    solution's first wrong step), reached the right answer. The caller checks that it did."""
    ps = parse_step(wrong_step)
    if ps is None or ps.name is None:  # an unreadable or bare answer step: nothing to propagate
        return "second slip"
    if any(c is not None and c.correction and c.name == ps.name for c in map(parse_step, split_steps(completion))):
        return "correction"
    if ps.name not in problem.needed:
        return "distractor"
    answer, rounded = answer_with(problem, ps.name, ps.result)
    if answer == problem.values[problem.target]:
        return "rounded away" if rounded else "cancels"
    return "second slip"


def route_shares(counts: Counter, of: str = "right") -> dict[str, float]:
    """Each route's share (%) of ``counts[of]`` (NaN when it is 0), keyed ``"<route> (%)"``."""
    n = counts[of]
    return {f"{route} (%)": 100.0 * counts[route] / n if n else float("nan") for route in ROUTES}


def recovery_routes(policy: SyntheticPolicy, solutions: Sequence[Solution], k: int = 8,
                    seed: int = 0) -> dict[str, Counter]:
    """Draw ``k`` completions after the first wrong step of each erroneous solution and count, per
    kind of that first error (``solution.meta["error_kind"]``), how often they reach the gold answer
    and by which route.

    Args:
        policy: the policy that wrote the solutions (the one MC estimation rolls out).
        solutions: labelled solutions with ``meta["first_error"]`` and ``meta["error_kind"]``
            (:func:`prmlib.synth.stats.sample_solutions`); correct ones are skipped.
        k: completions per first-error prefix (the MC estimate's ``k``).
        seed: seed of the completions (``policy.continue_steps``).

    Returns:
        ``{kind: Counter}`` with keys ``"solutions"`` (erroneous solutions of that kind),
        ``"prefixes right"`` (those whose first-error prefix has at least one right completion: what
        threshold-0 MC labels call correct), ``"completions"`` (drawn), ``"right"`` (that reached the
        answer) and one key per route of :data:`ROUTES` (right completions by route).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out: dict[str, Counter] = {}
    for sol in solutions:
        fe = int(sol.meta["first_error"])
        if fe < 0:
            continue
        problem = parse_problem(sol.problem)
        prefix = list(sol.steps[:fe + 1])
        comps = policy.continue_steps([problem], [prefix], k, seed=seed)[0]
        c = out.setdefault(str(sol.meta.get("error_kind")), Counter())
        c["solutions"] += 1
        c["completions"] += k
        right = [x.text for x in comps if is_correct_answer(prefix + split_steps(x.text), sol.gold)]
        c["prefixes right"] += bool(right)
        c["right"] += len(right)
        for text in right:
            c[recovery_route(problem, prefix[-1], text)] += 1
    return out
