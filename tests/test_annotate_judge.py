"""LLM-as-a-judge prompts, parser, majority vote, and LLMJudge on a stub generator."""

from __future__ import annotations

import pytest

from prmlib.annotate.judge import (
    LLMJudge,
    judge_prompt,
    majority_index,
    parse_critic,
    parse_judgement,
    parse_paper,
    tag_paragraphs,
)
from prmlib.interfaces import Completion, Generator


class CannedGenerator(Generator):
    """Returns canned texts in turn; records the prompts it was given."""

    def __init__(self, texts):
        self.texts = list(texts)
        self.prompts = []
        self.i = 0

    def sample(self, problems, n, seed=None):
        self.prompts.extend(problems)
        out = []
        for _ in problems:
            row = []
            for _ in range(n):
                row.append(Completion(self.texts[self.i % len(self.texts)], 10, "stop"))
                self.i += 1
            out.append(row)
        return out

    def continue_steps(self, problems, prefixes, k, seed=None):  # pragma: no cover - unused
        raise NotImplementedError


STEPS = ["Ann has 3 apples.", "Bob has 3 + 2 = 6 apples.", "The answer is \\boxed{6}."]


def test_prompts_tag_every_paragraph():
    tagged = tag_paragraphs(STEPS)
    assert tagged.startswith("<paragraph_0>\nAnn has 3 apples.\n</paragraph_0>")
    assert "<paragraph_2>\nThe answer is \\boxed{6}.\n</paragraph_2>" in tagged
    paper = judge_prompt("How many?", STEPS, "paper")
    assert "Conclusion: Correct" in paper and "Conclusion: Incorrect, first error in paragraph <i>" in paper
    assert "How many?" in paper and tagged in paper
    critic = judge_prompt("How many?", STEPS, "critic")
    assert "\\boxed{-1}" in critic and "\\boxed{{" not in critic and tagged in critic
    with pytest.raises(ValueError, match="style"):
        judge_prompt("Q", STEPS, "fancy")


@pytest.mark.parametrize("text, expected", [
    ("Paragraph 0: fine.\nParagraph 1: fine.\nConclusion: Correct", -1),
    ("Paragraph 0: ok.\nParagraph 1: 3 + 2 is 5, not 6.\nConclusion: Incorrect, first error in paragraph 1", 1),
    ("Paragraph 0: ok.\nParagraph 1: wrong sum.\n**Conclusion:** Incorrect", 1),  # stopped at heading 1
    ("**Conclusion**: Incorrect (paragraph_2)", 2),
    ("Conclusion: incorrect, first error in paragraph 0", 0),
    ("Paragraph 0: all fine and correct.", None),  # no conclusion line
    ("Conclusion: Incorrect, first error in paragraph 7", None),  # out of range (3 steps)
    ("Conclusion: Incorrect", None),  # no index anywhere
    ("Conclusion: Correct.\n...\nConclusion: Incorrect, first error in paragraph 2", 2),  # last one wins
])
def test_parse_paper(text, expected):
    assert parse_paper(text, num_steps=3) == expected


@pytest.mark.parametrize("text, expected", [
    ("The earliest error is in paragraph 1. \\boxed{1}", 1),
    ("All paragraphs are right. \\boxed{-1}", -1),
    ("\\boxed{ 2 }", 2),
    ("\\boxed{paragraph_0}", 0),
    ("\\boxed{\\text{1}}", 1),
    ("first \\boxed{0} then final \\boxed{2}", 2),
    ("no box here, paragraph 1 is wrong", None),
    ("\\boxed{3}", None),  # out of range
    ("\\boxed{-2}", None),
    ("\\boxed{one}", None),
    ("\\boxed{1", None),  # unclosed
])
def test_parse_critic(text, expected):
    assert parse_critic(text, num_steps=3) == expected


def test_parse_dispatch_and_majority():
    assert parse_judgement("\\boxed{1}", "critic", 3) == 1
    assert parse_judgement("Conclusion: Correct", "paper", 3) == -1
    with pytest.raises(ValueError, match="judge style must be one of"):
        parse_judgement("x", "other")
    assert majority_index([1, 1, -1]) == 1
    assert majority_index([-1, -1, 2, None, None, None]) == -1  # unparseable samples do not vote
    assert majority_index([None, None]) is None
    assert majority_index([2, -1]) == 2  # tie: the error
    assert majority_index([3, 1, -1]) == 1  # tie: the earliest error


def test_llm_judge_on_canned_outputs():
    texts = [
        "Paragraph 0: ok.\nConclusion: Correct",
        "Paragraph 0: ok.\nParagraph 1: 3 + 2 = 5.\nConclusion: Incorrect, first error in paragraph 1",
        "I am not sure.",
    ]
    gen = CannedGenerator(texts)
    judge = LLMJudge(gen, style="paper")
    got = judge.first_errors(["Q1", "Q2", "Q3"], [STEPS, STEPS, STEPS])
    assert got == [-1, 1, None]
    assert "<paragraph_1>" in gen.prompts[0] and "Q1" in gen.prompts[0]
    # three samples per solution vote; an unparseable one does not count
    gen = CannedGenerator([texts[1], texts[2], texts[1], texts[0], texts[0], texts[2]])
    res = LLMJudge(gen, style="paper", samples=3).judge(["Q1", "Q2"], [STEPS, STEPS])
    assert [r.index for r in res] == [1, -1]
    assert res[0].votes == [1, None, 1] and res[0].unparseable == 1 and res[0].tokens == 30
    crit = LLMJudge(CannedGenerator(["So \\boxed{2}", "\\boxed{9}"]), style="critic")
    assert crit.first_errors(["Q", "Q"], [STEPS, STEPS]) == [2, None]
    with pytest.raises(ValueError, match="samples must be >= 1"):
        LLMJudge(gen, samples=0)
