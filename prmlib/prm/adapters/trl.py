"""Our own PRMs: the input format of TRL's ``PRMTrainer`` (trl 1.13, ``trl.experimental.prm``).

Training tokenises each row piece by piece, never the joined text::

    [bos if the tokenizer has one] + ids(prompt) + sum(ids(step) + ids(separator) for step in steps)

with the label of each step on the LAST token of ``step + separator``. Scoring here builds the
ids in exactly the same way, so the separator token seen in training is the one read at scoring
time (tokenising ``"\\n\\n".join(steps)`` instead lets BPE merge ``".\\n\\n"`` into one token, and
the separator the model was trained on never appears: the separator trap).

The model is a ``*ForTokenClassification`` with 2 labels; the step score is
``softmax(logits)[1]`` (class 1 = correct) at each separator position.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import PRMAdapter, ScoringInput

DEFAULT_SEPARATOR = "<extra_0>"
#: file that our training code may save next to a model to record its input format
FORMAT_FILE = "prmlib_prm.json"
#: training config saved by :mod:`prmlib.prm.train` (its ``separator`` key is read)
TRAIN_CONFIG_FILE = "prm_train_config.yaml"


@dataclass
class TRLStepAdapter(PRMAdapter):
    """Input format of PRMs trained with TRL's ``PRMTrainer`` (our own PRMs).

    Args:
        separator: the ``step_separator`` the model was trained with (``<extra_0>`` for ours;
            TRL's default is ``"\\n"``).
        prompt_template: how the problem became the TRL ``prompt`` field (``{problem}`` is
            replaced by the problem; the default uses the problem as is, like
            :meth:`prmlib.solution.Solution.to_stepwise`).
    """

    separator: str = DEFAULT_SEPARATOR
    prompt_template: str = "{problem}"

    name = "prmlib"
    hub_ids = ()
    vllm_pooling = "STEP"

    def __post_init__(self) -> None:
        if not self.separator:
            raise ValueError("the step separator must be a non-empty string")
        if "{problem}" not in self.prompt_template:
            raise ValueError("prompt_template must contain '{problem}'")

    def separator_ids(self, tokenizer) -> list[int]:
        ids = tokenizer.encode(self.separator, add_special_tokens=False)
        if not ids:
            raise ValueError(f"the separator {self.separator!r} encodes to no tokens")
        return ids

    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        prompt = self.prompt_template.replace("{problem}", problem)
        pieces = tokenizer([prompt, *steps], add_special_tokens=False)["input_ids"]
        sep = self.separator_ids(tokenizer)
        ids = ([tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []) + list(pieces[0])
        positions = []
        for step_ids in pieces[1:]:
            ids.extend(step_ids)
            ids.extend(sep)
            positions.append(len(ids) - 1)
        text = prompt + "".join(step + self.separator for step in steps)
        return [ScoringInput(ids, positions, list(range(len(steps))), text)]

    def step_tag_id(self, tokenizer) -> int:
        return self.separator_ids(tokenizer)[-1]

    def step_scores(self, values):
        if values.shape[-1] != 2:
            raise ValueError(f"expected 2 logits per position (wrong, correct), got {values.shape[-1]}")
        return values.float().softmax(-1)[:, 1]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "separator": self.separator, "prompt_template": self.prompt_template}

    # -- format file ------------------------------------------------------------------------
    @classmethod
    def from_model_dir(cls, path: str | Path) -> TRLStepAdapter | None:
        """The format recorded next to a model: ``prmlib_prm.json`` (keys ``separator``,
        ``prompt_template``) or the training config ``prm_train_config.yaml`` written by
        :mod:`prmlib.prm.train` (key ``separator``); ``None`` when the folder has neither."""
        file = Path(path) / FORMAT_FILE
        if file.is_file():
            try:
                info = json.loads(file.read_text())
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}: not valid JSON ({exc})") from exc
            return cls(**{k: info[k] for k in ("separator", "prompt_template") if k in info})
        file = Path(path) / TRAIN_CONFIG_FILE
        if file.is_file():
            import yaml

            info = yaml.safe_load(file.read_text()) or {}
            if not isinstance(info, dict):
                raise ValueError(f"{file}: expected a mapping")
            return cls(**({"separator": info["separator"]} if info.get("separator") else {}))
        return None

    def save_to_model_dir(self, path: str | Path) -> Path:
        file = Path(path) / FORMAT_FILE
        file.write_text(json.dumps({"format": "trl-prm", "separator": self.separator,
                                    "prompt_template": self.prompt_template}, indent=1))
        return file
