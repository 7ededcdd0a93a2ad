"""Monte Carlo (MC) estimation of step labels, Math-Shepherd style, with cheaper exact search.

For step ``i`` of a solution, ``k`` completions continue from the prefix ``steps[:i+1]``; each is
graded against the gold answer; the step's count is how many reach it. Labels:

* hard (:func:`hard_labels`): positive iff MORE than ``threshold`` of the ``k`` are right
  (``threshold=0``, the paper's default: "any completion correct");
* soft (:func:`soft_labels`): ``count / k``.

Steps after the first negative step are dropped.

Strategies (all give an :class:`MCResult` with the counts, rollouts and tokens spent):

* ``"exhaustive"``: ``k`` completions for every step (the paper's procedure). Soft labels and every
  threshold are available afterwards.
* ``"early_stop"``: exact for hard labels at one threshold. Completions are drawn in small rounds
  (1, 1, 2, 4, ... for ``k=8``) and a step stops as soon as its label is decided (``count >
  threshold`` reached, or no longer reachable); steps are visited in order and a solution stops at
  its first negative step. Because completion ``j`` of a prefix is always drawn with the same seed
  (:func:`prmlib.generation.item_seed` + ``j``), its labels are IDENTICAL to those of
  ``"exhaustive"`` on the same generator and seed.
* ``"binary_search"``: OmegaPRM-style search for the first negative step, assuming that once a
  prefix fails every longer prefix fails (then a solution whose final answer is right has no
  negative step, and one whose answer is wrong needs ``log2(steps)`` probes, each stopped early).
  The assumption does not always hold; compare with ``"exhaustive"`` to see how often.

The last step is complete (it holds the final answer), so by default (``final_step="grade"``) it
is labelled by grading the solution itself (count ``k`` if right, else 0; no rollouts);
``final_step="rollout"`` samples it like the others.

Generator calls are batched across solutions: every round makes one call for all pending
prefixes (through :func:`prmlib.generation.continue_seeded`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from prmlib.generation.base import continue_seeded, item_seed
from prmlib.interfaces import Generator
from prmlib.solution import STEP_SEPARATOR, Solution, join_steps

STRATEGIES = ("exhaustive", "early_stop", "binary_search")
FINAL_STEP_MODES = ("grade", "rollout")


# --------------------------------------------------------------------------- labels
def _check_threshold(k: int, threshold: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not 0 <= threshold < k:
        raise ValueError(f"threshold must be in [0, {k - 1}] for k={k}, got {threshold}")


def hard_labels(counts: Sequence[int | None], k: int, threshold: int = 0) -> list[bool]:
    """Hard step labels from MC counts: step positive iff ``count > threshold``.

    Steps after the first negative one are dropped. ``None`` counts (steps that were not sampled)
    are only allowed after the first negative step.
    """
    _check_threshold(k, threshold)
    out: list[bool] = []
    for i, c in enumerate(counts):
        if c is None:
            raise ValueError(f"step {i} has no MC count (it was not sampled)")
        positive = int(c) > threshold
        out.append(positive)
        if not positive:
            break
    return out


def soft_labels(counts: Sequence[int | None], k: int, threshold: int = 0) -> list[float]:
    """Soft step labels ``count / k``; steps after the first hard-negative step (``count <=
    threshold``) are dropped, as for :func:`hard_labels`."""
    n = len(hard_labels(counts, k, threshold))
    return [int(c) / k for c in counts[:n]]  # type: ignore[arg-type]


def decide(correct: int, drawn: int, k: int, threshold: int) -> bool | None:
    """Hard label once it is certain whatever the remaining ``k - drawn`` completions give."""
    if correct > threshold:
        return True
    if correct + (k - drawn) <= threshold:
        return False
    return None


# --------------------------------------------------------------------------- result
@dataclass
class MCResult:
    """MC estimation of one solution.

    Args:
        counts: per step, completions that reached the gold answer (``None``: not sampled). For
            ``early_stop``/``binary_search`` a count is out of ``drawn[i]`` completions, not ``k``.
        drawn: per step, completions drawn (0 for a graded final step).
        k, threshold, strategy, final_step: the settings.
        labels: hard labels at ``threshold``, truncated after the first negative step.
        first_error: index of the first negative step, -1 if none.
        rollouts: completions sampled for this solution.
        tokens: tokens generated for them.
        answer_correct: whether the solution's own final answer is right.
    """

    counts: list[int | None]
    drawn: list[int]
    k: int
    threshold: int
    strategy: str
    final_step: str
    labels: list[bool]
    first_error: int
    rollouts: int
    tokens: int
    answer_correct: bool
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every step sampled ``k`` times (so soft labels and any threshold are available)."""
        return all(c is not None for c in self.counts) and all(
            d == self.k for i, d in enumerate(self.drawn) if not self._graded(i)
        )

    def _graded(self, i: int) -> bool:
        return self.final_step == "grade" and i == len(self.counts) - 1

    def hard_labels(self, threshold: int | None = None) -> list[bool]:
        """Hard labels; another threshold than the run's needs complete (exhaustive) counts."""
        if threshold is None or threshold == self.threshold:
            return list(self.labels)
        if not self.complete:
            raise ValueError(f"{self.strategy} counts only decide labels at threshold {self.threshold}")
        return hard_labels(self.counts, self.k, threshold)

    def first_error_at(self, threshold: int | None = None) -> int:
        """Index of the first negative step at ``threshold`` (the run's by default), -1 if none."""
        hard = self.hard_labels(threshold)
        return len(hard) - 1 if hard and not hard[-1] else -1

    def soft_labels(self, threshold: int = 0) -> list[float]:
        if not self.complete:
            raise ValueError(f"soft labels need complete counts; strategy {self.strategy!r} stops early")
        return soft_labels(self.counts, self.k, threshold)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MCResult:
        return cls(**data)


