"""Consensus filtering: keep a solution only when MC estimation and the judge agree.

Agreement means the same first-error index: the first negative MC step equals the judge's first
wrong paragraph, or both say there is none (-1). Everything else is dropped, with a reason:

==========================  ==========================================================
reason                      meaning
==========================  ==========================================================
``agree_clean``             kept: both -1
``agree_error``             kept: both name the same step
``judge_unparseable``       dropped: the judge's output could not be read (``None``)
``judge_missing``           dropped: no judgement for the solution
``mc_missing``              dropped: no MC result for the solution
``judge_clean_mc_error``    dropped: the judge says clean, MC finds a negative step
``mc_clean_judge_error``    dropped: MC finds no negative step, the judge flags one
``judge_earlier``           dropped: both flag a step, the judge's comes first
``judge_later``             dropped: both flag a step, MC's comes first
==========================  ==========================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KEPT_REASONS = ("agree_clean", "agree_error")
DROP_REASONS = (
    "judge_unparseable", "judge_missing", "mc_missing", "judge_clean_mc_error", "mc_clean_judge_error",
    "judge_earlier", "judge_later",
)


def consensus_reason(mc_first_error: int | None, judge_first_error: int | None) -> str:
    """Why a solution is kept or dropped (see the module table)."""
    if judge_first_error is None:
        return "judge_unparseable"
    if mc_first_error is None:
        return "mc_missing"
    mc, jd = int(mc_first_error), int(judge_first_error)
    if mc == jd:
        return "agree_clean" if mc == -1 else "agree_error"
    if jd == -1:
        return "judge_clean_mc_error"
    if mc == -1:
        return "mc_clean_judge_error"
    return "judge_earlier" if jd < mc else "judge_later"


@dataclass
class ConsensusResult:
    """Per-solution decisions of :func:`consensus_filter`.

    Args:
        keep: whether each solution is kept.
        reasons: the reason of each decision (see the module table).
    """

    keep: list[bool]
    reasons: list[str]

    @property
    def kept_indices(self) -> list[int]:
        return [i for i, k in enumerate(self.keep) if k]

    def select(self, items: Sequence[Any]) -> list[Any]:
        """The kept items of a sequence parallel to the filtered solutions."""
        if len(items) != len(self.keep):
            raise ValueError(f"{len(items)} items for {len(self.keep)} consensus decisions")
        return [x for x, k in zip(items, self.keep) if k]

    def summary(self) -> dict[str, Any]:
        """Counts: total, kept, dropped, kept share, and one count per reason."""
        by_reason = Counter(self.reasons)
        total = len(self.keep)
        kept = sum(self.keep)
        return {
            "total": total,
            "kept": kept,
            "dropped": total - kept,
            "kept_share": kept / total if total else 0.0,
            "reasons": {r: by_reason.get(r, 0) for r in (*KEPT_REASONS, *DROP_REASONS)},
        }


def consensus_filter(
    mc_first_errors: Sequence[int | None],
    judge_first_errors: Sequence[int | None],
    judged: Sequence[bool] | None = None,
) -> ConsensusResult:
    """Keep the solutions whose MC first error equals the judge's (both -1 counts as agreement).

    Args:
        mc_first_errors: per solution, the first negative MC step (-1 = none; ``None`` = no MC
            result), e.g. ``[r.first_error for r in mc_estimate(...)]``.
        judge_first_errors: per solution, the judge's first wrong step (``None`` = unparseable).
        judged: optional, per solution, whether a judgement exists at all (``False`` gives the
            reason ``judge_missing`` instead of ``judge_unparseable``).

    Returns:
        A :class:`ConsensusResult` (``.keep``, ``.reasons``, ``.summary()``, ``.select(items)``).
    """
    if len(mc_first_errors) != len(judge_first_errors):
        raise ValueError(
            f"{len(mc_first_errors)} MC results but {len(judge_first_errors)} judgements: "
            "they must be parallel (one per solution)"
        )
    if judged is not None and len(judged) != len(mc_first_errors):
        raise ValueError(f"judged has {len(judged)} entries for {len(mc_first_errors)} solutions")
    reasons = [
        "judge_missing" if judged is not None and not judged[i] else consensus_reason(m, j)
        for i, (m, j) in enumerate(zip(mc_first_errors, judge_first_errors))
    ]
    return ConsensusResult(keep=[r in KEPT_REASONS for r in reasons], reasons=reasons)
