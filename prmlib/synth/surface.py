"""The ``local`` surface of synthetic solutions: every step restates what it applies and uses.

The default step ``Hana has Tara + 8 = 27 + 8 = 35 apples.`` can only be checked by finding Hana's
sentence in the problem (is it "8 more" or "8 fewer"?) and Tara's value somewhere earlier. A tiny
PRM trained for minutes on a CPU does not learn those lookups, nor multi-digit sums (see
docs/training.md, learnability). The local surface writes the same computation so that most checks
are local comparisons::

    Next, Hana has 8 more than Tara; Tara has 27; 27 + 8 = 35, so Hana has 35.
    Next, Leo has as many as Hana and Tara together; Hana has 35 and Tara has 27; 35 + 27 = 62, so Leo has 62.
    Wait, Hana has 8 more than Tara; Tara has 27; 27 + 8 = 35, so Hana has 35, not 36.

* the step begins with a fixed word (``Next,`` or ``Wait,``), so a name is the same token
  (``ĠHana``) in the problem and in every step;
* the problem's relation is restated (without the item): a wrong operation (``27 - 8`` after
  "8 more") and a misread constant (``27 + 9``) or person (``Leo has 30`` after "than Tara") are
  mismatches inside the step;
* each named operand's value is stated as ``Tara has 27``, the same words that give it in the
  problem (``Tara has 27 apples.``) or at the end of the step that computed it (``so Tara has 27``):
  a wrong or wrongly carried value is a copy check;
* with :data:`prmlib.synth.problems.SMALL_LEVELS` (``make_problems(..., surface="local")``) every
  count is at most 20, so the arithmetic is a small table.

The error kinds are the same as for the default surface (:mod:`prmlib.synth.verifier`), and
:func:`prmlib.synth.verifier.parse_step` reads both surfaces, so nothing else needs to know which
one a solution uses.
"""

from __future__ import annotations

import re

from prmlib.synth.problems import FRACTION_VALUES, FRACTION_WORDS

_N = r"(-?\d+)"
_NAME = r"([A-Z][a-z]+)"
_FRAC = "(" + "|".join(FRACTION_WORDS.values()) + ")"
_RELATIONS = (
    ("more", rf"(\d+) more than {_NAME}"),
    ("fewer", rf"(\d+) fewer than {_NAME}"),
    ("times", rf"(\d+) times as many as {_NAME}"),
    ("fraction", rf"{_FRAC} as many as {_NAME}"),
    ("together", rf"as many as {_NAME} and {_NAME} together"),
    ("difference", rf"as many as {_NAME} has more than {_NAME}"),
)
_REL = "|".join(f"(?:{r})" for _, r in _RELATIONS)
LOCAL_STEP_RE = re.compile(
    rf"^(Next|Wait), {_NAME} has (?P<rel>.+?); (?P<vals>{_NAME} has {_N}(?: and {_NAME} has {_N})?); "
    rf"{_N} ([-+*/]) {_N} = {_N}, so {_NAME} has {_N}(?:, not {_N})?\.(?: The answer is \\boxed\{{{_N}\}}\.)?$"
)
_REL_RE = [(kind, re.compile(rf"^{r}$")) for kind, r in _RELATIONS]
_VAL_RE = re.compile(rf"{_NAME} has {_N}")


def render_relation(kind: str, args) -> str:
    """The problem's relation without the item: ``8 more than Tara``."""
    a = args
    if kind == "more":
        return f"{a[1]} more than {a[0]}"
    if kind == "fewer":
        return f"{a[1]} fewer than {a[0]}"
    if kind == "times":
        return f"{a[1]} times as many as {a[0]}"
    if kind == "fraction":
        return f"{FRACTION_WORDS[a[1]]} as many as {a[0]}"
    if kind == "together":
        return f"as many as {a[0]} and {a[1]} together"
    if kind == "difference":
        return f"as many as {a[0]} has more than {a[1]}"
    raise ValueError(f"unknown sentence kind {kind!r}")


def parse_relation(text: str):
    """``(kind, args)`` of a restated relation, ``None`` when it is outside the grammar."""
    for kind, pat in _REL_RE:
        m = pat.match(text)
        if m is None:
            continue
        g = m.groups()
        if kind in ("more", "fewer", "times"):
            return kind, (g[1], int(g[0]))
        if kind == "fraction":
            return kind, (g[1], FRACTION_VALUES[g[0]])
        return kind, (g[0], g[1])
    return None


def render_local_step(name: str, kind: str, rel_args, terms, op: str, a: int, b: int, c: int,
                      correction: bool = False, stated=None) -> str:
    """One local-surface step without its final period.

    Args:
        name: the person computed.
        kind, rel_args: the problem's relation for ``name`` (restated as it is in the problem).
        terms: the operands actually used (names or constants; a wrong person shows here).
        op, a, b, c: the computation written.
        stated: the values restated for the named terms (default: the operands ``a``, ``b``); a
            value miscopied into the computation shows as ``Tara has 9; 7 + 3``.
    """
    stated = (a, b) if stated is None else stated
    vals = [f"{t} has {x}" for t, x in zip(terms, stated) if isinstance(t, str)]
    word = "Wait" if correction else "Next"
    return (f"{word}, {name} has {render_relation(kind, rel_args)}; {' and '.join(vals)}; "
            f"{a} {op} {b} = {c}, so {name} has {c}")


def parse_local_step(s: str):
    """Fields of a local-surface step, or ``None``: ``(correction, name, relation, named_values,
    a, op, b, result, final_name, final_value, boxed)``; ``relation`` is ``(kind, args)`` or ``None``
    when the restatement is outside the grammar."""
    m = LOCAL_STEP_RE.match(s)
    if m is None:
        return None
    g = m.groups()
    word, name = g[0], g[1]
    rel = parse_relation(m.group("rel"))
    named = [(n, int(v)) for n, v in _VAL_RE.findall(m.group("vals"))]
    # groups after vals: the names/values inside vals (4), then a, op, b, c, final name, final value, old, boxed
    rest = g[-8:]
    a, op, b, c, fname, fval, _old, boxed = rest
    return (word == "Wait", name, rel, named, int(a), op, int(b), int(c), fname, int(fval),
            None if boxed is None else int(boxed))
