"""LLM-as-a-judge: prompts (our own wording), a robust parser, majority over samples.

Two prompt styles:

* ``"paper"``: in the manner of the Lessons paper's judge. The steps are shown as tagged paragraphs
  (``<paragraph_0>...</paragraph_0>``); the judge analyses them in order, stops at the first
  paragraph with an error, and ends with ``Conclusion: Correct`` or
  ``Conclusion: Incorrect, first error in paragraph <i>``.
* ``"critic"``: in the manner of ProcessBench's critic evaluation. The judge returns the index of
  the earliest wrong paragraph, or -1 when all are right, inside ``\\boxed{}``.

The parser turns a judge's text into a first-error index; anything it cannot read (no conclusion,
no box, an index out of range) is ``None``, never "correct". With ``samples > 1`` the indices of
the parseable samples vote (:func:`majority_index`).

:class:`LLMJudge` runs on any :class:`~prmlib.interfaces.Generator` (vLLM, transformers); the
judge prompt is sent as the user turn of the generator's chat template. On a CPU the synthetic
judge (:class:`prmlib.synth.SyntheticJudge`) stands in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from prmlib.interfaces import Generator, Judge

STYLES = ("paper", "critic")

_PAPER_TEMPLATE = """\
You will check a step-by-step solution to a maths problem. The solution is split into \
paragraphs; each paragraph is wrapped in tags <paragraph_i> ... </paragraph_i>, numbered from 0.

[Problem]
{problem}

[Solution]
{paragraphs}

Work through the paragraphs in order. For each one, start a section with the heading \
"Paragraph i:" and verify its reasoning and every calculation in it, using only the problem and \
the paragraphs before it. When you find a paragraph that contains an error, explain the error and \
stop there: do not analyse any later paragraph.

End your answer with exactly one of these two lines:
Conclusion: Correct
Conclusion: Incorrect, first error in paragraph <i>"""

_CRITIC_TEMPLATE = """\
Here is a maths problem and a proposed solution divided into numbered paragraphs \
(<paragraph_0>, <paragraph_1>, ...).

[Problem]
{problem}

[Solution]
{paragraphs}

Review the paragraphs one at a time and find the first one that contains a mistake: a wrong \
calculation, a false statement, or a step that does not follow from what came before. Give the \
index of that paragraph; if every paragraph is correct, give -1. Put the index alone inside \
\\boxed{{}} at the end, for example \\boxed{{2}} or \\boxed{{-1}}."""


def tag_paragraphs(steps: Sequence[str]) -> str:
    """Steps as ``<paragraph_i>`` blocks separated by blank lines."""
    return "\n\n".join(f"<paragraph_{i}>\n{s.strip()}\n</paragraph_{i}>" for i, s in enumerate(steps))


def judge_prompt(problem: str, steps: Sequence[str], style: str = "paper") -> str:
    """The judge's user message for one solution."""
    if style not in STYLES:
        raise ValueError(f"judge style must be one of {STYLES}, got {style!r}")
    template = _PAPER_TEMPLATE if style == "paper" else _CRITIC_TEMPLATE
    return template.format(problem=problem.strip(), paragraphs=tag_paragraphs(steps))


# --------------------------------------------------------------------------- parsing
_CONCLUSION = re.compile(r"conclusion[*_\s]*[:\-]?[*_`\s]*\b(incorrect|correct)\b", re.IGNORECASE)
_PARAGRAPH_REF = re.compile(r"paragraph[\s_#]*(-?\d+)", re.IGNORECASE)
_HEADING = re.compile(r"^[\s#*>-]*paragraph[\s_#]*(\d+)\s*[:.)]", re.IGNORECASE | re.MULTILINE)
_INT = re.compile(r"^\s*(?:paragraph[\s_#]*)?(-?\d+)\s*$", re.IGNORECASE)


