"""Load a reward model and its input format as a scorer: :func:`load_prm`.

Example::

    from prmlib.prm.loading import load_prm          # also prmlib.prm.adapters.load_prm
    prm = load_prm("Qwen/Qwen2.5-Math-PRM-7B", backend="vllm")
    scores = prm.score(problems, steps_list)

This module sits above the adapter registry and both scorers (it imports them; none of them
imports it), which keeps the import graph of :mod:`prmlib.prm` free of cycles.
"""

from __future__ import annotations

from typing import Any

from .adapters.base import PRMAdapter
from .adapters.registry import BACKENDS, adapter_for, get_adapter, resolve_model_path
from .score import PRMScorer
from .vllm_score import VLLMPRMScorer

__all__ = ["BACKENDS", "load_prm"]


def load_prm(
    name_or_path: str,
    backend: str = "transformers",
    adapter: str | PRMAdapter | None = None,
    **kwargs: Any,
):
    """Load a reward model and its input format, ready to ``.score(problems, steps_list)``.

    Args:
        name_or_path: a hub id (e.g. ``Qwen/Qwen2.5-Math-PRM-7B``), a local folder, or an adapter
            name (which loads that adapter's default hub id).
        backend: ``"transformers"`` (:class:`~prmlib.prm.score.PRMScorer`) or ``"vllm"``
            (:class:`~prmlib.prm.vllm_score.VLLMPRMScorer`).
        adapter: an adapter name or instance; chosen by :func:`adapter_for` when ``None``.
        **kwargs: passed to the scorer's ``from_pretrained`` (``batch_size``, ``device``,
            ``dtype``, ``max_length``, ... for transformers; ``dtype``, ``max_model_len``,
            ``kv_cache_memory_bytes``, ... for vLLM).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    path = resolve_model_path(name_or_path)
    if isinstance(adapter, str):
        adapter = get_adapter(adapter)
    if adapter is None:
        adapter = adapter_for(name_or_path)
    if backend == "transformers":
        return PRMScorer.from_pretrained(path, adapter=adapter, **kwargs)
    return VLLMPRMScorer(path, adapter=adapter, **kwargs)
