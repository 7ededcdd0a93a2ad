"""Extraction policies: how hard to look for a final answer that a solution does not box.

:func:`prmlib.answer_extraction.extract_answer` takes a ``policy``; this module holds every
policy beyond ``"strict"``:

* ``"strict"``: the last ``\\boxed{}``, else an answer phrase ("the answer is X", "Answer: X",
  ``# Answer``), else a GSM8K ``#### X`` last line (the rules of ``extract_answer``).
* ``"flexible"``, for benchmarks whose gold answers are numbers: strict first; then the forms
  models write on their last lines: an answer line ("A: 18", "Answer 18"), a final bold value
  (``**18**``), a value after "is" / "=" / "equals" ("the result is 18"), a sentence that ends in
  math (``\\(x = 18\\)``, a display ``\\[ ... = 18 \\]``); then the last number of the last
  sentence that has one. Only numbers are read (a value must be an integer, decimal, fraction,
  percentage, possibly with units). Numbers that are not answers are skipped: step numbers
  ("Step 3", "Case 2"), step counts ("in 3 steps"), years ("in 2019"), citations ("[2]"),
  ordinals ("3rd") and numbers inside names (``x_2``, ``a^3``). When a sentence holds several
  numbers, the one after the last "=" wins, then one that does not follow a preposition
  ("34 hours ... in 4 weeks" gives 34). At most the last three sentences are read.
* ``"choice"``, for multiple-choice benchmarks: the strict answer reduced to its letter
  (``(B) 12`` gives ``B``), else a letter stated on the last three lines ("the correct option is
  (C)", "Answer: C", "so we get C.", "(C)", a line ``C``).
* ``"auto"``, for MATH-style benchmarks: ``"flexible"`` when the gold is a plain number
  (:func:`is_numeric_answer`), else ``"strict"`` and then an unboxed answer only if its form
  matches the gold's (an expression for an expression, a list of as many values for a list; never
  for prose or matrix golds: :mod:`prmlib.answer_shapes`). It needs the gold
  (``extract_answer(text, "auto", gold=...)``, :func:`prmlib.grading.grade`); without one it is strict.

All of it is string work (microseconds), and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prmlib.answer_extraction import clean_answer, mc_letter, normalize_answer, to_number

__all__ = [
    "EXTRACTION_POLICIES", "extract_choice", "extract_flexible", "flexible_reading", "is_numeric_answer",
    "resolve_policy",
]

#: The extraction policies :func:`prmlib.answer_extraction.extract_answer` accepts.
EXTRACTION_POLICIES: tuple[str, ...] = ("strict", "flexible", "choice", "auto")

_TAIL_CHARS = 3000  # only the end of a solution is read
_MAX_SENTENCES = 3

_CALCULATOR_RE = re.compile(r"<<[^<>\n]*>>")  # GSM8K calculator annotations "<<3*4=12>>"
# Math segments. A single "$" opens math only when the text inside neither starts nor ends with a
# space and the closing "$" is not followed by a digit, so "$21 + $11 = $32" is read as currency.
_SEGMENT_RE = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?![\d$])", re.DOTALL
)
_MASK = "\x00"
_SENTENCE_END_RE = re.compile(r"\n\s*|(?<=[.!?])\s+|(?<=[.!?])(?=\*\*)")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_NUMBER_RE = re.compile(
    r"(?<![\w.^_\\{])(?:\\?\$\s?)?-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+(?!\d|\.\d))?(?:\s?\\?%)?"
    r"(?![\w^_}]|\.\d|\\(?![%$,;! ]|text|mbox))"
)
_EQUALS_RE = re.compile(r"(?<![<>!\\])=(?!=)|\\approx|≈")
# A value right after these is stated as a result: "is 18", "= 18", "equals 18", "a total of 18".
_STRONG_BEFORE_RE = re.compile(
    r"(?:\b(?:is|are|was|were|equals?|equal\s+to|gives?|yields?|becomes?|total\s+of)|(?<![<>!\\])=|:|≈|\\approx)"
    r"\s*(?:\((?:is|are)\)\s*)?"
    r"(?:(?:approximately|about|around|roughly|exactly|only|just|simply|then|now|therefore|thus|also|still"
    r"|a\s+total\s+of|in\s+total,?|total|:)\s*)*(?:\*\*)?(?:\\?\$\s?)?$",
    re.IGNORECASE,
)
# "... is not a solution", "cannot be determined": the sentence denies that it states the answer
_NEGATION_RE = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+){0,2}?(?:a\s+|the\s+|an\s+)?(?:solutions?|answers?|correct|valid|possible"
    r"|equal|satisf\w*|determin\w*|provid\w*|enough|sufficient|true|right|defined|exist\w*)\b"
    r"|\bcannot\b|\bno\s+(?:solutions?|answers?|such)\b|\bimpossible\b",
    re.IGNORECASE,
)
# a number that is part of an expression with a one-letter variable ("x+3", "5 a+2") or of a time ("5:00")
_EXPRESSION_BEFORE_RE = re.compile(r"(?:(?:(?<![A-Za-z])[A-Za-z]|\})\s*[-+*/^]\s*|\\[A-Za-z]+\s*|\d:)$")
_EXPRESSION_AFTER_RE = re.compile(
    r"^(?:\s*[-+*/^]\s*(?:[A-Za-z](?![A-Za-z])|[\\(])|\s*[A-Za-z]\s*[-+*/^=]|\s*\\(?!text|mbox|mathrm|[%$,;! ])[A-Za-z]|:\d)"
)
# bold inside math, "\mathbf{1 8 4}" (OlympiadBench's solutions write answers so)
_BOLD_MATH_RE = re.compile(r"\\(?:mathbf|boldsymbol|bm|textbf)\s*\{([^{}]*)\}")
_CONCLUSION_RE = re.compile(r"^\W*(?:therefore|thus|hence|so|in\s+conclusion|in\s+summary|finally|overall)\b",
                            re.IGNORECASE)
_ELABORATION_RE = re.compile(r"^\W*(?:this|these|that|it|note|which|i)\b", re.IGNORECASE)
_ANSWER_LINE_RES = (
    re.compile(r"(?:^|\s)A\s*:\s*(?P<rest>[^\n]*\S)\s*$"),
    re.compile(r"^[\s*#>]*(?:final\s+answer|answer|ans)\b\s*(?:\*\*)?\s*(?:[:=\-\u2013.]\s*)?(?P<rest>.*\S)\s*$",
               re.IGNORECASE),
)
# A number right after these words is a label, not an answer ("Step 3", "Case 2", "[2]").
_LABEL_BEFORE_RE = re.compile(
    r"(?:\b(?:steps?|cases?|parts?|sections?|figures?|fig\.|tables?|equations?|eq\.|lines?|problems?|questions?"
    r"|exercises?|examples?|methods?|approach|options?|stages?|rounds?|phases?|lemmas?|theorems?|chapters?|pages?"
    r"|rules?|items?|conditions?|no\.)|#)\s*$",
    re.IGNORECASE,
)
_COUNT_AFTER_RE = re.compile(r"^\s*(?:steps?|stages?|phases?|iterations?)\b", re.IGNORECASE)
_YEAR_BEFORE_RE = re.compile(r"\b(?:in|since|until|till|during|circa|year|from)\s+(?:the\s+year\s+)?$", re.IGNORECASE)
_YEAR_AFTER_RE = re.compile(r"^\s*(?:AMC|AIME|IMO|USAMO|HMMT|edition|competition|olympiad|contest)\b", re.IGNORECASE)
_CITATION_RE = re.compile(r"\[\s*\d+(?:\s*[,\u2013-]\s*\d+)*\s*\]")
_WEAK_BEFORE_RE = re.compile(
    r"(?:\b(?:in|for|over|per|every|each|after|within|during|than|before|by|from|to|with|at|on|into|under|among"
    r"|out\s+of)\s+(?:the\s+|a\s+|an\s+|another\s+|first\s+|next\s+|last\s+|only\s+)?"
    r"|\bto\s+[a-z]+\s+(?:the\s+|a\s+|an\s+)?)(?:\\?\$\s?)?$",
    re.IGNORECASE,
)
_NUMBER_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))}
_CHOICE_RES = (
    re.compile(r"\b(?:answer|option|choice)s?\b(?:\s+is)?\s*(?:[:\-]\s*)?(?:\*\*)?\s*\(?((?-i:[A-J]))\)?(?![\w])",
               re.IGNORECASE),
    re.compile(r"(?:\b(?:is|get|gives?|choose|select|pick)|:)\s*\$?\(?((?-i:[A-J]))\)?\$?\s*[.!]?\s*(?:\*\*)?\s*$",
               re.IGNORECASE),
    re.compile(r"\(([A-J])\)"),
    re.compile(r"^[\s*]*\(?([A-J])\)?[.:]?[\s*]*$"),
)
_LEADING_LETTER_RE = re.compile(r"^\(?([A-J])[).:](?:\s|$)")


def is_numeric_answer(answer: object) -> bool:
    """Whether ``answer`` is a plain number: integer, decimal or fraction (``\\frac{a}{b}``, ``a/b``),
    possibly with a sign, a percent or degree sign, thousands separators or units."""
    return isinstance(answer, str) and to_number(normalize_answer(answer)) is not None


def resolve_policy(policy: str, gold: str | None = None) -> str:
    """The policy to extract with: ``"auto"`` becomes ``"flexible"`` when ``gold`` is a plain number,
    else ``"strict"``; the other policies are returned as they are. (``extract_answer(text,
    "auto", gold=gold)`` adds, for a gold that is not a number, unboxed answers whose form matches
    the gold's: :mod:`prmlib.answer_shapes`.)

    Raises:
        ValueError: an unknown policy.
    """
    if policy not in EXTRACTION_POLICIES:
        raise ValueError(f"unknown extraction policy {policy!r}; choose from {', '.join(EXTRACTION_POLICIES)}")
    if policy == "auto":
        return "flexible" if is_numeric_answer(gold) else "strict"
    return policy


# --------------------------------------------------------------------------------------------
# sentences with their math segments masked
# --------------------------------------------------------------------------------------------
@dataclass
class _Sentence:
    text: str  # original text
    masked: str  # same length; every math segment replaced by _MASK characters
    segments: list[tuple[int, int, str]]  # (start, end, content) in sentence coordinates


def _mask(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    segments = []
    parts = []
    last = 0
    for m in _SEGMENT_RE.finditer(text):
        content = next(g for g in m.groups() if g is not None)
        segments.append((m.start(), m.end(), content))
        parts.append(text[last : m.start()])
        parts.append(_MASK * (m.end() - m.start()))
        last = m.end()
    parts.append(text[last:])
    return "".join(parts), segments


def _sentences(text: str) -> list[_Sentence]:
    """The non-empty sentences of ``text``, in order (math segments never split)."""
    masked, segments = _mask(text)
    out = []
    start = 0
    bounds = [(m.start(), m.end()) for m in _SENTENCE_END_RE.finditer(masked)] + [(len(masked), len(masked))]
    for end, nxt in bounds:
        if masked[start:end].strip():
            segs = [(a - start, b - start, c) for a, b, c in segments if a >= start and b <= end]
            out.append(_Sentence(text[start:end], masked[start:end], segs))
        start = nxt
    return out


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def _numeric(value: str | None) -> str | None:
    """``value`` cleaned, if it is a plain number (see :func:`is_numeric_answer`), else None."""
    if not value:
        return None
    value = clean_answer(value.replace("**", ""))
    return value if value and is_numeric_answer(value) else None


# ranks of candidate values within a sentence: the highest rank wins, then the last position
_BOLD, _STATED, _PLAIN, _WEAK = 3, 2, 1, 0


def _segment_value(content: str) -> tuple[str | None, int]:
    """(value of a math segment, its rank before context is looked at).

    The value is the part after the last "=" (or ``\\approx``), with bold math unwrapped
    (``\\mathbf{1 8 4}`` gives 184): bold values rank :data:`_BOLD`, values after "=" rank
    :data:`_STATED`, others :data:`_PLAIN`. ``None`` when the value holds no digit.
    """
    unbolded = _BOLD_MATH_RE.sub(lambda m: re.sub(r"(?<=\d)\s+(?=\d)", "", m.group(1)), content)
    parts = _EQUALS_RE.split(unbolded)
    value = _numeric(parts[-1]) or clean_answer(parts[-1])
    if not re.search(r"\d", value):
        return None, _PLAIN
    rank = _BOLD if unbolded != content else _STATED if len(parts) > 1 else _PLAIN
    return value, rank


def _excluded(masked: str, start: int, end: int, token: str) -> bool:
    """Whether the number ``token`` at ``masked[start:end]`` is a label, part of an expression or a
    time, a year or a citation."""
    before, after = masked[:start], masked[end:]
    if _LABEL_BEFORE_RE.search(before):
        return True
    if _EXPRESSION_BEFORE_RE.search(before) or _EXPRESSION_AFTER_RE.match(after):
        return True
    digits = token.strip("$\\ -")
    year = len(digits) == 4 and digits.isdigit() and 1000 <= int(digits) <= 2100
    if year and (_YEAR_BEFORE_RE.search(before) or _YEAR_AFTER_RE.match(after)):
        return True
    return any(m.start() <= start and end <= m.end() for m in _CITATION_RE.finditer(masked))


def _candidates(s: _Sentence) -> list[tuple[int, int, str]]:
    """Values of a sentence that may be its answer: (rank, position, value).

    Plain numbers in the text, and math segments that are plain numbers or are stated as a result
    (after "=", "is", ..., in bold, or ending the sentence: ``2^{1009}``, ``6\\sqrt{2}``). A value
    after "is" / "=" / ... ranks :data:`_STATED`, one after a preposition ("in 4 weeks") :data:`_WEAK`.
    """
    found = []
    for m in _NUMBER_RE.finditer(s.masked):
        token = m.group(0).rstrip(",")
        value = _numeric(token)
        if value is None or _excluded(s.masked, m.start(), m.end(), token):
            continue
        rank = _context_rank(s.masked[: m.start()], _PLAIN)
        if rank < _STATED and _COUNT_AFTER_RE.match(s.masked[m.end() :]):
            continue  # "in 3 steps" counts the solution's steps; "= 2,000 steps" is a result
        found.append((rank, m.start(), value))
    for a, b, content in s.segments:
        value, rank = _segment_value(content)
        if value is None or _excluded(s.masked, a, b, value):
            continue
        rank = _context_rank(s.masked[:a], rank)
        if rank < _STATED and _ends_sentence(s.masked[b:]):
            rank = _STATED
        if rank < _STATED and not is_numeric_answer(value):
            continue  # an expression in passing is no answer
        found.append((rank, a, value))
    return found


def _context_rank(before: str, rank: int) -> int:
    if rank < _STATED and _STRONG_BEFORE_RE.search(before):
        return _STATED
    if rank == _PLAIN and _WEAK_BEFORE_RE.search(before):
        return _WEAK
    return rank


def _ends_sentence(tail: str) -> bool:
    """Whether only punctuation and up to three words of units follow a value ("\\(25\\) cm.")."""
    tail = tail.strip().rstrip(".!,;").strip()
    return not tail or (len(tail.split()) <= 3 and not re.search(r"[\d\x00]", tail))


def _pick(cands: list[tuple[int, int, str]]) -> tuple[str | None, bool]:
    """(value, stated): the candidate of highest rank (bold, then stated as a result, then plain,
    then after a preposition), the last one among equals; ``stated`` when its rank is bold or stated."""
    if not cands:
        return None, False
    rank, _, value = max(cands)
    return value, rank >= _STATED


def _value_in_fragment(fragment: str, words: bool = False) -> str | None:
    """The value of a short fragment (bold text, the rest of an answer line): the fragment itself if
    it is a number, else its only candidate number (with ``words``: or its only number word)."""
    value = _numeric(fragment)
    if value is not None:
        return value
    cands = _candidates(_Sentence(fragment, *_mask(fragment)))
    if cands:
        return _pick(cands)[0]
    if words:
        hits = [_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", fragment.lower()) if w in _NUMBER_WORDS]
        if len(hits) == 1:
            return str(hits[0])
    return None


def _bold_value(s: _Sentence) -> str | None:
    for m in reversed(list(_BOLD_RE.finditer(s.text))):
        inner = m.group(1).strip()
        if not inner or inner.endswith(":") or _LABEL_BEFORE_RE.search(s.masked[: m.start()]):
            continue
        if re.match(r"^(?:steps?|cases?|parts?|methods?)\b", inner, re.IGNORECASE):
            continue
        value = _value_in_fragment(inner, words=True)
        if value is not None:
            return value
    return None


def _read_sentence(s: _Sentence) -> tuple[str | None, bool]:
    """(a sentence's answer, whether it is stated as a result): its last bold value, else
    :func:`_pick` of its numbers. A sentence that denies stating an answer ("... is not a
    solution", "cannot be determined") gives none."""
    if _NEGATION_RE.search(s.masked):
        return None, False
    bold = _bold_value(s)
    return (bold, True) if bold is not None else _pick(_candidates(s))


def _read_sentences(sentences: list[_Sentence]) -> str | None:
    """The answer of the last sentence that states one. When that sentence comments on a result
    ("This means 2007 divides ... up to 9 times") without stating one, and the sentence before it
    concludes with one ("Therefore, the largest n is 9."), the latter."""
    window = sentences[-_MAX_SENTENCES:]
    for j in range(len(window) - 1, -1, -1):
        value, stated = _read_sentence(window[j])
        if value is None:
            continue
        if not stated and j > 0 and _ELABORATION_RE.match(window[j].text) and _CONCLUSION_RE.match(window[j - 1].text):
            before, before_stated = _read_sentence(window[j - 1])
            if before is not None and before_stated:
                return before
        return value
    return None


def _tail_lines(text: str) -> list[str]:
    return [line for line in text[-_TAIL_CHARS:].split("\n") if line.strip()]


def flexible_reading(answer: str) -> str:
    """A strict answer phrase's value under the flexible policy: bold math unwrapped
    (``\\mathbf{2 6 2}`` gives 262), the number of an answer written in words ("18 eggs in 2
    baskets" gives 18); otherwise the answer as it is."""
    if is_numeric_answer(answer):
        return answer
    if _BOLD_MATH_RE.search(answer):
        return _segment_value(answer)[0] or answer
    if re.search(r"(?<![\\A-Za-z])[A-Za-z]{2,}", answer):  # prose, not LaTeX commands
        return _value_in_fragment(answer, words=True) or answer
    return answer


def extract_flexible(text: str) -> str | None:
    """The flexible forms (without the strict ones): answer line, bold, "is X", final math, last number.

    Call :func:`prmlib.answer_extraction.extract_answer` with ``policy="flexible"`` for the whole
    policy (strict first).
    """
    tail = _CALCULATOR_RE.sub("", text[-_TAIL_CHARS:])
    lines = _tail_lines(tail)
    for line in reversed(lines[-2:]):
        for regex in _ANSWER_LINE_RES:
            m = regex.search(line)
            if m:
                value = _value_in_fragment(m.group("rest"), words=True)
                if value is not None:
                    return value
    return _read_sentences(_sentences(tail))


def _letter(answer: str | None) -> str | None:
    if not answer:
        return None
    letter = mc_letter(normalize_answer(answer))
    if letter is not None:
        return letter
    m = _LEADING_LETTER_RE.match(clean_answer(answer))
    return m.group(1) if m else None


def extract_choice(text: str, strict_answer: str | None) -> str | None:
    """A multiple-choice letter: the strict answer's letter, else one stated on the last three lines.

    Falls back to ``strict_answer`` itself (which then matches no letter) when no letter is found.
    """
    letter = _letter(strict_answer)
    if letter is not None:
        return letter
    for line in reversed(_tail_lines(text)[-3:]):
        for regex in _CHOICE_RES:
            hits = regex.findall(line)
            if hits:
                return hits[-1].upper()
    return strict_answer
