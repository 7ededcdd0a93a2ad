"""Soft step labels for PRM training: tokenisation, collator, loss and trainer.

TRL's ``PRMTrainer`` casts every label to ``int`` (in ``tokenize_row``, in the ``int64`` dataset
features of its tokenisation ``map`` and in ``DataCollatorForTokenClassification``), so a soft
Monte Carlo label such as 0.875 silently becomes 0. This module keeps targets as floats all the
way to the loss:

* :func:`tokenize_soft_row` places labels at exactly the positions chosen by TRL's own
  ``PRMTrainer.tokenize_row`` (the last token of each ``step + separator``) and writes the float
  targets there;
* :class:`SoftLabelCollator` pads ``input_ids`` with the pad id and ``labels`` with -100 in a
  ``float32`` tensor;
* :func:`soft_step_loss` is binary cross-entropy on the margin ``logit_1 - logit_0`` of the
  2-class head. For targets in {0, 1} it equals the usual 2-class cross-entropy, because
  ``softmax([l0, l1])[1] = sigmoid(l1 - l0)``; for soft targets it is the cross-entropy against
  the distribution ``(1 - y, y)``;
* :class:`SoftPRMTrainer` is ``PRMTrainer`` with that loss.

Positions labelled -100 are ignored everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def label_margin(logits: torch.Tensor) -> torch.Tensor:
    """``logit_1 - logit_0`` of a 2-class head: the log-odds that a step is correct."""
    if logits.shape[-1] != 2:
        raise ValueError(f"expected a 2-class head (last dim 2), got logits of shape {tuple(logits.shape)}")
    return logits[..., 1] - logits[..., 0]


def soft_step_loss(logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy of soft step targets against the 2-class head.

    Args:
        logits: ``(batch, seq, 2)`` token-classification logits (class 1 = correct step).
        labels: ``(batch, seq)`` targets in [0, 1]; positions equal to -100 are ignored.
        reduction: ``"mean"`` over labelled positions (like ``CrossEntropyLoss(ignore_index=-100)``),
            or ``"sum"``.

    Returns:
        A scalar loss (0 with a gradient path when no position is labelled).
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
    margin = label_margin(logits).float()
    labels = labels.to(margin.device)
    mask = labels != IGNORE_INDEX
    targets = labels[mask].float()
    if targets.numel() and (targets.min() < 0 or targets.max() > 1):
        raise ValueError("soft step labels must lie in [0, 1] (or be -100 to ignore a position)")
    loss = F.binary_cross_entropy_with_logits(margin[mask], targets, reduction="sum")
    if reduction == "sum":
        return loss
    return loss / mask.sum().clamp(min=1)


def tokenize_soft_row(
    features: Mapping[str, Any],
    tokenizer,
    step_separator: str,
    max_length: int | None,
    max_completion_length: int | None = None,
    train_on_last_step_only: bool = False,
    is_eval: bool = False,
) -> dict[str, list]:
    """Tokenise a stepwise row like ``PRMTrainer.tokenize_row`` but keep float labels.

    The positions come from TRL's own function (called with placeholder labels), so hard and soft
    training put their targets on the same tokens; only the values differ.

    Returns:
        ``{"input_ids": [int], "labels": [float]}`` with -100.0 on unlabelled positions.
    """
    from trl.experimental.prm import PRMTrainer

    values = [float(v) for v in features["labels"]]
    placeholder = dict(features)
    placeholder["labels"] = [1] * len(values)
    out = PRMTrainer.tokenize_row(
        placeholder,
        tokenizer=tokenizer,
        step_separator=step_separator,
        max_length=max_length,
        max_completion_length=max_completion_length,
        train_on_last_step_only=train_on_last_step_only,
        is_eval=is_eval,
    )
    if train_on_last_step_only and not is_eval:
        values = values[-1:]
    it = iter(values)  # surviving positions are the first ones (truncation cuts the end)
    labels = [float(next(it)) if lab != IGNORE_INDEX else float(IGNORE_INDEX) for lab in out["labels"]]
    return {"input_ids": out["input_ids"], "labels": labels}


class SoftLabelCollator:
    """Pad a batch of tokenised rows, keeping labels as ``float32``.

    Args:
        tokenizer: supplies ``pad_token_id`` (required) and ``padding_side``.
        pad_to_multiple_of: optional padding multiple (e.g. 8 for tensor cores).
    """

    def __init__(self, tokenizer, pad_to_multiple_of: int | None = None):
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; set tokenizer.pad_token first")
        self.pad_token_id = int(tokenizer.pad_token_id)
        self.padding_side = getattr(tokenizer, "padding_side", "right") or "right"
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("empty batch")
        width = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            width = (width + m - 1) // m * m
        ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(features), width), dtype=torch.long)
        labels = torch.full((len(features), width), float(IGNORE_INDEX), dtype=torch.float32)
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            if len(f["labels"]) != n:
                raise ValueError(f"batch row {i}: {n} input ids but {len(f['labels'])} labels")
            sl = slice(width - n, width) if self.padding_side == "left" else slice(0, n)
            ids[i, sl] = torch.as_tensor(f["input_ids"], dtype=torch.long)
            mask[i, sl] = 1
            labels[i, sl] = torch.as_tensor(f["labels"], dtype=torch.float32)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@functools.cache
def _soft_trainer_class():
    """Build :class:`SoftPRMTrainer` lazily (importing TRL is slow)."""
    from trl.experimental.prm import PRMTrainer

    class SoftPRMTrainer(PRMTrainer):
        """``PRMTrainer`` trained with :func:`soft_step_loss` on float targets.

        Pass a dataset already tokenised with :func:`tokenize_soft_row` (TRL's own tokenisation
        would cast the labels to ``int``) and a :class:`SoftLabelCollator`.
        """

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs = dict(inputs)
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            logits = outputs["logits"] if isinstance(outputs, Mapping) else outputs[0]
            if num_items_in_batch is not None:
                # normalised over the whole accumulated (and, with average_tokens_across_devices,
                # gathered) batch, like the model's own token-classification loss
                loss = soft_step_loss(logits, labels, reduction="sum") / num_items_in_batch
                if self.args.average_tokens_across_devices and self.accelerator.num_processes > 1:
                    loss = loss * self.accelerator.num_processes
            else:
                loss = soft_step_loss(logits, labels, reduction="mean")
            return (loss, outputs) if return_outputs else loss

    return SoftPRMTrainer


def __getattr__(name: str):
    if name == "SoftPRMTrainer":
        return _soft_trainer_class()
    raise AttributeError(name)
