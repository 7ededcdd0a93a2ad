"""The Qwen team's released reward models.

* **Qwen2.5-Math-PRM-7B / -72B** and **Qwen2.5-Math-7B-PRM800K** (:class:`QwenPRMAdapter`): a chat
  with the maths system prompt, the problem as the user turn and the steps as the assistant turn,
  each step followed by ``<extra_0>``::

      messages = [system: "Please reason step by step, and put your final answer within \\boxed{}.",
                  user: problem,
                  assistant: "<extra_0>".join(steps) + "<extra_0>"]

  rendered with the tokenizer's chat template and tokenised once (``<extra_0>`` is a special
  token, so it cannot merge). The step score is ``softmax(logits)[1]`` of the 2-way head at each
  ``<extra_0>``. The checkpoints declare ``Qwen2ForProcessRewardModel`` (remote code, a
  2-layer head), so they load with ``AutoModel`` + ``trust_remote_code``;
  ``AutoModelForTokenClassification`` would leave that head randomly initialised.
* **Qwen2.5-Math-RM-72B** (:class:`QwenORMAdapter`), an outcome reward model: one forward pass per
  prefix ``steps[:i+1]`` (joined with blank lines, as the assistant turn of the same chat); the
  score of step ``i`` is the reward read at the last token of that prefix's conversation. This is
  how ProcessBench turns an ORM into step scores.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import PRMAdapter, ScoringInput, _place, encode_with_char_marks, single_token_id

QWEN_MATH_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


def _messages(system: str | None, problem: str, answer: str | None) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system is not None else []
    msgs.append({"role": "user", "content": problem})
    if answer is not None:
        msgs.append({"role": "assistant", "content": answer})
    return msgs


def read_config(path: str, local_files_only: bool = False) -> dict | None:
    """A model's ``config.json`` (local folder or hub id), read as JSON so no remote code runs;
    ``None`` when it cannot be read (``local_files_only``: from the hub cache, never the network)."""
    local = os.path.join(path, "config.json")
    if os.path.isdir(path):
        if not os.path.isfile(local):
            return None
        file = local
    else:
        try:
            from transformers.utils import cached_file

            file = cached_file(path, "config.json", _raise_exceptions_for_missing_entries=False,
                               local_files_only=local_files_only)
        except Exception:  # noqa: BLE001 - offline, missing: the caller falls back to defaults
            return None
        if not file:
            return None
    with open(file) as fh:
        data = json.load(fh)
    return data if isinstance(data, dict) else None


def read_architectures(path: str, local_files_only: bool = False) -> list[str]:
    """``architectures`` from a model's ``config.json`` (see :func:`read_config`); ``[]`` when it
    cannot be read."""
    return list((read_config(path, local_files_only) or {}).get("architectures") or [])


def _load_remote_or_auto(path: str, marker: str, dtype, device, num_labels: int, **kwargs: Any):
    """Released checkpoints whose architecture name contains ``marker`` ship their own modelling
    code: load with ``AutoModel`` + ``trust_remote_code``. Anything else (our tiny stand-ins, a
    converted checkpoint) loads as ``AutoModelForTokenClassification``."""
    from transformers import AutoModel, AutoModelForTokenClassification

    if any(marker in a for a in read_architectures(path)):
        model = AutoModel.from_pretrained(path, dtype=dtype, trust_remote_code=True, **kwargs)
    else:
        model = AutoModelForTokenClassification.from_pretrained(path, dtype=dtype, num_labels=num_labels, **kwargs)
    return _place(model, device)


def _render(tokenizer, messages, add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


@dataclass
class QwenPRMAdapter(PRMAdapter):
    """Qwen2.5-Math-PRM-7B/72B format (chat template, ``<extra_0>`` after every step).

    Args:
        system_prompt: the system turn (``None`` to leave it out).
        step_tag: the token appended to every step.
    """

    system_prompt: str | None = QWEN_MATH_SYSTEM
    step_tag: str = "<extra_0>"

    name = "qwen2.5-math-prm"
    hub_ids = ("Qwen/Qwen2.5-Math-PRM-7B", "Qwen/Qwen2.5-Math-PRM-72B")
    vllm_pooling = "STEP"

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        tag_id = single_token_id(tokenizer, self.step_tag, what="step tag")
        content = "".join(step + self.step_tag for step in steps)
        text = _render(tokenizer, _messages(self.system_prompt, problem, content), False)
        head = _render(tokenizer, _messages(self.system_prompt, problem, None), True)
        if not (text.startswith(head) and text[len(head):].startswith(content)):
            raise ValueError("the chat template does not place the assistant turn right after the "
                             "generation prompt; cannot locate the step tags")
        ends, cursor = [], len(head)
        for step in steps:
            cursor += len(step) + len(self.step_tag)
            ends.append(cursor)
        ids, positions = encode_with_char_marks(tokenizer, text, ends, tag_id)
        return [ScoringInput(ids, positions, list(range(len(steps))), text)]

    def step_tag_id(self, tokenizer) -> int:
        return single_token_id(tokenizer, self.step_tag, what="step tag")

    def step_scores(self, values):
        if values.shape[-1] != 2:
            raise ValueError(f"expected 2 logits per step tag, got {values.shape[-1]}")
        return values.float().softmax(-1)[:, 1]

    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        return _load_remote_or_auto(path, "ProcessRewardModel", dtype, device, num_labels=2, **kwargs)

    def load_tokenizer(self, path: str, **kwargs: Any):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path, trust_remote_code=True, **kwargs)


@dataclass
class QwenPRM800KAdapter(QwenPRMAdapter):
    """Qwen2.5-Math-7B-PRM800K: the Qwen2.5-Math-PRM format, trained on PRM800K only."""

    name = "qwen2.5-math-prm800k"
    hub_ids = ("Qwen/Qwen2.5-Math-7B-PRM800K",)


@dataclass
class QwenORMAdapter(PRMAdapter):
    """Qwen2.5-Math-RM-72B (an outcome reward model) scored once per prefix.

    Args:
        system_prompt: the system turn (``None`` to leave it out).
        step_joiner: how the steps of a prefix are joined into the assistant turn.
        activation: ``"sigmoid"`` maps the unbounded reward into (0, 1) so products and
            thresholds behave like step probabilities; ``"none"`` keeps the raw reward.
    """

    system_prompt: str | None = QWEN_MATH_SYSTEM
    step_joiner: str = "\n\n"
    activation: str = "sigmoid"

    name = "qwen2.5-math-rm"
    hub_ids = ("Qwen/Qwen2.5-Math-RM-72B",)
    vllm_pooling = "ALL"

    def __post_init__(self) -> None:
        if self.activation not in ("sigmoid", "none"):
            raise ValueError("activation must be 'sigmoid' or 'none'")

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        out = []
        for i in range(len(steps)):
            answer = self.step_joiner.join(steps[: i + 1])
            text = _render(tokenizer, _messages(self.system_prompt, problem, answer), False)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            out.append(ScoringInput(list(ids), [len(ids) - 1], [i], text))
        return out

    def step_scores(self, values):
        reward = values.float()[:, 0]
        return reward.sigmoid() if self.activation == "sigmoid" else reward

    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        return _load_remote_or_auto(path, "RewardModel", dtype, device, num_labels=1, **kwargs)

    def load_tokenizer(self, path: str, **kwargs: Any):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path, trust_remote_code=True, **kwargs)
