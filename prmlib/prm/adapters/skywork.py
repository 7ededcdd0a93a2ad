"""Skywork-o1-Open-PRM (``Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B`` and ``-1.5B``): a value head.

What we could verify (from the public inference code of the release, read through the search
tool; no weights were downloaded):

* Input: ``ids(bos_token + problem + "\\n")``, then for every step ``ids(step) + [id(step_token)]``,
  where ``id(step_token)`` is the last token of the step delimiter (``"\\n"`` in the released
  examples). Each piece is tokenised separately, so the delimiter token cannot merge with the
  step text. When the tokenizer has no BOS string, nothing is prepended.
* Output: a causal LM wrapped with a value head (``v_head.summary``: ``Linear(hidden, 1)``)
  applied to the last hidden state at every token; the step reward is ``sigmoid(value)`` at the
  step delimiter after each step.

The checkpoint stores the LM's weights plus ``v_head.summary.weight/bias``. We load it as a
``*ForTokenClassification`` with ONE label and rename ``v_head.summary`` to ``score`` while
loading (a linear head on the last hidden state: the same function), so no remote code runs and
the batched scorer reads it like any token classifier. The LM head is not needed and not loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import PRMAdapter, ScoringInput, _place, last_token_id

#: checkpoint key -> model key (regex, as in ``from_pretrained(key_mapping=...)``)
SKYWORK_KEY_MAPPING = {r"^v_head\.summary\.": "score."}


@dataclass
class SkyworkPRMAdapter(PRMAdapter):
    """Skywork-o1-Open-PRM format.

    Args:
        step_token: the delimiter appended after every step (its last token is the tag).
    """

    step_token: str = "\n"

    name = "skywork-prm"
    hub_ids = ("Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B", "Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B")
    vllm_pooling = None  # the real checkpoint needs Skywork's vLLM plugin

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        bos = tokenizer.bos_token or ""
        prompt = bos + problem + "\n"
        ids = list(tokenizer.encode(prompt))
        tag = self.step_tag_id(tokenizer)
        pieces = tokenizer(list(steps), add_special_tokens=True)["input_ids"] if steps else []
        positions = []
        for step, step_ids in zip(steps, pieces):
            ids.extend(step_ids if step != "" else [])
            ids.append(tag)
            positions.append(len(ids) - 1)
        text = prompt + "".join(step + self.step_token for step in steps)
        return [ScoringInput(ids, positions, list(range(len(steps))), text)]

    def step_tag_id(self, tokenizer) -> int:
        return last_token_id(tokenizer, self.step_token)

    def step_scores(self, values):
        return values.float()[:, 0].sigmoid()

    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        from transformers import AutoModelForTokenClassification

        model = AutoModelForTokenClassification.from_pretrained(
            path, dtype=dtype, num_labels=1, key_mapping=SKYWORK_KEY_MAPPING, **kwargs
        )
        return _place(model, device)

    def load_tokenizer(self, path: str, **kwargs: Any):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path, trust_remote_code=True, **kwargs)
