"""The exact step verifier of the synthetic world: re-reads and re-computes every step.

Step grammar (what the synthetic policy writes and what the verifier can read)::

    Bob has Ann + 5 = 12 + 5 = 17 apples.                                   a computation
    Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}.         the last one + answer
    Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.                     a self-correction
    The answer is \\boxed{47}.                                               a bare answer step

Each computation names what it uses (``Ann + 5``: the problem's relation), substitutes the values
(``12 + 5``) and computes (``= 17``), so a step can be checked from its own text plus the values it
references. Operands of ``+`` and ``*`` may come in either order; ``-`` and ``/`` keep the
problem's order.

A step is **wrong** when, checked against the problem's true values:

* ``"arithmetic"``: the written result is not ``a op b`` (division must be exact);
* ``"operation"``: the operation is not the one the problem's sentence for that person asks for;
* ``"value"``: it uses the wrong person or constant (``Ann * 3`` for "3 times as many as Bob"), or
  substitutes a wrong value for a right name (``Bob * 3 = 18 * 3`` when Bob has 17): a misread
  number, or a wrong value carried from an earlier step;
* ``"answer"``: the boxed answer is not the true answer (or is boxed on another person's step);
* ``"format"``: the step is outside the grammar, names someone the problem does not derive,
  counts another item, or writes different operations in its named and numeric parts. Text the
  verifier cannot read is never given the benefit of the doubt.

When several apply the first in this list is reported (``arithmetic`` before ``operation`` before
``value``).

**Errors carried forward.** The verifier checks each step against the *true* values, never
against the values the solution itself wrote earlier, so a step that consistently propagates an
earlier mistake ("Cara has Bob * 3 = 18 * 3 = 54" after a wrong "Bob ... = 18") is itself wrong
("value"). A step that recomputes correctly after an earlier error ("Wait, Bob has Ann + 5 = 12 + 5
= 17 apples, not 18.") is *locally* correct, and :func:`check_steps` says so; but, following ProcessBench, a
solution's label is its **first** wrong step, and :func:`step_labels` marks every step from the
first error on as wrong (a process that went wrong stays wrong, even when it later gets back on
track). So a solution that corrects itself and reaches the right answer still has a first error:
that is exactly the "right answer through a wrong step" case of the paper's Figure 6.

The same checker, run against the values a reader has *accepted so far* instead of the true ones
(:func:`check_step` with another ``env``), is what the synthetic policy uses to notice its own
mistakes and what the synthetic judge uses to look for errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prmlib.solution import labels_from_first_error, split_steps
from prmlib.synth.problems import SynthProblem, apply_op, parse_problem
from prmlib.synth.surface import parse_local_step

ERROR_KINDS = ("arithmetic", "operation", "value", "answer", "format")

_INT = r"(-?\d+)"
_TERM = r"([A-Z][a-z]+|-?\d+)"
STEP_RE = re.compile(
    rf"^(Wait, )?([A-Z][a-z]+) has {_TERM} ([-+*/]) {_TERM} = {_INT} ([-+*/]) {_INT} = {_INT} ([a-z]+)"
    rf"(?:, not {_INT})?\.(?: The answer is \\boxed\{{{_INT}\}}\.)?$"
)
ANSWER_RE = re.compile(rf"^(?:So )?[Tt]he answer is \\boxed\{{{_INT}\}}\.$")


@dataclass(frozen=True)
class ParsedStep:
    """A step read back from text (``name is None`` for a bare answer step, ``None`` overall when
    unreadable: see :func:`parse_step`). ``terms`` are the named operands (a name or an integer),
    ``a`` and ``b`` the numbers substituted for them, ``result`` the written result."""

    name: str | None
    terms: tuple[str | int, ...] = ()
    op: str = ""
    a: int = 0
    b: int = 0
    result: int = 0
    item: str = ""
    boxed: int | None = None
    correction: bool = False
    numeric_op: str = ""
    relation: tuple | None = None  # local surface: the restated ``(kind, args)`` of the problem
    stated: tuple[int, ...] = ()  # local surface: the values stated for the named operands


def _term(t: str) -> str | int:
    return t if t[0].isalpha() else int(t)


def parse_step(step: str) -> ParsedStep | None:
    """Read one step; ``None`` when it is outside the grammar."""
    s = step.strip()
    m = STEP_RE.match(s)
    if m is not None:
        wait, name, ta, op, tb, a, nop, b, c, item, _old, boxed = m.groups()
        return ParsedStep(name, (_term(ta), _term(tb)), op, int(a), int(b), int(c), item,
                          None if boxed is None else int(boxed), wait is not None, nop)
    m = ANSWER_RE.match(s)
    if m is not None:
        return ParsedStep(None, boxed=int(m.group(1)))
    if s.startswith(("Next, ", "Wait, ")):
        return _parse_local(s)
    return None


def _parse_local(s: str) -> ParsedStep | None:
    """A step of the ``local`` surface (:mod:`prmlib.synth.surface`)."""
    got = parse_local_step(s)
    if got is None:
        return None
    correction, name, rel, named, a, op, b, c, fname, fval, boxed = got
    if rel is None or fname != name or fval != c:
        return None
    names = [n for n, _ in named]
    if len(names) != sum(isinstance(x, str) for x in rel[1]):
        return None
    it = iter(names)
    terms = tuple(next(it) if isinstance(x, str) else x for x in rel[1])
    return ParsedStep(name, terms, op, a, b, c, "", boxed, correction, op, rel, tuple(v for _, v in named))


def _as_problem(problem: SynthProblem | str) -> SynthProblem:
    return problem if isinstance(problem, SynthProblem) else parse_problem(problem)


def _as_steps(steps_or_text: Sequence[str] | str) -> list[str]:
    if isinstance(steps_or_text, str):
        return split_steps(steps_or_text)
    return list(steps_or_text)


def check_step(problem: SynthProblem, step: ParsedStep | None, env: Mapping[str, int]) -> str | None:
    """Error kind of one parsed step against the values in ``env`` (``None`` = correct).

    ``env`` maps every person to the value the checker believes: the true values
    (``problem.values``) for the exact verifier; the values written so far for a reader who trusts
    the solution's earlier steps (the policy noticing its mistakes, the judge).
    """
    if step is None:
        return "format"
    if step.name is None:  # bare answer step
        return None if step.boxed == env[problem.target] else "answer"
    q = problem.quantity(step.name)
    local = step.relation is not None
    if q is None or not q.derived or (not local and step.item != problem.item) or step.numeric_op != step.op:
        return "format"
    got = apply_op(step.op, step.a, step.b)
    if got is None or got != step.result:
        return "arithmetic"
    if step.op != q.op or (local and step.relation[0] != q.kind):
        return "operation"
    if local:
        if tuple(step.relation[1]) != tuple(q.args):
            return "value"  # the relation restated with another person or constant
        nums = [x for t, x in zip(step.terms, (step.a, step.b)) if isinstance(t, str)]
        if list(step.stated) != nums:
            return "value"  # a stated value is not the number used
    terms = step.terms
    if list(terms) != list(q.args):
        if step.op in "+*" and list(terms) == list(q.args[::-1]):
            pass  # commutative: either order
        else:
            return "value"  # the wrong person or constant
    for t, x in zip(terms, (step.a, step.b)):
        if (env[t] if isinstance(t, str) else t) != x:
            return "value"  # a wrong number substituted for the right name
    if step.boxed is not None and (step.name != problem.target or step.boxed != step.result):
        return "answer"
    return None


def check_steps(problem: SynthProblem | str, steps_or_text: Sequence[str] | str) -> list[str | None]:
    """Per step, its error kind against the true values (``None`` = the step is locally correct).

    Unlike :func:`step_labels` this does not propagate the first error: a correct recomputation
    after a mistake is reported as correct here.
    """
    p = _as_problem(problem)
    env = p.values
    return [check_step(p, parse_step(s), env) for s in _as_steps(steps_or_text)]


def first_error(problem: SynthProblem | str, steps_or_text: Sequence[str] | str) -> int:
    """Index of the first wrong step (-1 when every step is right).

    Args:
        problem: a :class:`SynthProblem` or its text (re-read with :func:`parse_problem`).
        steps_or_text: the solution's steps, or its text (split on blank lines).

    A solution with no answer step but only correct steps gets -1: the label is about the process,
    the final answer is graded separately.
    """
    p = _as_problem(problem)
    env = p.values
    for i, s in enumerate(_as_steps(steps_or_text)):
        if check_step(p, parse_step(s), env) is not None:
            return i
    return -1


def first_error_kind(problem: SynthProblem | str, steps_or_text: Sequence[str] | str) -> tuple[int, str | None]:
    """``(first_error, its kind)``; ``(-1, None)`` when every step is right."""
    for i, kind in enumerate(check_steps(problem, steps_or_text)):
        if kind is not None:
            return i, kind
    return -1, None


def step_labels(problem: SynthProblem | str, steps_or_text: Sequence[str] | str) -> list[bool]:
    """Exact step labels, ProcessBench convention: correct before the first error, wrong from it on."""
    steps = _as_steps(steps_or_text)
    return labels_from_first_error(len(steps), first_error(problem, steps))


def final_answer(text_or_steps: Sequence[str] | str) -> int | None:
    """The integer in the last ``\\boxed{}`` of a solution (``None`` when there is none)."""
    text = text_or_steps if isinstance(text_or_steps, str) else "\n\n".join(text_or_steps)
    pos = text.rfind("\\boxed{")
    if pos < 0:
        return None
    end = text.find("}", pos)
    if end < 0:
        return None
    try:
        return int(text[pos + 7:end].strip())
    except ValueError:
        return None


def is_correct_answer(text_or_steps: Sequence[str] | str, gold: str | int) -> bool:
    """Whether the last boxed integer equals the gold answer (exact integer comparison; for these
    integer answers it agrees with :func:`prmlib.grading.grade` and is thousands of times faster)."""
    ans = final_answer(text_or_steps)
    return ans is not None and ans == int(gold)