# --------------------------------------------------------------------------- grading
def solution_extraction(sol: Solution) -> str:
    """The extraction policy that grades a solution's rollouts: ``meta["extraction"]`` if set, else
    the default of its ``meta["benchmark"]`` or ``meta["source"]``
    (:func:`prmlib.data.default_extraction`: ``"strict"`` for the synthetic world, ``"auto"`` when
    unknown)."""
    from prmlib.data.benchmarks import default_extraction

    meta = sol.meta or {}
    return str(meta.get("extraction") or default_extraction(meta.get("benchmark") or meta.get("source")))


def _graders(solutions: Sequence[Solution], grade_fn: Callable[[str, str], bool] | None) -> list:
    """One grading function per solution: ``grade_fn``, or a shared cached
    :class:`prmlib.grading.Grader` per extraction policy."""
    if grade_fn is not None:
        return [grade_fn] * len(solutions)
    from prmlib.grading import Grader

    shared: dict[str, Grader] = {}
    return [shared.setdefault(p, Grader(policy=p)) for p in map(solution_extraction, solutions)]


# --------------------------------------------------------------------------- schedulers
class _Plan:
    """Per-solution state: which steps to sample next, and their labels once decided."""

    def __init__(self, n_steps: int, k: int, threshold: int, final_graded: bool, answer_correct: bool,
                 strategy: str, window: int) -> None:
        self.n, self.k, self.t = n_steps, k, threshold
        self.strategy = strategy
        self.window = window
        self.correct = [0] * n_steps
        self.drawn = [0] * n_steps
        self.label: list[bool | None] = [None] * n_steps
        self.sampled = [False] * n_steps
        self.last_rollout = not final_graded
        if final_graded:
            self.correct[-1] = k if answer_correct else 0
            self.label[-1] = self.correct[-1] > threshold
            self.sampled[-1] = True
        # binary search bounds: the first negative step lies in [lo, hi]; hi = n means "none"
        self.lo, self.hi = 0, n_steps
        self.first_error: int | None = None

    # which steps want completions now
    def active(self) -> list[int]:
        if self.first_error is not None:
            return []
        if self.strategy == "exhaustive":
            return [i for i in range(self.n) if not self.sampled[i] and self.drawn[i] < self.k]
        if self.strategy == "early_stop":
            out = []
            for i in range(self.n):
                if self.label[i] is False:
                    break
                if self.label[i] is None:
                    out.append(i)
                    if len(out) >= self.window:
                        break
            return out
        return [self._probe()] if self._probe() is not None else []

    def _probe(self) -> int | None:
        # binary search: settle the last step first (it bounds everything by the assumption)
        last = self.n - 1
        if self.label[last] is None:
            return last
        if self.label[last] and self.hi == self.n:
            return None  # answer reachable from the full solution: no negative step assumed
        hi = min(self.hi, last)
        if self.lo >= hi:
            return None
        mid = (self.lo + hi) // 2
        return mid

    def chunk(self, i: int) -> int:
        left = self.k - self.drawn[i]
        if self.strategy == "exhaustive":
            return left
        need = self.t + 1 - self.correct[i]  # successes still needed for a positive label
        size = max(need, self.drawn[i], 1)  # doubling: 1, 1, 2, 4, ...
        return min(left, size)

    def update(self, i: int, got: int, drawn: int) -> None:
        self.correct[i] += got
        self.drawn[i] += drawn
        self.sampled[i] = self.drawn[i] >= self.k
        if self.strategy == "exhaustive":
            if self.sampled[i]:
                self.label[i] = self.correct[i] > self.t
            return
        lab = decide(self.correct[i], self.drawn[i], self.k, self.t)
        self.label[i] = lab
        if lab is None or self.strategy != "binary_search":
            return
        last = self.n - 1
        if i == last:
            if not lab:
                self.hi = last
            return
        if lab:
            self.lo = i + 1
        else:
            self.hi = i

    def finished(self) -> bool:
        return not self.active()

    def final_labels(self) -> tuple[list[bool], int]:
        if self.strategy == "binary_search":
            last = self.n - 1
            if self.label[last] and self.hi == self.n:
                fe = -1
            else:
                fe = min(self.lo, last)
            labels = [True] * (self.n if fe < 0 else fe) + ([] if fe < 0 else [False])
            return labels, fe
        labels: list[bool] = []
        for lab in self.label:
            if lab is None:
                raise RuntimeError("MC estimation ended with an undecided step")
            labels.append(lab)
            if not lab:
                break
        fe = len(labels) - 1 if labels and not labels[-1] else -1
        return labels, fe


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class MCConfig:
    """The settings of an MC estimation run (what :func:`mc_estimate` takes besides its inputs).

    Args:
        k: completions per step (8 in the paper).
        strategy: ``"exhaustive"``, ``"early_stop"`` or ``"binary_search"``.
        threshold: hard-label threshold: a step is positive iff more than ``threshold`` of the
            ``k`` completions are right; the early-stopping strategies decide labels at it.
        seed: base seed; completion ``j`` of prefix ``steps[:i+1]`` uses
            ``item_seed(seed, problem, steps[:i+1]) + j`` whatever the strategy.
        final_step: ``"grade"`` (label the last step by grading the solution) or ``"rollout"``.
        window: ``early_stop`` only: undecided steps of a solution sampled at the same time
            (1 = strictly in order, fewest completions; larger = fewer rounds). It changes the
            cost, never the labels, so it is not part of :meth:`settings`.

    Example::

        cfg = MCConfig(k=8, strategy="early_stop")
        results = mc_estimate(solutions, policy, config=cfg)
    """

    k: int = 8
    strategy: str = "exhaustive"
    threshold: int = 0
    seed: int = 0
    final_step: str = "grade"
    window: int = 1

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.final_step not in FINAL_STEP_MODES:
            raise ValueError(f"final_step must be one of {FINAL_STEP_MODES}, got {self.final_step!r}")
        _check_threshold(self.k, self.threshold)
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")

    def settings(self) -> dict[str, Any]:
        """The settings that determine the labels (:func:`mc_settings`; keys of stored results)."""
        return mc_settings(self.k, self.strategy, self.threshold, self.seed, self.final_step)

    def replace(self, **changes: Any) -> MCConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


