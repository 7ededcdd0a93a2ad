"""Math-Shepherd-PRM-7B (``peiyi9979/math-shepherd-mistral-7b-prm``): a causal LM read at step tags.

Input (the format of the released model's own example): the problem, a space, then the steps
one per line, each written ``Step i: <step> ки``; the whole text is tokenised once with the
tokenizer's special tokens (Mistral adds ``<s>``)::

    "{problem} Step 1: {step 1} ки\\nStep 2: {step 2} ки\\n...Step n: {step n} ки"

At each ``ки`` token the model predicts the next token; the step score is the probability of
``+`` against ``-`` (a softmax over just those two logits). ``ки`` must stay one token at each
tag (checked). Steps that already start with ``Step k:`` are not numbered again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import HEAD_LM, PRMAdapter, ScoringInput, _place, encode_with_char_marks, last_token_id

_NUMBERED = re.compile(r"^\s*step\s*\d+\s*[:.]", re.IGNORECASE)


@dataclass
class MathShepherdAdapter(PRMAdapter):
    """Math-Shepherd format: ``ки`` after every step, ``+``/``-`` read from the LM head.

    Args:
        step_tag: the tag written after every step.
        good_token, bad_token: the tokens whose probabilities are compared.
        number_steps: write ``Step i:`` before each step (as in the model's training data).
    """

    step_tag: str = "ки"
    good_token: str = "+"
    bad_token: str = "-"
    number_steps: bool = True

    name = "math-shepherd"
    hub_ids = ("peiyi9979/math-shepherd-mistral-7b-prm",)
    head = HEAD_LM
    vllm_pooling = None

    def format_step(self, i: int, step: str) -> str:
        if self.number_steps and not _NUMBERED.match(step):
            return f"Step {i + 1}: {step}"
        return step

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        text = problem + " "
        ends = []
        for i, step in enumerate(steps):
            if i:
                text += "\n"
            text += self.format_step(i, step) + " " + self.step_tag
            ends.append(len(text))
        ids, positions = encode_with_char_marks(
            tokenizer, text, ends, self.step_tag_id(tokenizer), add_special_tokens=True
        )
        return [ScoringInput(ids, positions, list(range(len(steps))), text)]

    def step_tag_id(self, tokenizer) -> int:
        return last_token_id(tokenizer, self.step_tag)

    def candidate_token_ids(self, tokenizer) -> list[int]:
        return [last_token_id(tokenizer, self.good_token), last_token_id(tokenizer, self.bad_token)]

    def step_scores(self, values):
        return values.float().softmax(-1)[:, 0]

    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        from transformers import AutoModelForCausalLM

        return _place(AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs), device)
