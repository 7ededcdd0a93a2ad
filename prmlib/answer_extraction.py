"""Find the final answer in a solution and normalise answer strings.

Two jobs, both pure string work (no sympy here, so everything in this module costs
microseconds):

* :func:`extract_answer` reads the final answer of a step-by-step solution: the last complete
  ``\\boxed{...}`` (or ``\\fbox{...}`` / ``\\framebox{...}`` / ``\\boxed X``), else the last
  "final answer is X" / "the answer is X" / "Answer: X" / PRM800K ``# Answer`` / markdown
  ``### Final Answer`` block, else a GSM8K ``#### X`` last line (the ``"strict"`` policy; the
  others, for answers that are not boxed, are in :mod:`prmlib.answer_forms`).
* :func:`normalize_answer` rewrites an answer into a light canonical form (no ``$``, no
  ``\\left``/``\\right``, ``\\dfrac`` -> ``\\frac``, units, degrees, percent signs, thousands
  separators, ``x = `` prefixes and ``\\text{}`` wrappers removed), and :func:`to_number` /
  :func:`mc_letter` read plain numbers and multiple-choice letters out of it.

:mod:`prmlib.grading` builds the equivalence test and the voting key on top of these.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = [
    "clean_answer",
    "extract_answer",
    "find_boxed",
    "mc_letter",
    "normalize_answer",
    "strip_dollars",
    "to_number",
]

_BOX_RE = re.compile(r"\\(?:boxed|fbox|framebox)(?![A-Za-z])")

# "The final answer is X", "the answer is: X", "Answer: X" (case-insensitive), last one wins.
_ANSWER_IS_RE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)|the\s+answer\s+is|\banswer\s*:)\s*:?\s*(?P<ans>[^\n]+)",
    re.IGNORECASE,
)
# PRM800K's "# Answer\n\n29" and markdown headings such as "### Final Answer\n..."
_HEADING_ANSWER_RE = re.compile(r"^#+\s*(?:final\s+)?answer\s*:?\s*\n+\s*(?P<ans>[^\n]+)", re.MULTILINE | re.IGNORECASE)
_NUMBER_IN_TEXT_RE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w.])")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
# GSM8K's "#### 18" must be the last line (a markdown "#### Step 2" heading is not an answer)
_GSM8K_RE = re.compile(r"^[ \t]*####[ \t]*(?P<ans>[^\n]*\S)\s*\Z", re.MULTILINE)
_SENTENCE_END_RE = re.compile(r"\.(?=\s|$)")
_MATH_SEGMENT_RE = re.compile(
    r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL
)
_PAREN_LETTER_RE = re.compile(r"^\(([A-J])\)")

_MC_LETTER_RE = re.compile(r"^\(?([A-J])\)?[.:]?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_DECIMAL_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)$")
_FRAC_RE = re.compile(r"^([+-]?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$")
_FRAC_SHORT_RE = re.compile(r"^([+-]?)\\frac(\d)(\d)$")
_SLASH_RE = re.compile(r"^([+-]?\d+)/([+-]?\d+)$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")

# Unit words dropped when they follow a number after a space ("10 cm"; "3m" stays: m may be a variable).
_UNITS = (
    "cm|mm|km|m|meters?|metres?|centimeters?|kilometers?|inches|inch|in|feet|foot|ft|yards?|yd|miles?|mi"
    "|units?|sq|square|cubic|cents?|dollars?|euros?|pounds?|lbs?|ounces?|oz|grams?|g|kg|kilograms?|tons?"
    "|liters?|litres?|l|ml|gallons?|seconds?|sec|s|minutes?|min|hours?|hrs?|h|days?|weeks?|months?|years?"
    "|degrees?|deg|radians?|rad|mph|km/h|m/s|people|persons?|students?|marbles?|apples?|points?|ways?"
)
_UNIT_TAIL_RE = re.compile(
    rf"^(?P<num>[+-]?(?:\d[\d,]*\.?\d*|\.\d+)(?:/\d+)?)\s+(?:(?:{_UNITS})(?:\^?[23])?\s*)+$",
    re.IGNORECASE,
)
# \! \, \; \: \> and "\ " (spacing), but not the "\\" row break followed by a space
_SPACING_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\[!,;:> ]")
_QUALIFIER_RE = re.compile(
    r"\s*,?\s*(?:(?:for|where)\s+(?:all\s+|any\s+|some\s+)?(?:integers?\s+)?)?[a-zA-Z]\s*\\in\s*\\mathbb\s*\{?[ZNRQ]\}?\s*$"
)
_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*\{")
_ASSIGN_RE = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*=\s*(?=[^=])")


# --------------------------------------------------------------------------------------------
# braces
# --------------------------------------------------------------------------------------------
def _match_brace(text: str, open_pos: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_pos`` (escaped ``\\{``/``\\}`` ignored); -1 if none."""
    depth = 0
    i = open_pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def find_boxed(text: str) -> list[str]:
    """Contents of every complete ``\\boxed{...}``, ``\\fbox{...}``, ``\\framebox{...}`` and
    brace-less ``\\boxed X`` in ``text``, in order. Nested braces are matched; an unclosed box
    (e.g. a truncated generation) is skipped."""
    found: list[str] = []
    if not isinstance(text, str) or "box" not in text:
        return found
    for m in _BOX_RE.finditer(text):
        j = m.end()
        n = len(text)
        # \framebox[width]{...}: skip optional arguments
        while j < n and text[j] == "[":
            close = text.find("]", j)
            if close < 0:
                break
            j = close + 1
        k = j
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == "{":
            end = _match_brace(text, k)
            if end < 0:
                continue
            found.append(text[k + 1 : end])
        elif k > j and k < n:
            # "\boxed 5": one token up to whitespace, "$" or end of line
            tok = re.match(r"[^\s$]+", text[k:])
            if tok:
                found.append(tok.group(0))
    return found


