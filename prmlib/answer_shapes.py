"""Unboxed answers to golds that are not plain numbers: read them only when their form matches.

The ``"auto"`` extraction policy (:mod:`prmlib.answer_forms`) reads unboxed answers with the
flexible forms when the gold is a plain number. For any other gold (an expression, a list of
values, a matrix, a sentence) it used to stop at the strict forms, so a right answer written as
"the values of n are \\(n = 5\\) and \\(n = 15\\)." was graded wrong. Reading those with the
flexible forms alone accepts wrong answers: the sympy-based comparison
(:func:`prmlib.grading.is_equivalent`) can find a lone number inside a gold written as prose or as
a matrix and call the two equal (College Math's negative control accepted 4-9 wrong pairs).

This module closes that gap with a form check. :func:`answer_shape` sorts an answer into one of

* ``number``: a plain number (:func:`prmlib.answer_forms.is_numeric_answer`);
* ``list``: two or more values separated by top-level commas, a tuple ``(1000, 10)`` or a set
  ``\\{-1, 0, 1\\}``, with its length;
* ``matrix``: a ``\\begin{...}`` environment or a ``\\\\`` row break;
* ``prose``: words beyond LaTeX commands and ``\\text{}`` ("The first two blocks are ...");
* ``expression``: anything else (``6\\sqrt{2}``, ``2^{2009}``, ``f(z)=z``, ``k \\geqslant 2``).

:func:`extract_matching` reads an unboxed answer for a gold only when the gold is an expression or
a list and the answer has the same shape (a list of as many values, or an expression; never a lone
number). When the gold is a list of *k* values and the flexible reading gives one value, the values
stated in the last sentence are collected ("... are \\(x = -1\\), \\(x = 2\\), and \\(x = -2\\).")
and kept if there are exactly *k*. Prose and matrix golds get no unboxed reading at all.

:func:`list_reading` does the same for a list gold when the strict forms found only part of the
answer: the last of several boxes ("are \\(\\boxed{-1}\\) and \\(\\boxed{-9}\\)"), or the last value of
an answer phrase ("Final Answer: ... are \\(x = 5\\) and \\(x = -2\\)").

Pure string work, never raises.
"""

from __future__ import annotations

import re

from prmlib.answer_extraction import clean_answer, find_boxed, normalize_answer
from prmlib.answer_forms import _sentences, extract_flexible, is_numeric_answer

__all__ = ["SHAPES", "answer_shape", "extract_matching", "list_reading", "shapes_match"]

#: The kinds :func:`answer_shape` returns.
SHAPES: tuple[str, ...] = ("number", "list", "matrix", "prose", "expression")

