"""RLHFlow PRMs (``RLHFlow/Llama3.1-8B-PRM-Deepseek-Data``, ``-Mistral-Data``): a multi-turn chat.

Each step is one user turn and every assistant reply is ``+``; the first user turn carries the
problem too::

    user: "{problem} {step 1}"   assistant: "+"
    user: "{step 2}"             assistant: "+"
    ...

rendered with the tokenizer's chat template and tokenised once. The score of step ``k`` is the
probability of ``+`` against ``-`` predicted at the token just BEFORE the ``k``-th assistant
``+`` (the released models' own code reads position -3 of a conversation that ends with
``+<|eot_id|>``: the same token). One forward pass scores every step: a causal model's
prediction there sees only the conversation up to step ``k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import HEAD_LM, PRMAdapter, ScoringInput, _place, encode_with_char_marks, last_token_id


@dataclass
class RLHFlowAdapter(PRMAdapter):
    """RLHFlow format: one step per user turn, ``+``/``-`` read from the LM head.

    Args:
        good_token, bad_token: the assistant replies compared (``+`` = correct).
    """

    good_token: str = "+"
    bad_token: str = "-"

    name = "rlhflow-prm"
    hub_ids = ("RLHFlow/Llama3.1-8B-PRM-Deepseek-Data", "RLHFlow/Llama3.1-8B-PRM-Mistral-Data")
    head = HEAD_LM
    vllm_pooling = None

    def conversation(self, problem: str, steps: Sequence[str]) -> list[dict[str, str]]:
        conv = []
        for k, step in enumerate(steps):
            conv.append({"role": "user", "content": f"{problem} {step}" if k == 0 else step})
            conv.append({"role": "assistant", "content": self.good_token})
        return conv

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        if not steps:
            return [ScoringInput([], [], [], "")]
        conv = self.conversation(problem, steps)
        text = tokenizer.apply_chat_template(conv, tokenize=False)
        ends = []
        for k in range(len(steps)):
            head = tokenizer.apply_chat_template(conv[: 2 * k + 1], tokenize=False, add_generation_prompt=True)
            if not (text.startswith(head) and text[len(head):].startswith(self.good_token)):
                raise ValueError("the chat template does not put the assistant reply right after the "
                                 f"generation prompt (turn {k}); cannot locate the '{self.good_token}' tokens")
            ends.append(len(head) + len(self.good_token))
        good_id = self.candidate_token_ids(tokenizer)[0]
        ids, reply_positions = encode_with_char_marks(tokenizer, text, ends, good_id)
        positions = [p - 1 for p in reply_positions]  # the token that predicts the reply
        return [ScoringInput(ids, positions, list(range(len(steps))), text)]

    def candidate_token_ids(self, tokenizer) -> list[int]:
        return [last_token_id(tokenizer, self.good_token), last_token_id(tokenizer, self.bad_token)]

    def step_scores(self, values):
        return values.float().softmax(-1)[:, 0]

    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        from transformers import AutoModelForCausalLM

        return _place(AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs), device)