def _unwrap_command(text: str, cmd_re: re.Pattern[str]) -> str:
    """Replace every ``\\cmd{content}`` matched by ``cmd_re`` (which ends at the ``{``) with ``content``."""
    out = text
    for _ in range(20):  # nested wrappers
        m = cmd_re.search(out)
        if not m:
            break
        open_pos = m.end() - 1
        end = _match_brace(out, open_pos)
        if end < 0:
            break
        out = out[: m.start()] + out[open_pos + 1 : end] + out[end + 1 :]
    return out


# --------------------------------------------------------------------------------------------
# extraction
# --------------------------------------------------------------------------------------------
def strip_dollars(text: str) -> str:
    """Remove math delimiters around an answer: ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``."""
    s = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
            s = s[len(left) : len(s) - len(right)].strip()
    return s


def clean_answer(text: str) -> str:
    """Light cleaning of an extracted (or gold) answer: outer math delimiters, every unescaped
    ``$``, trailing sentence punctuation (``.``, ``,``, ``;``, ``:``) and surrounding whitespace
    go; the LaTeX itself is kept."""
    s = strip_dollars(text)
    s = re.sub(r"(?<!\\)\$", "", s).strip()
    return re.sub(r"[\s.,;:]+$", "", s)


def _after_answer_phrase(fragment: str) -> str | None:
    """The answer written after "the answer is".

    A fragment that starts with math (``$...$``, ``\\(...\\)``, ``\\[...\\]``) gives that math.
    Otherwise the fragment is cut at the end of its sentence (a period outside math followed by
    a space), and the answer is the last markdown-bold part (``**X**``) of that sentence, else its
    last math segment, else its only number when it is a sentence of words with exactly one number
    in it, else the whole sentence.
    """
    frag = fragment.strip()
    for _ in range(3):  # "Final Answer: The final answer is 5." -> "5."
        inner = _ANSWER_IS_RE.search(frag)
        if inner is None:
            break
        frag = inner.group("ans").strip()
    if frag.startswith("**"):  # "**Answer:** 5": the bold marker closes the label
        frag = frag[2:].lstrip()
    if not frag:
        return None
    letter = _PAREN_LETTER_RE.match(frag)
    if letter:
        return letter.group(1)
    segments = list(_MATH_SEGMENT_RE.finditer(frag))
    if segments and segments[0].start() == 0:
        return _segment_text(segments[0]) or None
    cut = len(frag)
    for end in _SENTENCE_END_RE.finditer(frag):
        if not any(m.start() < end.start() < m.end() for m in segments):
            cut = end.start()
            break
    sentence = frag[:cut]
    bold = [clean_answer(b) for b in _BOLD_RE.findall(sentence)]
    if bold and bold[-1]:
        return bold[-1]
    inside = [m for m in segments if m.end() <= cut]
    if inside:
        return _segment_text(inside[-1]) or None
    sentence = clean_answer(sentence.replace("**", ""))
    numbers = _NUMBER_IN_TEXT_RE.findall(sentence)
    if len(numbers) == 1 and len(_WORD_RE.findall(sentence)) >= 2:
        return numbers[0]  # "Verna received $7.00 in change" -> "7.00"
    return sentence or None