def _last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` (nested braces allowed)."""
    pos = text.rfind("\\boxed")
    while pos >= 0:
        start = text.find("{", pos)
        if start >= 0 and text[pos + len("\\boxed") : start].strip() == "":
            depth = 0
            for j in range(start, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[start + 1 : j]
        pos = text.rfind("\\boxed", 0, pos)
    return None


def _in_range(index: int, num_steps: int | None) -> int | None:
    if index == -1:
        return -1
    if index < 0 or (num_steps is not None and index >= num_steps):
        return None
    return index


def parse_critic(text: str, num_steps: int | None = None) -> int | None:
    """First-error index from a critic-style answer (the last ``\\boxed{}``), or ``None``."""
    boxed = _last_boxed(text)
    if boxed is None:
        return None
    m = _INT.match(boxed.replace("\\text{", "").replace("}", "").replace("$", ""))
    if not m:
        return None
    return _in_range(int(m.group(1)), num_steps)


def parse_paper(text: str, num_steps: int | None = None) -> int | None:
    """First-error index from a paper-style analysis, or ``None``.

    ``Conclusion: Correct`` gives -1. ``Conclusion: Incorrect`` gives the paragraph named on the
    conclusion line, else the last ``Paragraph i:`` heading of the analysis (where it stopped).
    """
    matches = list(_CONCLUSION.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    if last.group(1).lower() == "correct":
        return -1
    line_end = text.find("\n", last.end())
    tail = text[last.end() : len(text) if line_end < 0 else line_end]
    ref = _PARAGRAPH_REF.search(tail)
    if ref is None:
        ref = re.search(r"(-?\d+)", tail)
    if ref is not None:
        return _in_range(int(ref.group(1)), num_steps)
    headings = list(_HEADING.finditer(text[: last.start()]))
    if headings:
        return _in_range(int(headings[-1].group(1)), num_steps)
    return None


def parse_judgement(text: str, style: str, num_steps: int | None = None) -> int | None:
    """Parse one judge output of ``style``; ``None`` when it cannot be read."""
    if style == "paper":
        return parse_paper(text, num_steps)
    if style == "critic":
        return parse_critic(text, num_steps)
    raise ValueError(f"judge style must be one of {STYLES}, got {style!r}")


def majority_index(indices: Sequence[int | None]) -> int | None:
    """Most frequent parseable index (``None`` when none parsed).

    Ties go to the earliest error (an index ``>= 0`` before -1, smaller indices first): when
    samples are split, the cautious reading is that something is wrong, and where.
    """
    votes = Counter(i for i in indices if i is not None)
    if not votes:
        return None
    best = max(votes.values())
    tied = [i for i, c in votes.items() if c == best]
    errors = sorted(i for i in tied if i >= 0)
    return errors[0] if errors else -1


# --------------------------------------------------------------------------- judge
@dataclass
class Judgement:
    """One solution's judgement: the voted index, each sample's parsed index and text."""

    index: int | None
    votes: list[int | None] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tokens: int = 0

    @property
    def unparseable(self) -> int:
        return sum(v is None for v in self.votes)


class LLMJudge(Judge):
    """An LLM-as-a-judge on any generator backend.

    Args:
        generator: the judge model (e.g. a vLLM backend of an instruct model). Its chat template
            and system prompt wrap the judge prompt.
        style: ``"paper"`` or ``"critic"`` (see the module docstring).
        samples: judge samples per solution; their parsed indices vote (:func:`majority_index`).
        seed: sampling seed.
    """

    def __init__(self, generator: Generator, style: str = "paper", samples: int = 1, seed: int = 0) -> None:
        if style not in STYLES:
            raise ValueError(f"judge style must be one of {STYLES}, got {style!r}")
        if samples < 1:
            raise ValueError(f"samples must be >= 1, got {samples}")
        self.generator = generator
        self.style = style
        self.samples = samples
        self.seed = seed

    def judge(self, problems: Sequence[str], solutions: Sequence[Sequence[str]]) -> list[Judgement]:
        """Full judgements (indices, votes, raw texts, tokens)."""
        if len(problems) != len(solutions):
            raise ValueError(f"{len(problems)} problems but {len(solutions)} solutions")
        prompts = [judge_prompt(p, list(s), self.style) for p, s in zip(problems, solutions)]
        outs = self.generator.sample(prompts, n=self.samples, seed=self.seed)
        result = []
        for steps, comps in zip(solutions, outs):
            votes = [parse_judgement(c.text, self.style, len(steps)) for c in comps]
            result.append(Judgement(
                index=majority_index(votes), votes=votes, texts=[c.text for c in comps],
                tokens=sum(int(c.num_tokens) for c in comps),
            ))
        return result

    def first_errors(self, problems: Sequence[str], solutions: Sequence[Sequence[str]]) -> list[int | None]:
        return [j.index for j in self.judge(problems, solutions)]
