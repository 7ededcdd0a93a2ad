"""The ``local`` surface of synthetic solutions (the default): every step restates what it applies
and uses, and writes its computation as a sum or a product.

The ``plain`` step ``Hana has Tara + 8 = 27 + 8 = 35 apples.`` can only be checked by finding Hana's
sentence in the problem (is it "8 more" or "8 fewer"?) and Tara's value somewhere earlier. A tiny
PRM trained for minutes on a CPU does not learn those look-ups, nor multi-digit sums. The local
surface writes the same computation so that every check is a comparison inside the step::

    Next, Hana has 3 more than Tara; Tara has 6; 9 = 6 + 3, so Hana has 9.
    Next, Leo has 2 fewer than Hana; Hana has 9; 9 = 7 + 2, so Leo has \\boxed{7}.
    Wait, Hana has 3 more than Tara; Tara has 6; 9 = 6 + 3, so Hana has 9, not 8.

* the step begins with a fixed word (``Next,`` or ``Wait,``), so a name is the same token
  (``ĠHana``) in the problem and in every step;
* the problem's relation is restated (without the item): a wrong operation, a misread constant
  or a wrong person is a mismatch inside the step;
* each named operand is restated with the value this solution wrote for it (``Tara has 6``): a
  value miscopied into the computation shows as ``Tara has 6; 10 = 7 + 3``;
* :func:`equation` writes ``a + b = c`` as ``c = a + b``, ``a - b = c`` as ``a = c + b`` and likewise
  ``*`` and ``/`` as products, so checking the arithmetic is the same test whatever the operation;
  :func:`read_equation` reads the operation back from the value the step gives its person;
* the answering step boxes its value (``so Leo has \\boxed{7}``);
* with :data:`prmlib.synth.problems.SMALL_LEVELS` every count is between 2 and 9.

Why each feature is there, with measurements: docs/synthetic_surface.md. The error kinds are those
of the plain surface (:mod:`prmlib.synth.verifier`), and :func:`prmlib.synth.verifier.parse_step`
reads both surfaces, so nothing else needs to know which one a solution uses.
"""

from __future__ import annotations

import re

from prmlib.synth.problems import FRACTION_VALUES, FRACTION_WORDS, KIND_OP

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
LOCAL_STEP_RE = re.compile(
    rf"^(?P<word>Next|Wait), (?P<name>[A-Z][a-z]+) has (?P<rel>.+?); "
    rf"(?P<vals>{_NAME} has {_N}(?: and {_NAME} has {_N})?); "
    rf"(?P<x>-?\d+) = (?P<y>-?\d+) (?P<sym>[+*]) (?P<z>-?\d+), so (?P<fname>[A-Z][a-z]+) has "
    rf"(?:(?P<fval>-?\d+)|\\boxed\{{(?P<boxed>-?\d+)\}})(?:, not (?P<old>-?\d+))?\.$"
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


def equation(op: str, a: int, b: int, c: int) -> str:
    """The computation ``a op b = c`` written as a sum or a product: ``c = a + b`` for ``+``,
    ``a = c + b`` for ``-``, ``c = a * b`` for ``*`` and ``a = c * b`` for ``/``."""
    if op in "+*":
        return f"{c} = {a} {op} {b}"
    return f"{a} = {c} {'+' if op == '-' else '*'} {b}"


def read_equation(x: int, sym: str, y: int, z: int, result: int, prefer: str | None = None):
    """Invert :func:`equation`: ``(op, a, b, c)`` for ``x = y sym z`` whose result is ``result``
    (the value the step gives its person), or ``None`` when ``result`` is neither ``x`` nor ``y``.
    When it is both, ``prefer`` (the operation the relation asks for) decides."""
    inverse = "-" if sym == "+" else "/"
    readings = []
    if result == x:
        readings.append((sym, y, z, x))
    if result == y:
        readings.append((inverse, x, z, y))
    if not readings:
        return None
    for r in readings:
        if r[0] == prefer:
            return r
    return readings[0]


def render_local_step(name: str, kind: str, rel_args, terms, op: str, a: int, b: int, c: int,
                      correction: bool = False, stated=None, final: bool = False,
                      old: int | None = None) -> str:
    """One local-surface step, with its final period.

    Args:
        name: the person computed.
        kind, rel_args: the problem's relation for ``name`` (restated as it is in the problem).
        terms: the operands actually used (names or constants; a wrong person shows here).
        op, a, b, c: the computation ``a op b = c`` (written by :func:`equation`).
        correction: a ``Wait,`` step that redoes an earlier one; ``old`` is the value it replaces.
        stated: the values restated for the named terms (default: the operands ``a``, ``b``); a
            value miscopied into the computation shows as ``Tara has 9; 10 = 7 + 3``.
        final: the step that answers the question: its result is written as ``\\boxed{c}``.
    """
    stated = (a, b) if stated is None else stated
    vals = [f"{t} has {x}" for t, x in zip(terms, stated) if isinstance(t, str)]
    word = "Wait" if correction else "Next"
    value = f"\\boxed{{{c}}}" if final else str(c)
    tail = "" if old is None else f", not {old}"
    return (f"{word}, {name} has {render_relation(kind, rel_args)}; {' and '.join(vals)}; "
            f"{equation(op, a, b, c)}, so {name} has {value}{tail}.")


def parse_local_step(s: str):
    """Fields of a local-surface step, or ``None``: ``(correction, name, relation, named_values,
    a, op, b, result, final_name, final_value, boxed)``; ``relation`` is ``(kind, args)`` or ``None``
    when the restatement is outside the grammar. The computation is read back from its sum or
    product form with the value the step gives its person as the result (``None`` when that value
    is not in the equation)."""
    m = LOCAL_STEP_RE.match(s)
    if m is None:
        return None
    rel = parse_relation(m.group("rel"))
    named = [(n, int(v)) for n, v in _VAL_RE.findall(m.group("vals"))]
    boxed = m.group("boxed")
    fval = int(boxed if boxed is not None else m.group("fval"))
    prefer = KIND_OP.get(rel[0]) if rel is not None else None
    got = read_equation(int(m.group("x")), m.group("sym"), int(m.group("y")), int(m.group("z")), fval, prefer)
    if got is None:
        return None
    op, a, b, c = got
    return (m.group("word") == "Wait", m.group("name"), rel, named, a, op, b, c, m.group("fname"), fval,
            None if boxed is None else int(boxed))