def _segment_text(match: re.Match[str]) -> str:
    return clean_answer(next(g for g in match.groups() if g is not None))


def extract_answer(text: str, policy: str = "strict", gold: str | None = None) -> str | None:
    """Final answer of a solution, or ``None`` when it states none.

    ``policy="strict"`` (the default), in order of precedence: the last complete ``\\boxed{...}`` /
    ``\\fbox{...}`` / ``\\framebox{...}`` / ``\\boxed X``; else the last "final answer is X",
    "the answer is X", "Answer: X" or PRM800K ``# Answer`` line (an answer written as ``$...$`` is
    taken whole, otherwise up to the end of the sentence; "(B)" becomes "B"); else the GSM8K
    ``#### X`` line. The result keeps its LaTeX (outer ``$`` removed); compare it with
    :func:`prmlib.grading.is_equivalent`.

    The other policies (``"flexible"``, ``"choice"``, ``"auto"``) are described in
    :mod:`prmlib.answer_forms`. ``"flexible"`` reads unboxed numeric answers ("A: 18", "the
    result is 18", a last line "... so she has 18 eggs."); ``"auto"`` needs ``gold`` to decide:
    ``"flexible"`` for a plain-number gold; otherwise strict, then an unboxed answer only when its
    form matches the gold's (:func:`prmlib.answer_shapes.extract_matching`), and for a gold that
    lists *k* values all *k* of several boxes or stated values
    (:func:`prmlib.answer_shapes.list_reading`); without ``gold`` it is strict.

    Never raises on its input: anything that is not a string, or holds no answer, gives ``None``.
    An unknown ``policy`` raises ``ValueError``.

    Example:
        >>> extract_answer("so $x = \\\\boxed{\\\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'
        >>> extract_answer("The answer is (B).")
        'B'
        >>> extract_answer("So she pays 3 * 6 = $18 in total.", policy="flexible")
        '18'
    """
    matching = False
    if policy != "strict":
        from prmlib.answer_forms import resolve_policy

        matching = policy == "auto" and gold is not None
        policy = resolve_policy(policy, gold)
    strict = _extract_strict(text)
    if policy == "strict" or not isinstance(text, str):
        if matching and isinstance(text, str):
            from prmlib.answer_shapes import extract_matching, list_reading

            if strict is None:
                return extract_matching(text, str(gold))
            return list_reading(text, strict, str(gold)) or strict
        return strict
    try:
        from prmlib.answer_forms import extract_choice, extract_flexible, flexible_reading

        if policy == "choice":
            return extract_choice(text, strict)
        if strict is None:
            return extract_flexible(text)
        return strict if find_boxed(text) else flexible_reading(strict)
    except Exception:  # noqa: BLE001 - extraction must never raise  # pragma: no cover
        return strict


