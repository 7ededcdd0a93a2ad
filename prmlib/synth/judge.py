"""Synthetic judges: a noisy LLM-as-a-judge stand-in and a (nearly) exact human annotator.

:class:`SyntheticJudge` reads a solution the way an LLM critic does: step by step, re-computing each
step from the problem and from the values the solution wrote in the steps it has *accepted* so
far, and stops at the first step it finds wrong. It is noisy in the ways critics are:

* it **misses** a wrong step with a probability that depends on the kind of mistake, which it
  infers from the text by re-computing (an arithmetic slip is easy to see; a wrong value carried
  from an earlier step needs looking back; a misread operation is easiest to share). When it misses
  a mistake it accepts the step's value, so the steps that consistently build on it look right to
  it too (it may still stop later, at a different, wrong, index);
* it raises **false alarms** on correct steps;
* both rates grow with the length of the problem (``difficulty_slope`` per derived person beyond
  two), as critics do worse on harder problems.

:class:`SyntheticHuman` is the exact verifier, with an optional small rate of annotation slips.

Both are deterministic: the randomness for a solution comes from a hash of the judge's seed, the
problem and the solution text, so repeated calls agree and batch order does not matter.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from prmlib.interfaces import Judge
from prmlib.synth.problems import SynthProblem, parse_problem
from prmlib.synth.seeding import content_rng
from prmlib.synth.verifier import check_step, first_error, parse_step


@dataclass
class JudgeConfig:
    """Noise of :class:`SyntheticJudge`.

    Args:
        miss: per error kind (as inferred by re-computing), the chance of not flagging the step.
        false_alarm: chance of flagging a step the judge finds correct.
        difficulty_slope: both rates are multiplied by ``1 + slope * (derived people - 2)``.
        unparsed: chance that the judgement "cannot be parsed" (``None``), as with real critics.
        seed: seed of the judge's randomness.
    """

    miss: dict[str, float] = field(default_factory=lambda: {
        "arithmetic": 0.12, "value": 0.35, "operation": 0.25, "answer": 0.1, "format": 0.0})
    false_alarm: float = 0.02
    difficulty_slope: float = 0.1
    unparsed: float = 0.0
    seed: int = 0


def _rng(seed: int, tag: str, problem: str, steps: Sequence[str]) -> random.Random:
    return content_rng(f"{tag}\x00{seed}\x00{problem}\x00", steps)


def _problem(p: SynthProblem | str) -> SynthProblem:
    return p if isinstance(p, SynthProblem) else parse_problem(p)


class SyntheticJudge(Judge):
    """A noisy critic that returns the first step it finds wrong (see module docstring)."""

    def __init__(self, config: JudgeConfig | None = None, **overrides):
        self.config = config or JudgeConfig()
        for k, v in overrides.items():
            if not hasattr(self.config, k):
                raise TypeError(f"JudgeConfig has no field {k!r}")
            setattr(self.config, k, v)

    def first_errors(self, problems: Sequence[str], solutions: Sequence[Sequence[str]]) -> list[int | None]:
        if len(problems) != len(solutions):
            raise ValueError(f"{len(problems)} problems but {len(solutions)} solutions")
        return [self.judge_one(_problem(p), list(s)) for p, s in zip(problems, solutions)]

    def judge_one(self, problem: SynthProblem, steps: list[str]) -> int | None:
        cfg = self.config
        rng = _rng(cfg.seed, "judge", problem.text, steps)
        if rng.random() < cfg.unparsed:
            return None
        scale = 1.0 + cfg.difficulty_slope * (len(problem.derived) - 2)
        env = problem.values  # the judge computes the problem itself, then trusts accepted steps
        for i, s in enumerate(steps):
            ps = parse_step(s)
            kind = check_step(problem, ps, env)
            u = rng.random()
            if kind is not None:
                if u >= min(1.0, cfg.miss.get(kind, 0.0) * scale):
                    return i
            elif u < min(1.0, cfg.false_alarm * scale):
                return i
            if ps is not None and ps.name is not None and ps.name in env:
                env[ps.name] = ps.result
        return -1


class SyntheticHuman(Judge):
    """The exact verifier as an annotator; with ``noise > 0`` that share of solutions gets another
    index (uniform over the other possible answers, -1 included)."""

    def __init__(self, noise: float = 0.0, seed: int = 0):
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1], got {noise}")
        self.noise = noise
        self.seed = seed

    def first_errors(self, problems: Sequence[str], solutions: Sequence[Sequence[str]]) -> list[int | None]:
        if len(problems) != len(solutions):
            raise ValueError(f"{len(problems)} problems but {len(solutions)} solutions")
        out: list[int | None] = []
        for p, s in zip(problems, solutions):
            problem, steps = _problem(p), list(s)
            fe = first_error(problem, steps)
            if self.noise > 0:
                rng = _rng(self.seed, "human", problem.text, steps)
                if rng.random() < self.noise:
                    others = [j for j in range(-1, len(steps)) if j != fe]
                    if others:
                        fe = rng.choice(others)
            out.append(fe)
        return out
