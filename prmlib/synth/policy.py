"""The synthetic policy: writes step-by-step solutions with realistic, text-visible mistakes.

The policy reads the problem text, then computes the derived people one step each, in the order of
the problem, carrying the values *it has written* (not the true ones). Its last step boxes the
answer. Three things real policies do are modelled:

**Mistakes.** Each computation goes wrong with probability::

    p = error_scale * base_error[kind] * (1 + size_factor[op] * (digits(a) + digits(b) - 2))
                                     * (1 + load_factor * (derived people in the problem - 2))

capped at ``max_error``: multiplication and division are harder than addition, big numbers harder
than small ones, long problems harder than short ones. Since harder levels have more steps, bigger
numbers and harder operations, the per-step error rate grows with difficulty. A mistake is one of
(weights ``kind_weights``):

* *arithmetic slip*: the result is off by a few units (rarely by ten, a carry error);
* *wrong value*: an operand is another person's count or another number of the problem;
* *wrong operation*: e.g. ``+`` for "times as many", ``*`` for "half as many".

A mistake's result is carried into later steps, which then compute correctly from a wrong value.

**Recovery.** The policy re-reads its own text: a step is *inconsistent* when recomputing it from
the values written before it gives another result. Right after writing an inconsistent step it
notices with probability ``notice[kind]`` (slips are easy to notice, a misread operation is not:
re-reading repeats the misreading); just before the final step it reviews the solution and notices
the earliest inconsistent step still there with probability ``review[kind]``. Noticing writes a
correction (``Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.``) and recomputes every later
person. A step that uses a wrong carried value may also land on the true result anyway
(``compensate``: a second slip that cancels the first); a division made inexact by a carried slip
is rounded down, which can hide a small slip too. And from level 4 on, the problem has a distractor
(someone the question does not need): the policy skips it half of the time, else computes it, and
a mistake there does not touch the answer. All of these let a solution reach the right answer
through a wrong step, more often on harder problems, which have more mistakes.

**Failure from correct prefixes.** Nothing about a correct prefix protects the remaining steps: on a
hard problem with many hard steps left, a correct step still has a low chance of leading to the
right answer, which is exactly what makes Monte Carlo estimation measure a value, not correctness.

Continuations (:meth:`SyntheticPolicy.continue_steps`) re-read the prefix text and continue from the
state it actually reached, mistakes included. Randomness comes from a hash of
``(seed, problem, prefix)``, so results do not depend on batch composition or order.
Tokens are counted as whitespace-separated pieces of the generated text.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from prmlib.interfaces import Completion, Generator
from prmlib.synth.problems import SynthProblem, apply_op, parse_problem
from prmlib.synth.seeding import content_rng
from prmlib.synth.surface import render_local_step
from prmlib.synth.verifier import check_step, parse_step

ALT_OPS = {"+": ("-", "*"), "-": ("+",), "*": ("+",), "/": ("*", "-")}
SLIP_DELTAS = (-3, -2, -1, 1, 2, 3, -10, 10)
SLIP_WEIGHTS = (1, 2, 3, 3, 2, 1, 0.3, 0.3)


@dataclass
class PolicyConfig:
    """Knobs of :class:`SyntheticPolicy` (defaults give the calibration in docs/synthetic.md).

    Args:
        error_scale: multiplies every step's error probability.
        base_error: error probability of one step per kind of sentence ("more", "times", ...),
            before size and load factors (some phrasings confuse the policy more than others).
        size_factor: extra relative error per digit beyond two (one-digit operands).
        load_factor: extra relative error per derived person beyond two (``None``: 0.3 on the
            local surface, whose one-digit numbers make slips rarer, 0.15 on the plain one).
        max_error: cap on one step's error probability.
        kind_weights: relative frequency of the kinds of mistake (arithmetic, value, operation).
        notice: per kind, the chance that the policy notices that the step it just wrote is
            inconsistent (re-reading it before the next step) and corrects it.
        review: per kind, the chance that a review before the final step notices the earliest
            inconsistent step still in the solution (other than the one just written) and corrects it.
        notice_load_factor: ``notice`` and ``review`` are divided by
            ``1 + notice_load_factor * (derived people - 2)``: long problems leave less attention.
        compensate: chance that a step computed from a wrong carried value writes the true result.
        skip_distractor: chance of skipping a person whom the question does not need (else the
            policy computes everyone, as models often do with irrelevant information).
        max_steps_factor: a generation stops ("length") after this many steps per derived person.
        surface: how steps are written: ``"local"`` (the default, :mod:`prmlib.synth.surface`: each
            step restates its relation and values and writes its computation as a sum or product)
            or ``"plain"`` (``Bob has Ann + 5 = 12 + 5 = 17 apples.``). Use the same surface as
            :func:`make_problems`.
        seed: used when ``sample``/``continue_steps`` get ``seed=None`` (with a call counter).
    """

    error_scale: float = 1.0
    base_error: dict[str, float] = field(default_factory=lambda: {
        "more": 0.06, "fewer": 0.07, "times": 0.08, "fraction": 0.1, "together": 0.06, "difference": 0.15})
    size_factor: dict[str, float] = field(default_factory=lambda: {"+": 0.2, "-": 0.25, "*": 0.8, "/": 0.8})
    load_factor: float | None = None
    max_error: float = 0.6
    kind_weights: dict[str, float] = field(
        default_factory=lambda: {"arithmetic": 0.45, "value": 0.3, "operation": 0.25})
    notice: dict[str, float] = field(
        default_factory=lambda: {"arithmetic": 0.3, "value": 0.03, "operation": 0.02})
    review: dict[str, float] = field(
        default_factory=lambda: {"arithmetic": 0.03, "value": 0.02, "operation": 0.01})
    notice_load_factor: float = 0.0
    compensate: float = 0.01
    skip_distractor: float = 0.5
    max_steps_factor: int = 3
    surface: str = "local"
    seed: int = 0

    @property
    def effective_load_factor(self) -> float:
        if self.load_factor is not None:
            return self.load_factor
        return 0.3 if self.surface == "local" else 0.15

    def step_error(self, kind: str, op: str, a: int, b: int, n_derived: int) -> float:
        """Probability that the policy gets the computation ``a op b`` (for a ``kind`` sentence) wrong."""
        digits = len(str(abs(a))) + len(str(abs(b)))
        p = (self.error_scale * self.base_error[kind] * (1.0 + self.size_factor[op] * (digits - 2))
             * (1.0 + self.effective_load_factor * (n_derived - 2)))
        return min(self.max_error, max(0.0, p))


def _seeded_rng(seed: int, problem: str, prefix: Sequence[str]) -> random.Random:
    return content_rng(f"{seed}\x00{problem}\x00", prefix)


@dataclass
class _State:
    """What a prefix reached: values written, next person to compute, unnoticed inconsistencies."""

    env: dict[str, int]
    frontier: int = 0
    suspects: list[tuple[int, str]] = field(default_factory=list)  # (derived index, kind), sorted
    last: tuple[int, str] | None = None  # the last step read, when it is inconsistent
    done: bool = False

    def copy(self) -> _State:
        return _State(dict(self.env), self.frontier, list(self.suspects), self.last, self.done)


def read_prefix(problem: SynthProblem, prefix: Sequence[str]) -> _State:
    """Re-read a prefix: the values it wrote, where it stopped, and which of its steps are not
    consistent with the values written before them (unreadable steps are skipped)."""
    index = {q.name: i for i, q in enumerate(problem.derived)}
    st = _State(env=problem.values)
    for s in prefix:
        ps = parse_step(s)
        if ps is None:
            continue
        if ps.name is None:
            st.done = True
            continue
        i = index.get(ps.name)
        if i is None:
            continue
        kind = check_step(problem, ps, st.env)
        _record(st, i, ps.name, ps.result, kind)
        if ps.boxed is not None:
            st.done = True
    return st


def _record(st: _State, i: int, name: str, value: int, kind: str | None) -> None:
    st.env[name] = value
    st.frontier = i + 1
    st.suspects = [s for s in st.suspects if s[0] < i]
    st.last = None if kind is None else (i, kind)
    if kind is not None:
        st.suspects.append((i, kind))


class SyntheticPolicy(Generator):
    """A seeded, fast stand-in for a policy model on synthetic problems (see module docstring).

    Example::

        >>> from prmlib.synth import make_problems, SyntheticPolicy
        >>> p = make_problems(1, difficulty=3, seed=0)[0]
        >>> [c] = SyntheticPolicy().sample([p.text], n=1, seed=0)[0]
        >>> c.text.endswith("}.")   # doctest: +SKIP
        True
    """

    def __init__(self, config: PolicyConfig | None = None, **overrides):
        self.config = config or PolicyConfig()
        for k, v in overrides.items():
            if not hasattr(self.config, k):
                raise TypeError(f"PolicyConfig has no field {k!r}")
            setattr(self.config, k, v)
        self._calls = 0
        self._kinds = list(self.config.kind_weights)
        self._kind_w = [self.config.kind_weights[k] for k in self._kinds]

    # -- Generator API ------------------------------------------------------------------
    def sample(self, problems: Sequence[str], n: int, seed: int | None = None) -> list[list[Completion]]:
        """``n`` full solutions per problem (a continuation of the empty prefix)."""
        return self.continue_steps(problems, [[] for _ in problems], n, seed)

    def continue_steps(self, problems: Sequence[str], prefixes: Sequence[Sequence[str]], k: int,
                       seed: int | None = None) -> list[list[Completion]]:
        """``k`` continuations of each ``(problem, prefix)``; text starts with the next step."""
        if len(problems) != len(prefixes):
            raise ValueError(f"{len(problems)} problems but {len(prefixes)} prefixes")
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        if seed is None:
            seed = self.config.seed * 1_000_003 + self._calls
            self._calls += 1
        out = []
        for text, prefix in zip(problems, prefixes):
            problem = text if isinstance(text, SynthProblem) else parse_problem(text)
            prefix = list(prefix)
            rng = _seeded_rng(seed, problem.text, prefix)
            state = read_prefix(problem, prefix)
            out.append([self._complete(problem, state.copy(), rng) for _ in range(k)])
        return out

    def continue_steps_seeded(self, problems: Sequence[str], prefixes: Sequence[Sequence[str]],
                              ks: Sequence[int], seeds: Sequence[int]) -> list[list[Completion]]:
        """``ks[i]`` continuations of item ``i``, completion ``j`` drawn with seed ``seeds[i] + j``
        (the per-item seeding convention of :mod:`prmlib.generation.base`). Completion ``j`` is
        exactly ``continue_steps([problem], [prefix], 1, seed=seeds[i] + j)``, in one batched call."""
        if not (len(problems) == len(prefixes) == len(ks) == len(seeds)):
            raise ValueError("problems, prefixes, ks and seeds must have the same length")
        out = []
        for text, prefix, k, s in zip(problems, prefixes, ks, seeds):
            problem = text if isinstance(text, SynthProblem) else parse_problem(text)
            prefix = list(prefix)
            state = read_prefix(problem, prefix)
            out.append([self._complete(problem, state.copy(), _seeded_rng(int(s) + j, problem.text, prefix))
                        for j in range(int(k))])
        return out

    # -- generation ---------------------------------------------------------------------
    def _complete(self, problem: SynthProblem, st: _State, rng: random.Random) -> Completion:
        if st.done:
            return Completion("", 0, "stop")
        cfg = self.config
        derived = problem.derived
        n = len(derived)
        item = problem.item
        true = problem.values
        steps: list[str] = []
        attention = 1.0 / (1.0 + cfg.notice_load_factor * (n - 2))
        needed = _needed(problem)
        finish = "length"
        for _ in range(cfg.max_steps_factor * n + 2):
            if st.frontier >= n:  # everything computed but never boxed (a hand-written prefix)
                steps.append(f"The answer is \\boxed{{{st.env[problem.target]}}}.")
                finish = "stop"
                break
            fix = None
            if st.last is not None and rng.random() < cfg.notice.get(st.last[1], 0.0) * attention:
                fix = st.last[0]  # re-reading the step just written
            elif (st.frontier == n - 1 and st.suspects and st.suspects[0] != st.last
                  and rng.random() < cfg.review.get(st.suspects[0][1], 0.0) * attention):
                fix = st.suspects[0][0]  # reviewing the whole solution before the final step
            if fix is not None:
                i = fix
                q = derived[i]
                a, b = (st.env[x] if isinstance(x, str) else x for x in q.args)
                c = apply_op(q.op, a, b)
                if c is None:  # cannot redo it cleanly from the values written: give up on it
                    st.suspects = [x for x in st.suspects if x[0] != i]
                    st.last = None
                    continue
                old = st.env[q.name]
                if cfg.surface == "local":
                    steps.append(render_local_step(q.name, q.kind, q.args, q.args, q.op, a, b, c,
                                                   correction=True, old=old))
                else:
                    steps.append(f"Wait, {_render(q.name, q.args, q.op, a, b, c, item)}, not {old}.")
                _record(st, i, q.name, c, None)
                continue
            i = st.frontier
            q = derived[i]
            if q.name not in needed and rng.random() < cfg.skip_distractor:
                st.frontier += 1  # sees that nobody needs this person and moves on
                st.last = None
                continue
            terms = q.args
            a, b = (st.env[x] if isinstance(x, str) else x for x in terms)
            op = q.op
            c, inexact = carried_result(op, a, b)
            kind = None
            if inexact:
                kind = "arithmetic"
            elif rng.random() < cfg.step_error(q.kind, op, a, b, n):
                kind = rng.choices(self._kinds, self._kind_w)[0]
                terms, op, a, b, c, kind = self._mistake(kind, problem, q, a, b, c, st, rng)
            elif (a, b) != _true_operands(q, true) and rng.random() < cfg.compensate and c != q.value:
                c = q.value  # a second slip that lands on the true count
                kind = "arithmetic"
            if cfg.surface == "local":
                # names are restated with the values this solution wrote for them; a value mistake
                # then shows as a restated value that differs from the operand used
                stated = tuple(st.env[t] if isinstance(t, str) else None for t in terms)
                step = render_local_step(q.name, q.kind, q.args, terms, op, a, b, c, stated=stated,
                                         final=q.name == problem.target)
            else:
                step = _render(q.name, terms, op, a, b, c, item) + "."
            _record(st, i, q.name, c, kind)
            if q.name == problem.target:
                if cfg.surface != "local":  # the local surface boxes the final value in the step
                    step = f"{step} The answer is \\boxed{{{c}}}."
                steps.append(step)
                finish = "stop"
                break
            steps.append(step)
        text = "\n\n".join(steps)
        return Completion(text, len(text.split()), finish)

    def _mistake(self, kind, problem, q, a, b, c, st, rng):
        """Apply one mistake of ``kind`` to ``q``'s computation; returns ``(terms, op, a, b, c, kind)``.
        Falls back to an arithmetic slip when the kind does not fit."""
        terms = q.args
        if kind == "operation":  # misreads the relation: another operation, computed right
            alts = [o for o in ALT_OPS[q.op] if (apply_op(o, a, b) or -1) >= 0]
            if alts:
                op = rng.choice(alts)
                c2 = apply_op(op, a, b)
                if c2 != c:
                    return terms, op, a, b, c2, "operation"
        elif kind == "value":
            j = rng.randrange(2)
            ref = terms[j]
            cur = (a, b)[j]
            if isinstance(ref, str):
                before = [p.name for p in problem.quantities[:_position(problem, q.name)] if p.name != ref]
                others = [p for p in before if st.env[p] != cur]
                if others:
                    other = rng.choice(others)
                    wrong = st.env[other]
                    if rng.random() < 0.5:  # uses the wrong person
                        new_terms = (other, terms[1]) if j == 0 else (terms[0], other)
                    else:  # right person, another count copied for it
                        new_terms = terms
                else:
                    new_terms, wrong = terms, None
            else:  # misreads a constant of the problem (another number of it, or off by one)
                pool = [x for x in problem.constants if x != cur] + [cur + 1, cur - 1]
                pool = [x for x in pool if x != cur and x > 0]
                wrong = rng.choice(pool) if pool else None
                new_terms = (wrong, terms[1]) if j == 0 else (terms[0], wrong)
            if wrong is not None:
                a2, b2 = (wrong, b) if j == 0 else (a, wrong)
                c2 = apply_op(q.op, a2, b2)
                if c2 is not None and c2 >= 0 and c2 != c:
                    return new_terms, q.op, a2, b2, c2, "value"
        delta = rng.choices(SLIP_DELTAS, SLIP_WEIGHTS)[0]
        c2 = c + delta
        if c2 < 0:
            c2 = c - delta
        return terms, q.op, a, b, c2, "arithmetic"


def _render(name: str, terms, op: str, a: int, b: int, c: int, item: str) -> str:
    """``Bob has Ann + 5 = 12 + 5 = 17 apples`` (no final period)."""
    return f"{name} has {terms[0]} {op} {terms[1]} = {a} {op} {b} = {c} {item}"


_POSITIONS: dict[str, dict[str, int]] = {}
_NEEDED: dict[str, frozenset[str]] = {}


def carried_result(op: str, a: int, b: int) -> tuple[int, bool]:
    """What the policy writes for ``a op b`` and whether it had to round: a wrong carried value can
    make a division inexact, and the policy then rounds down (0 for a division by 0)."""
    c = apply_op(op, a, b)
    if c is None:
        return (a // b if b else 0), True
    return c, False


def _needed(problem: SynthProblem) -> frozenset[str]:
    got = _NEEDED.get(problem.text)
    if got is None:
        if len(_NEEDED) > 65536:
            _NEEDED.clear()
        got = _NEEDED[problem.text] = problem.needed
    return got


def _position(problem: SynthProblem, name: str) -> int:
    pos = _POSITIONS.get(problem.text)
    if pos is None:
        if len(_POSITIONS) > 65536:
            _POSITIONS.clear()
        pos = _POSITIONS[problem.text] = {p.name: i for i, p in enumerate(problem.quantities)}
    return pos[name]


def _true_operands(q, true: dict[str, int]) -> tuple[int, int]:
    a, b = (true[x] if isinstance(x, str) else x for x in q.args)
    return a, b