_MATRIX_RE = re.compile(r"\\begin\s*\{|\\\\")
_COMMAND_RE = re.compile(r"\\[A-Za-z]+")
_WORDS_RE = re.compile(r"(?<![A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
_OUTER = (("(", ")"), ("[", "]"), ("\\{", "\\}"), ("{", "}"))
# a value stated in a math segment: "x = -1", "n_1 = 15", "\\theta = \\frac{\\pi}{6}", "-1, 0,"
# (trailing punctuation dropped); an equation with anything else on the left states no value
_VARIABLE = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?"
_STATED_RE = re.compile(rf"^(?:{_VARIABLE}\s*=\s*)?(?P<value>[^=]+?)[\s,.;]*$")
_BARE_VARIABLE_RE = re.compile(rf"^{_VARIABLE}$")


def _top_level_items(s: str) -> list[str]:
    """``s`` split at commas outside brackets and braces."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(s[start:i])
            start = i + 1
    items.append(s[start:])
    return [x.strip() for x in items if x.strip()]


def _strip_outer(s: str) -> str:
    for left, right in _OUTER:
        if s.startswith(left) and s.endswith(right) and _top_level_items(s[len(left):-len(right)]):
            inner = s[len(left):-len(right)]
            if inner.count("(") == inner.count(")") and inner.count("{") == inner.count("}"):
                return inner
    return s


def answer_shape(answer: object) -> tuple[str, int]:
    """``(kind, size)`` of an answer: ``size`` is the number of values of a ``list``, else 1.

    Example:
        >>> answer_shape("5,15"), answer_shape("(1000, 10)"), answer_shape("6\\\\sqrt{2}")
        (('list', 2), ('list', 2), ('expression', 1))
        >>> answer_shape("\\\\frac{1}{2}"), answer_shape("The blocks are (8,5) and (12,12)")
        (('number', 1), ('prose', 1))
    """
    if not isinstance(answer, str) or not answer.strip():
        return ("expression", 1)
    if _MATRIX_RE.search(answer):
        return ("matrix", 1)
    if is_numeric_answer(answer):
        return ("number", 1)
    bare = _COMMAND_RE.sub(" ", answer)  # words inside \\text{} count
    if len(_WORDS_RE.findall(bare)) >= 2:
        return ("prose", 1)
    items = _top_level_items(_strip_outer(normalize_answer(answer)))
    if len(items) >= 2:
        return ("list", len(items))
    return ("expression", 1)


def shapes_match(answer: str, gold: str) -> bool:
    """Whether an unboxed ``answer`` may be compared with ``gold``: both expressions, or both lists
    of the same length. Never for number, prose or matrix golds (those have their own rules)."""
    kind, size = answer_shape(gold)
    if kind not in ("expression", "list"):
        return False
    return answer_shape(answer) == (kind, size)


def _stated_values(segments: list[str]) -> list[str]:
    """Values stated in the math segments of one sentence, in order ("\\(x = -1\\)" gives -1;
    "\\(-1, 0,\\)" gives -1 and 0; a bare variable "\\(n\\)" and an equation such as
    "\\(f(x) = 0\\)" give none)."""
    values = []
    for content in segments:
        for item in _top_level_items(_strip_outer(content.strip())):
            s = _STATED_RE.match(item)
            value = clean_answer(s.group("value")) if s else ""
            if value and re.search(r"[\dA-Za-z]", value) and not _BARE_VARIABLE_RE.match(value):
                values.append(value)
    return values


def _last_sentence_values(text: str, size: int) -> str | None:
    """The ``size`` values stated in the last sentence that states any, joined by ", "; None when
    that sentence states another number of values."""
    for sentence in reversed(_sentences(text[-1500:])[-3:]):  # the flexible policy's sentences
        values = _stated_values([content for _, _, content in sentence.segments])
        if values:
            return ", ".join(values) if len(values) == size else None
    return None


def _last_box_line(text: str) -> list[str]:
    """The boxes of the last line that holds one ("... are \\(\\boxed{-1}\\) and \\(\\boxed{-9}\\).")."""
    for line in reversed(text.split("\n")):
        boxes = find_boxed(line)
        if boxes:
            return boxes
    return []


def list_reading(text: str, answer: str | None, gold: str) -> str | None:
    """The whole answer when ``gold`` is a list of *k* values and the strict ``answer`` is only part
    of it: the *k* boxes of the last line with a box ("\\(\\boxed{3}\\) and \\(\\boxed{4}\\)"; the
    strict answer is the last box), else, without a box, the *k* values stated in the last sentence
    ("Final Answer: ... are \\(x = 5\\) and \\(x = -2\\)."). ``None`` when ``gold`` is not a list,
    ``answer`` already has its form, or no reading gives exactly *k* values.

    Example:
        >>> list_reading("So \\\\(p\\\\) and \\\\(q\\\\) are \\\\(\\\\boxed{3}\\\\) and \\\\(\\\\boxed{4}\\\\).", "4", "3,4")
        '3, 4'
    """
    if not isinstance(text, str) or not isinstance(gold, str):
        return None
    kind, size = answer_shape(gold)
    if kind != "list" or (answer is not None and answer_shape(answer) == (kind, size)):
        return None
    try:
        boxes = _last_box_line(text)
        if boxes:
            joined = ", ".join(b.strip() for b in boxes)
            return joined if len(boxes) == size and shapes_match(joined, gold) else None
        collected = _last_sentence_values(text, size)
        return collected if collected is not None and shapes_match(collected, gold) else None
    except Exception:  # noqa: BLE001 - extraction must never raise  # pragma: no cover
        return None


def extract_matching(text: str, gold: str) -> str | None:
    """An unboxed answer of ``text`` whose shape matches ``gold`` (see the module docstring), or None.

    Call it only when the strict forms found nothing; for plain-number golds use the flexible
    policy instead.

    Example:
        >>> extract_matching("The values are \\\\(n = 5\\\\) and \\\\(n = 15\\\\).", "5,15")
        '5, 15'
        >>> extract_matching("So the answer is 3.", "\\\\sqrt{3}") is None  # a lone number: never
        True
    """
    if not isinstance(text, str) or not isinstance(gold, str):
        return None
    kind, size = answer_shape(gold)
    if kind not in ("expression", "list"):
        return None
    try:
        candidate = extract_flexible(text)
        if candidate is not None and shapes_match(candidate, gold):
            return candidate
        if kind == "list":
            collected = _last_sentence_values(text, size)
            if collected is not None and shapes_match(collected, gold):
                return collected
    except Exception:  # noqa: BLE001 - extraction must never raise  # pragma: no cover
        return None
    return None