# --------------------------------------------------------------------------- main entry
def mc_settings(k: int, strategy: str, threshold: int, seed: int, final_step: str) -> dict[str, Any]:
    """The label-determining settings as a dict (stored with each result and part of its key)."""
    return {"k": k, "strategy": strategy, "threshold": threshold, "seed": seed, "final_step": final_step}


def mc_key(solution: Solution, settings: dict[str, Any], generator_id: str = "") -> str:
    """Content key of one MC job: problem, steps, gold, settings and generator identity."""
    blob = json.dumps([solution.problem, solution.steps, solution.gold, settings, generator_id],
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def mc_estimate(
    solutions: Sequence[Solution],
    generator: Generator,
    k: int | None = None,
    strategy: str | None = None,
    threshold: int | None = None,
    seed: int | None = None,
    final_step: str | None = None,
    window: int | None = None,
    grade_fn: Callable[[str, str], bool] | None = None,
    show_progress: bool = True,
    *,
    config: MCConfig | None = None,
) -> list[MCResult]:
    """Monte Carlo step labels of each solution (see the module docstring).

    Args:
        solutions: :class:`~prmlib.solution.Solution` objects with ``gold`` set.
        generator: the policy that writes the completions.
        k, strategy, threshold, seed, final_step, window: the :class:`MCConfig` fields (see
            there; defaults k=8, ``"exhaustive"``, 0, 0, ``"grade"``, 1). Given ones override
            ``config``'s.
        grade_fn: ``(full_text, gold) -> bool``; default a cached :class:`prmlib.grading.Grader`
            with each solution's extraction policy (:func:`solution_extraction`).
        show_progress: tqdm bar over solutions.
        config: the settings as one :class:`MCConfig` (default ``MCConfig()``).

    Returns:
        One :class:`MCResult` per solution, in order.
    """
    given = {"k": k, "strategy": strategy, "threshold": threshold, "seed": seed, "final_step": final_step,
             "window": window}
    if config is not None and not isinstance(config, MCConfig):
        raise TypeError(f"config must be an MCConfig, not {type(config).__name__}")
    cfg = (config or MCConfig()).replace(**{name: v for name, v in given.items() if v is not None})
    k, strategy, threshold, seed, final_step, window = (
        cfg.k, cfg.strategy, cfg.threshold, cfg.seed, cfg.final_step, cfg.window)
    for idx, sol in enumerate(solutions):
        if not isinstance(sol, Solution):
            raise TypeError(f"solutions[{idx}] is a {type(sol).__name__}, not a Solution")
        if sol.gold is None or str(sol.gold).strip() == "":
            raise ValueError(f"solutions[{idx}] has no gold answer (Solution.gold is needed for MC)")
        if not sol.steps:
            raise ValueError(f"solutions[{idx}] has no steps")
    graders = _graders(solutions, grade_fn)
    sep = getattr(generator, "step_separator", STEP_SEPARATOR)
    graded = final_step == "grade"
    plans = []
    answer_ok = []
    for grader, sol in zip(graders, solutions):
        ok = bool(grader(join_steps(sol.steps, sep), str(sol.gold)))
        answer_ok.append(ok)
        plans.append(_Plan(len(sol.steps), k, threshold, graded, ok, strategy, window))
    rollouts = [0] * len(solutions)
    tokens = [0] * len(solutions)
    bar = _progress(len(solutions), show_progress, strategy)
    done = [False] * len(solutions)
    try:
        while True:
            requests = []  # (solution index, step index, first completion index, count)
            for s, plan in enumerate(plans):
                for i in plan.active():
                    requests.append((s, i, plan.drawn[i], plan.chunk(i)))
            _tick(bar, plans, done, rollouts)
            if not requests:
                break
            problems = [solutions[s].problem for s, _, _, _ in requests]
            prefixes = [solutions[s].steps[: i + 1] for s, i, _, _ in requests]
            seeds = [item_seed(seed, p, pre) + start for p, pre, (_, _, start, _) in zip(problems, prefixes, requests)]
            outs = continue_seeded(generator, problems, prefixes, [n for *_, n in requests], seeds)
            for (s, i, _, n), pre, comps in zip(requests, prefixes, outs):
                if len(comps) != n:
                    raise RuntimeError(f"generator returned {len(comps)} completions, expected {n}")
                head = join_steps(pre, sep)
                gold = str(solutions[s].gold)
                got = 0
                for comp in comps:
                    text = head + sep + comp.text if comp.text else head
                    got += bool(graders[s](text, gold))
                    tokens[s] += int(comp.num_tokens)
                rollouts[s] += n
                plans[s].update(i, got, n)
    finally:
        if bar is not None:
            bar.close()
    results = []
    for s, plan in enumerate(plans):
        labels, fe = plan.final_labels()
        counts = [plan.correct[i] if (plan.drawn[i] > 0 or (graded and i == plan.n - 1)) else None
                  for i in range(plan.n)]
        results.append(MCResult(
            counts=counts, drawn=list(plan.drawn), k=k, threshold=threshold, strategy=strategy,
            final_step=final_step, labels=labels, first_error=fe, rollouts=rollouts[s],
            tokens=tokens[s], answer_correct=bool(answer_ok[s]),
        ))
    return results


def _progress(total: int, show: bool, strategy: str):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"MC ({strategy})", unit="sol")


def _tick(bar, plans, done, rollouts) -> None:
    if bar is None:
        return
    newly = 0
    for s, plan in enumerate(plans):
        if not done[s] and plan.finished():
            done[s] = True
            newly += 1
    if newly:
        bar.update(newly)
    bar.set_postfix(rollouts=sum(rollouts), refresh=False)
