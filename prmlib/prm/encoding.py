"""Model inputs for step scoring, shared by the transformers and vLLM backends.

An adapter (:mod:`prmlib.prm.adapters`) turns a solution into one or more
:class:`~prmlib.prm.adapters.base.ScoringInput`\\ s (token ids and the positions where step scores
are read). :func:`encode_solutions` does that for a batch of solutions and cuts sequences at
``max_length`` as TRL does in training: the steps whose score position is cut score ``NaN``
(or raise, with ``on_truncation="error"``) and are counted in a :class:`ScoringStats`.

Neither backend is imported here, so :mod:`prmlib.prm.score`, :mod:`prmlib.prm.vllm_score` and
the adapter registry can all depend on this module without depending on each other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .adapters.base import PRMAdapter, ScoringInput, check_steps

logger = logging.getLogger(__name__)

TRUNCATION_POLICIES = ("nan", "error")


@dataclass
class ScoringStats:
    """What one scoring run did (``padding_efficiency`` = real tokens / padded batch tokens)."""

    solutions: int = 0
    sequences: int = 0
    steps: int = 0
    forward_passes: int = 0
    real_tokens: int = 0
    padded_tokens: int = 0
    truncated_sequences: int = 0
    truncated_steps: int = 0
    seconds: float = 0.0

    @property
    def padding_efficiency(self) -> float:
        """Real tokens / padded batch tokens (1.0 when nothing ran)."""
        return self.real_tokens / self.padded_tokens if self.padded_tokens else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The counts and ``padding_efficiency`` (rounded), JSON-ready."""
        return {**asdict(self), "padding_efficiency": round(self.padding_efficiency, 4)}


def truncate_input(inp: ScoringInput, max_length: int | None) -> tuple[ScoringInput, int]:
    """Cut ``inp`` to its first ``max_length`` tokens; returns it and how many scores were lost."""
    if max_length is None or len(inp.input_ids) <= max_length:
        return inp, 0
    keep = [k for k, p in enumerate(inp.positions) if p < max_length]
    cut = ScoringInput(
        inp.input_ids[:max_length], [inp.positions[k] for k in keep], [inp.step_indices[k] for k in keep], None
    )
    return cut, len(inp.positions) - len(keep)


def encode_solutions(
    adapter: PRMAdapter,
    tokenizer: Any,
    problems: Sequence[str],
    steps_list: Sequence[Sequence[str]],
    max_length: int | None,
    on_truncation: str,
    stats: ScoringStats,
) -> list[tuple[int, ScoringInput]]:
    """Encode every solution with ``adapter`` and cut sequences at ``max_length``.

    Returns ``(solution index, input)`` pairs that still hold at least one score position.
    Steps beyond ``max_length`` are counted in ``stats`` (they score NaN), or raise with
    ``on_truncation="error"``. Shared by the transformers and vLLM backends.
    """
    if len(problems) != len(steps_list):
        raise ValueError(f"{len(problems)} problems but {len(steps_list)} step lists")
    items: list[tuple[int, ScoringInput]] = []
    for i, (problem, steps) in enumerate(zip(problems, steps_list)):
        check_steps(problem, steps, where=f"solution {i}")
        stats.steps += len(steps)
        for inp in adapter.encode(tokenizer, problem, list(steps)):
            cut, lost = truncate_input(inp, max_length)
            if lost:
                stats.truncated_sequences += 1
                stats.truncated_steps += lost
                if on_truncation == "error":
                    raise ValueError(
                        f"solution {i}: {len(inp.input_ids)} tokens exceed max_length={max_length}; "
                        f"{lost} step score(s) would be lost"
                    )
            if cut.positions:
                items.append((i, cut))
    if stats.truncated_steps:
        logger.warning(
            "%d step(s) in %d sequence(s) were beyond max_length=%d and score NaN",
            stats.truncated_steps, stats.truncated_sequences, max_length,
        )
    return items
