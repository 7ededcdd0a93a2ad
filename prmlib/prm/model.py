"""The model side of PRM training: the base model with a 2-class head, and its separator token.

* :func:`load_prm_base` puts a fresh 2-class token-classification head (class 1 = correct step)
  on a hub id or local checkpoint;
* :func:`build_tiny_base` builds a tiny random Qwen2 PRM and a tokenizer trained on the data
  (:mod:`prmlib.tiny`), for CPU runs and tests;
* :func:`ensure_separator_token` makes the step separator ONE special token, so that scoring can
  rebuild the exact training tokenisation.

Example::

    from prmlib.prm.model import ensure_separator_token, load_prm_base
    model, tok = load_prm_base("Qwen/Qwen2.5-Math-7B-Instruct", model_dtype="bfloat16")
    sep_id = ensure_separator_token(tok, model, "<extra_0>")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from prmlib.prm.config import DEFAULT_SEPARATOR, DEFAULT_TINY

logger = logging.getLogger(__name__)


def ensure_separator_token(tokenizer, model=None, separator: str = DEFAULT_SEPARATOR) -> int:
    """Make ``separator`` one special token of ``tokenizer``; grow ``model``'s embeddings if needed.

    Returns:
        The separator's token id.
    Raises:
        ValueError: when the separator still does not encode to exactly one token.
    """
    from tokenizers import AddedToken

    ids = tokenizer.encode(separator, add_special_tokens=False)
    if len(ids) != 1:
        tokenizer.add_tokens([AddedToken(separator, special=True, normalized=False)], special_tokens=True)
        ids = tokenizer.encode(separator, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"separator {separator!r} encodes to {len(ids)} tokens even after adding it")
        logger.info("added the step separator %r to the tokenizer as id %d", separator, ids[0])
    if model is not None:
        rows = model.get_input_embeddings().num_embeddings
        if len(tokenizer) > rows:  # never shrink (Qwen checkpoints have padded embedding matrices)
            model.resize_token_embeddings(len(tokenizer))
    return int(ids[0])


def _dtype(name: str | None):
    """The torch dtype called ``name`` (``None`` and ``"auto"`` are passed through)."""
    if name in (None, "auto"):
        return name
    import torch

    try:
        return getattr(torch, name)
    except AttributeError:
        raise ValueError(f"model_dtype {name!r} is not a torch dtype") from None


def load_prm_base(model: str, tokenizer: str | None = None, model_dtype: str | None = None):
    """Load a base model with a fresh 2-class token-classification head, and its tokenizer.

    Args:
        model: hub id or local path of the base model.
        tokenizer: tokenizer path when it differs from ``model``.
        model_dtype: dtype name the weights are loaded in (``"bfloat16"``, ``"auto"``, ...);
            ``None`` keeps transformers' default.
    Returns:
        ``(model, tokenizer)``.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer or model)
    kwargs: dict[str, Any] = {"num_labels": 2, "id2label": {0: "wrong", 1: "correct"},
                              "label2id": {"wrong": 0, "correct": 1}}
    if model_dtype is not None:
        kwargs["dtype"] = _dtype(model_dtype)
    return AutoModelForTokenClassification.from_pretrained(model, **kwargs), tok


def build_tiny_base(texts: Sequence[str], tiny: Mapping[str, Any], seed: int = 0):
    """Tokenizer trained on ``texts`` plus a random tiny Qwen2 PRM (sizes from ``tiny``).

    Args:
        texts: the texts the byte-level BPE tokenizer is trained on (prompts and steps).
        tiny: ``PRMTrainConfig.tiny``: ``vocab_size``, ``whole_numbers``, ``number_sense``,
            ``sliding_window`` and the Qwen2 sizes (``hidden_size``, ``num_hidden_layers``, ...).
        seed: seed of the weight initialisation.
    Returns:
        ``(model, tokenizer)``.
    """
    from prmlib.tiny import build_tiny_prm, build_tokenizer

    sizes = dict(tiny)
    vocab_size = int(sizes.pop("vocab_size", DEFAULT_TINY["vocab_size"]))
    whole_numbers = int(sizes.pop("whole_numbers", 0))
    number_sense = bool(sizes.pop("number_sense", False))
    window = int(sizes.pop("sliding_window", 0) or 0)
    if window:
        sizes.update(use_sliding_window=True, sliding_window=window, max_window_layers=0)
    if number_sense and not whole_numbers:
        whole_numbers = 100
    tok = build_tokenizer(texts, vocab_size=vocab_size, whole_numbers=whole_numbers)
    return build_tiny_prm(tok, seed=seed, number_sense=number_sense, **sizes), tok
