"""Score every step of many solutions with a process reward model, one forward pass each.

A PRM trained on the separator token after each step sees, at step ``i``'s separator, exactly
the prefix up to step ``i`` (the model is causal). So one forward pass over the whole solution
gives every step's score, identical to running each prefix alone (tested to 1e-5 in fp32).

:class:`PRMScorer` is the transformers backend (CPU or GPU):

* inputs are built by an adapter (:mod:`prmlib.prm.adapters`): our TRL format by default, or a
  released PRM's format;
* sequences are sorted by length, batched (``batch_size`` sequences and at most
  ``max_batch_tokens`` padded tokens: 2,048 on CPU by default, no cap on GPU), right-padded (so
  positions and causal attention of real tokens are those of an unpadded run, whatever the
  tokenizer's ``padding_side``), and results are put back in input order;
* a sequence longer than ``max_length`` is cut at the end, as TRL does in training: the steps
  whose score position is cut get ``NaN`` (or an error with ``on_truncation="error"``), and are
  counted in :attr:`PRMScorer.last_stats`. Scores are never read from a wrong position.

Example::

    scorer = PRMScorer.from_pretrained("runs/prm-7b")             # our own PRM
    scores = scorer.score(["What is 2+3?"], [["2+3=5.", "The answer is 5."]])
    # [[0.98, 0.97]]
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from typing import Any

from .adapters.base import HEAD_LM, PRMAdapter, ScoringInput, check_steps
from .adapters.registry import adapter_for, get_adapter
from .adapters.trl import DEFAULT_SEPARATOR, TRLStepAdapter
from .encoding import TRUNCATION_POLICIES, ScoringStats, encode_solutions, truncate_input

__all__ = [
    "CPU_MAX_BATCH_TOKENS", "TRUNCATION_POLICIES", "PRMScorer", "ScoringStats", "encode_solutions",
    "length_buckets", "truncate_input",
]

# Padded tokens per forward pass on CPU when ``max_batch_tokens="auto"``. On CPU a batch gains no
# parallel hardware beyond the cores, while its activations grow past the caches. In the three
# runs of benchmarks/scoring_speed.py in docs/scoring.md (tiny Qwen2, 2-core x86_64), batches of
# 16 ProcessBench-length sequences were 9-17% slower than one sequence at a time on one thread,
# and batches capped at 2,048 tokens (about three sequences) were the fastest of the three at 1
# and 2 threads. GPUs keep whole batches.
CPU_MAX_BATCH_TOKENS = 2048


def length_buckets(
    lengths: Sequence[int], batch_size: int, max_batch_tokens: int | None = None, sort: bool = True
) -> list[list[int]]:
    """Group indices into batches; with ``sort`` the longest sequences come first and batch together.

    A batch holds at most ``batch_size`` sequences and, when ``max_batch_tokens`` is set, at most
    that many tokens once padded to its longest member (a single sequence longer than the budget
    still forms its own batch).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i]) if sort else list(range(len(lengths)))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        new_longest = max(longest, lengths[i])
        too_many = len(current) >= batch_size
        too_big = max_batch_tokens is not None and current and new_longest * (len(current) + 1) > max_batch_tokens
        if current and (too_many or too_big):
            batches.append(current)
            current, new_longest = [], lengths[i]
        current.append(i)
        longest = new_longest
    if current:
        batches.append(current)
    return batches


