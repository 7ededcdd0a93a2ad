"""One type for a step-by-step solution, and step splitting.

A solution is a problem plus an ordered list of steps. Optional per-step labels say whether
each step is correct (``True``/``1.0``) or not (``False``/``0.0``); soft labels are floats in
[0, 1] (e.g. the share of Monte Carlo completions that reached the gold answer).

Conversions, both ways:

* TRL's stepwise-supervision rows: ``{"prompt": str, "completions": [str], "labels": [bool]}``
  (the format of ``trl.experimental.prm.PRMTrainer``).
* ProcessBench rows: ``{"id", "problem", "steps": [str], "label": int}`` where ``label`` is the
  0-based index of the first wrong step, or -1 when every step is correct.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

STEP_SEPARATOR = "\n\n"


def split_steps(text: str, separator: str = STEP_SEPARATOR) -> list[str]:
    """Split a solution into steps on ``separator`` (blank lines by default).

    Empty or whitespace-only pieces are dropped; every other piece is kept exactly as written
    (no stripping), so ``join_steps(split_steps(t)) == t`` whenever ``t`` has no empty steps.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_steps expects a str, got {type(text).__name__}")
    if not separator:
        raise ValueError("separator must be a non-empty string")
    return [piece for piece in text.split(separator) if piece.strip()]


def join_steps(steps: Sequence[str], separator: str = STEP_SEPARATOR) -> str:
    """Inverse of :func:`split_steps`."""
    return separator.join(steps)


def labels_from_first_error(num_steps: int, first_error: int) -> list[bool]:
    """Step labels implied by a first-error index (-1 = all correct).

    Steps before the first error are correct; the first wrong step and every step after it are
    labelled ``False`` (a process that has gone wrong stays wrong).
    """
    if not -1 <= first_error < num_steps:
        raise ValueError(f"first_error {first_error} out of range for {num_steps} steps")
    if first_error == -1:
        return [True] * num_steps
    return [True] * first_error + [False] * (num_steps - first_error)


def first_error_from_labels(labels: Sequence[bool | float], threshold: float = 0.5) -> int:
    """Index of the first label that is not correct (soft labels: below ``threshold``), or -1."""
    for i, lab in enumerate(labels):
        value = float(lab)
        if math.isnan(value) or value < threshold:
            return i
    return -1


@dataclass
class Solution:
    """A step-by-step solution with optional step labels.

    Args:
        problem: the problem statement.
        steps: the solution's steps, in order, text kept exactly.
        labels: optional per-step labels (bool for hard labels, float in [0, 1] for soft ones).
            May be shorter than ``steps`` when steps after the first error were dropped.
        gold: optional gold final answer.
        meta: free-form metadata (source, id, difficulty, Monte Carlo counts, ...).
    """

    problem: str
    steps: list[str]
    labels: list[bool | float] | None = None
    gold: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.problem, str):
            raise TypeError("problem must be a str")
        if not isinstance(self.steps, (list, tuple)) or not all(isinstance(s, str) for s in self.steps):
            raise TypeError("steps must be a list of str")
        self.steps = list(self.steps)
        if self.labels is not None:
            self.labels = list(self.labels)
            if len(self.labels) > len(self.steps):
                raise ValueError(f"{len(self.labels)} labels for {len(self.steps)} steps")
            for lab in self.labels:
                if not isinstance(lab, bool) and not (0.0 <= float(lab) <= 1.0):
                    raise ValueError(f"label {lab!r} is outside [0, 1]")

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_text(cls, problem: str, text: str, separator: str = STEP_SEPARATOR, **kwargs: Any) -> Solution:
        return cls(problem=problem, steps=split_steps(text, separator), **kwargs)

    @property
    def text(self) -> str:
        return join_steps(self.steps)

    @property
    def first_error(self) -> int | None:
        """First wrong step by the labels (-1 if all labelled steps are correct; None without labels)."""
        if self.labels is None:
            return None
        return first_error_from_labels(self.labels)

    # -- TRL stepwise supervision --------------------------------------------------------
    def to_stepwise(self, truncate_after_first_error: bool = True) -> dict[str, Any]:
        """TRL stepwise-supervision row. Steps after the first wrong step are dropped by default
        (as in Math-Shepherd-style MC data and the paper); steps without labels are dropped."""
        if self.labels is None:
            raise ValueError("to_stepwise needs labels")
        n = len(self.labels)
        if truncate_after_first_error:
            fe = self.first_error
            if fe is not None and fe >= 0:
                n = fe + 1
        return {"prompt": self.problem, "completions": self.steps[:n], "labels": self.labels[:n]}

    @classmethod
    def from_stepwise(cls, row: dict[str, Any], **kwargs: Any) -> Solution:
        for key in ("prompt", "completions", "labels"):
            if key not in row:
                raise KeyError(f"stepwise row has no field {key!r}")
        if len(row["labels"]) != len(row["completions"]):
            raise ValueError("stepwise row: completions and labels differ in length")
        return cls(problem=row["prompt"], steps=list(row["completions"]), labels=list(row["labels"]), **kwargs)

    # -- ProcessBench ---------------------------------------------------------------------
    def to_processbench(self, id: str | None = None) -> dict[str, Any]:
        fe = self.first_error
        if fe is None:
            raise ValueError("to_processbench needs labels")
        return {"id": id if id is not None else self.meta.get("id"), "problem": self.problem,
                "steps": list(self.steps), "label": fe}

    @classmethod
    def from_processbench(cls, row: dict[str, Any], **kwargs: Any) -> Solution:
        for key in ("problem", "steps", "label"):
            if key not in row:
                raise KeyError(f"ProcessBench row has no field {key!r}")
        steps = list(row["steps"])
        labels = labels_from_first_error(len(steps), int(row["label"]))
        meta = {k: v for k, v in row.items() if k not in ("problem", "steps", "label")}
        meta.update(kwargs.pop("meta", {}))
        return cls(problem=row["problem"], steps=steps, labels=labels, meta=meta, **kwargs)