def _extract_strict(text: str) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        boxed = find_boxed(text)
        if boxed:
            ans = clean_answer(boxed[-1])
            return ans or None
        candidates: list[tuple[int, str]] = []
        for regex in (_ANSWER_IS_RE, _HEADING_ANSWER_RE, _GSM8K_RE):
            last = None
            for m in regex.finditer(text):
                last = m
            if last is not None:
                candidates.append((last.start(), last.group("ans")))
        for _, frag in sorted(candidates, reverse=True):
            ans = _after_answer_phrase(frag)
            if ans:
                return ans
        return None
    except Exception:  # noqa: BLE001 - extraction must never raise  # pragma: no cover
        return None


# --------------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------------
def normalize_answer(answer: str) -> str:
    """Light canonical form of an answer string (pure string rewriting, never raises).

    Removes: math delimiters and ``$``, ``\\left``/``\\right``, LaTeX spacing (``\\!``, ``\\,``,
    ``\\;``, ``~``), ``\\text{}``/``\\mathrm{}``/``\\mbox{}`` wrappers, degree marks, percent signs,
    a leading ``x =`` (single variable), thousands separators (``1,000``, ``1{,}000``), unit
    words after a number (``10 cm``, ``5\\text{ dollars}``), a trailing period, and spaces next to
    non-alphanumeric characters. ``\\dfrac``/``\\tfrac`` become ``\\frac``. Spaces between two
    letters or digits are kept (``\\sin x`` must not become ``\\sinx``).
    """
    if not isinstance(answer, str):
        return ""
    s = clean_answer(answer).replace("\u2212", "-")  # unicode minus
    s = s.replace("\\left", "").replace("\\right", "")
    s = _SPACING_RE.sub(lambda m: m.group(1) + " ", s)
    s = re.sub(r"(?<!\\)\\(?=\d)", "", s)  # "\15": a stray backslash before a number
    s = s.replace("~", " ").replace("\\displaystyle", "")
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\[dt]binom", r"\\binom", s)
    s = s.replace("{,}", ",")
    # degrees and percent
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree", "", s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace("\\$", "")
    # units written with \text / \mathrm after a number: drop the wrapper's content
    s = re.sub(r"(\d)\s*\\(?:text|mathrm|mbox)\s*\{\s*[A-Za-z][A-Za-z ]*(?:\^?[23])?\s*\}\s*(\^\{?[23]\}?)?\s*$", r"\1", s)
    s = _unwrap_command(s, _TEXT_CMD_RE)
    s = re.sub(r"\s+", " ", s).strip()
    s = _QUALIFIER_RE.sub("", s)  # "... + k\pi for k \in \mathbb{Z}" -> "... + k\pi"
    # "x = 5" -> "5" (a single assignment only)
    if s.count("=") == 1:
        m = _ASSIGN_RE.match(s)
        if m and s[m.end() :].strip():
            s = s[m.end() :].strip()
    unit = _UNIT_TAIL_RE.match(s)
    if unit:
        s = unit.group("num")
    if _THOUSANDS_RE.match(s.replace(" ", "")):
        s = s.replace(",", "").replace(" ", "")
    s = re.sub(r"\s*([^A-Za-z0-9\s\\])\s*", r"\1", s)
    s = s.rstrip(".").strip()
    return s


def mc_letter(normalized: str) -> str | None:
    """The multiple-choice letter (A-J, upper case) if the normalised answer is one, e.g. "(B)"."""
    m = _MC_LETTER_RE.match(normalized)
    return m.group(1) if m else None


def to_number(normalized: str) -> Fraction | None:
    """Exact value of a normalised answer that is a plain number: integer, decimal, ``a/b``,
    ``\\frac{a}{b}`` or ``\\frac12``; ``None`` for anything else."""
    s = normalized
    if not s or len(s) > 60:
        return None
    try:
        if _INT_RE.match(s):
            return Fraction(int(s))
        if _DECIMAL_RE.match(s):
            return Fraction(s)
        m = _FRAC_RE.match(s) or _FRAC_SHORT_RE.match(s)
        if m:
            sign, num, den = m.groups()
            value = Fraction(int(num), int(den))
            return -value if sign == "-" else value
        m = _SLASH_RE.match(s)
        if m:
            return Fraction(int(m.group(1)), int(m.group(2)))
    except (ValueError, ZeroDivisionError):
        return None
    return None