class PRMScorer:
    """Batched single-pass step scoring with transformers.

    Args:
        model: a loaded model of the kind the adapter reads (a token classifier for our PRMs).
        tokenizer: its tokenizer.
        separator: the training step separator, used when no ``adapter`` is given.
        adapter: the input format (default: :class:`TRLStepAdapter` with ``separator``).
        batch_size: sequences per forward pass.
        max_batch_tokens: cap on padded tokens per forward pass; ``"auto"`` (default) is
            :data:`CPU_MAX_BATCH_TOKENS` on CPU and no cap elsewhere, ``None`` no cap.
        bucket_by_length: sort sequences by length before batching (less padding); ``False``
            batches them in input order (for comparisons). Results come back in input order either way.
        attention_mask: pass a padding mask to the model. Not needed for the causal models scored
            here: with right padding a real token never attends to a later pad, so dropping the
            mask changes no score (tested) and lets PyTorch use its fused causal attention, which on
            CPU is much faster than attention with an explicit mask.
        device: where to run (default: the model's device).
        max_length: longest sequence fed to the model (default: the smaller of the tokenizer's
            ``model_max_length`` and the model's ``max_position_embeddings``).
        on_truncation: ``"nan"`` (cut steps score NaN, counted and logged) or ``"error"``.
        show_progress: tqdm bar; ``None`` shows it for 64 sequences or more.
    """

    def __init__(
        self,
        model,
        tokenizer,
        separator: str = DEFAULT_SEPARATOR,
        adapter: PRMAdapter | None = None,
        batch_size: int = 16,
        max_batch_tokens: int | str | None = "auto",
        device=None,
        max_length: int | None = None,
        on_truncation: str = "nan",
        show_progress: bool | None = None,
        bucket_by_length: bool = True,
        attention_mask: bool = False,
    ) -> None:
        import torch

        if on_truncation not in TRUNCATION_POLICIES:
            raise ValueError(f"on_truncation must be one of {TRUNCATION_POLICIES}")
        self.model = model
        self.tokenizer = tokenizer
        self.adapter = adapter if adapter is not None else TRLStepAdapter(separator=separator)
        self.batch_size = int(batch_size)
        if device is not None:
            self.model.to(device)
        self.device = next(model.parameters()).device if device is None else torch.device(device)
        self.max_batch_tokens = _resolve_batch_tokens(max_batch_tokens, self.device)
        self.model.eval()
        self.max_length = max_length if max_length is not None else _default_max_length(model, tokenizer)
        self.on_truncation = on_truncation
        self.show_progress = show_progress
        self.bucket_by_length = bucket_by_length
        self.use_attention_mask = attention_mask
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.candidates = self.adapter.candidate_token_ids(tokenizer) if self.adapter.head == HEAD_LM else None
        self.last_stats = ScoringStats()

    @classmethod
    def from_pretrained(
        cls,
        path_or_hub_id: str,
        adapter: PRMAdapter | str | None = None,
        device=None,
        dtype=None,
        model_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PRMScorer:
        """Load model and tokenizer with the adapter's loader (chosen by
        :func:`~prmlib.prm.adapters.adapter_for` when ``None``; ``separator=`` overrides the
        separator of our own format). ``dtype`` defaults to bfloat16 on GPU and float32 on CPU;
        ``device`` to CUDA when available."""
        import torch

        separator = kwargs.pop("separator", None)
        options = {"separator": separator} if separator is not None else {}
        if isinstance(adapter, str):
            adapter = get_adapter(adapter, **options)
        if adapter is None:
            adapter = adapter_for(path_or_hub_id, **options)
        elif options and getattr(adapter, "separator", None) != separator:
            raise ValueError("give the separator either to the adapter or as separator=, not both")
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype is None:
            dtype = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
        elif isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        tokenizer = adapter.load_tokenizer(path_or_hub_id)
        model = adapter.load_model(path_or_hub_id, dtype=dtype, device=device, **(model_kwargs or {}))
        return cls(model, tokenizer, adapter=adapter, device=device, **kwargs)

    # -- inputs -----------------------------------------------------------------------------
    def encode(self, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        """The exact sequences (ids and score positions) of one solution, before truncation."""
        check_steps(problem, steps)
        return self.adapter.encode(self.tokenizer, problem, list(steps))

    # -- scoring ----------------------------------------------------------------------------
    def score(self, problems: Sequence[str], steps_list: Sequence[Sequence[str]]) -> list[list[float]]:
        """Every step's score (class-1 probability for our PRMs), one list per solution, in input order."""
        start = time.perf_counter()
        stats = ScoringStats(solutions=len(problems))
        items = encode_solutions(self.adapter, self.tokenizer, problems, steps_list, self.max_length,
                                 self.on_truncation, stats)
        results: list[list[float]] = [[math.nan] * len(steps) for steps in steps_list]
        stats.sequences = len(items)
        self._run(items, results, stats)
        stats.seconds = time.perf_counter() - start
        self.last_stats = stats
        return results

    def score_one(self, problem: str, steps: Sequence[str]) -> list[float]:
        return self.score([problem], [steps])[0]

    def score_per_prefix(
        self, problems: Sequence[str], steps_list: Sequence[Sequence[str]], batched: bool = False
    ) -> list[list[float]]:
        """The reference without the single-pass observation: score prefix ``steps[:i+1]`` as a
        sequence of its own and read its LAST score position. ``batched=False`` (the naive way)
        runs one forward pass per prefix; ``batched=True`` batches all prefixes like :meth:`score`
        does solutions (length-sorted, same batch size and token budget), the fairest per-prefix
        baseline. Slow either way; used by tests and benchmarks."""
        results = [[math.nan] * len(steps) for steps in steps_list]
        items = []
        for sol, (problem, steps) in enumerate(zip(problems, steps_list)):
            for i in range(len(steps)):
                inp = self.adapter.encode(self.tokenizer, problem, list(steps[: i + 1]))[-1]
                cut, lost = truncate_input(inp, self.max_length)
                if lost or not cut.positions:
                    continue
                items.append((sol, ScoringInput(cut.input_ids, cut.positions[-1:], [i])))
        if batched:
            self._run(items, results, ScoringStats(), show=False)
        else:
            for item in items:
                self._run([item], results, ScoringStats(), show=False)
        return results

    # -- internals --------------------------------------------------------------------------
    def _run(self, items, results, stats: ScoringStats, show: bool | None = None) -> None:
        from tqdm.auto import tqdm

        if not items:
            return
        lengths = [len(inp.input_ids) for _, inp in items]
        batches = length_buckets(lengths, self.batch_size, self.max_batch_tokens, sort=self.bucket_by_length)
        show = self.show_progress if show is None else show
        if show is None:
            show = len(items) >= 64
        with tqdm(total=len(items), desc="scoring steps", unit="seq", disable=not show) as bar:
            for batch in batches:
                self._run_batch([items[k] for k in batch], results, stats)
                bar.update(len(batch))

    def _run_batch(self, batch, results, stats: ScoringStats) -> None:
        import torch

        longest = max(len(inp.input_ids) for _, inp in batch)
        ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        rows, cols = [], []
        for b, (_, inp) in enumerate(batch):
            n = len(inp.input_ids)
            ids[b, :n] = torch.tensor(inp.input_ids, dtype=torch.long)
            mask[b, :n] = 1
            rows.extend([b] * len(inp.positions))
            cols.extend(inp.positions)
        values = self._values_at(ids.to(self.device), mask.to(self.device), rows, cols)
        if values is None:  # a model that returns one value per sequence: run unpadded, one by one
            if len(batch) > 1:
                for item in batch:
                    self._run_batch([item], results, stats)
                return
            raise ValueError("the model returns one value per sequence; score positions must be the last token")
        stats.forward_passes += 1
        stats.real_tokens += int(mask.sum())
        stats.padded_tokens += mask.numel()
        scores = self.adapter.step_scores(values).tolist()
        k = 0
        for sol, inp in batch:
            for step in inp.step_indices:
                results[sol][step] = float(scores[k])
                k += 1

    def _values_at(self, ids, mask, rows, cols):
        """``(len(rows), k)`` values read at (row, col), or None for per-sequence outputs that
        cannot be trusted in a padded batch."""
        import torch

        r = torch.tensor(rows, device=ids.device)
        c = torch.tensor(cols, device=ids.device)
        model_mask = mask if self.use_attention_mask else None
        with torch.inference_mode():
            if self.adapter.head == HEAD_LM:
                hidden = self.model.base_model(input_ids=ids, attention_mask=model_mask).last_hidden_state
                head = self.model.get_output_embeddings()
                weight = head.weight[self.candidates]
                bias = head.bias[self.candidates] if getattr(head, "bias", None) is not None else None
                return torch.nn.functional.linear(hidden[r, c], weight, bias).float()
            out = self.model(input_ids=ids, attention_mask=model_mask)
            logits = out.logits if hasattr(out, "logits") else out[0]
            if logits.dim() == 3:
                return logits[r, c].float()
            if logits.dim() == 2:  # (batch, k): one value per sequence (some remote-code ORMs)
                lengths = mask.sum(-1)
                if ids.shape[0] > 1 and bool((lengths != lengths.max()).any()):
                    return None
                if any(int(cc) != int(lengths[int(rr)]) - 1 for rr, cc in zip(r, c)):
                    raise ValueError("per-sequence model output, but a score is read before the last token")
                return logits[r].float()
            raise ValueError(f"unexpected model output of shape {tuple(logits.shape)}")


def _resolve_batch_tokens(value: int | str | None, device) -> int | None:
    if isinstance(value, str) and value == "auto":
        return CPU_MAX_BATCH_TOKENS if device.type == "cpu" else None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"max_batch_tokens must be a positive whole number, 'auto' or None, not {value!r}")
    return int(value)


def _default_max_length(model, tokenizer) -> int | None:
    limits = []
    tml = getattr(tokenizer, "model_max_length", None)
    if isinstance(tml, int) and 0 < tml < 10**7:
        limits.append(tml)
    mpe = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if isinstance(mpe, int) and mpe > 0:
        limits.append(mpe)
    return min(limits) if limits else None
