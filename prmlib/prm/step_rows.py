"""Step rows: one training row per labelled step, for PRMs that only look at nearby text.

A tiny PRM with sliding-window attention (``build_tiny_prm(..., use_sliding_window=True,
sliding_window=W, max_window_layers=0)``) scores a step from the last ``layers * W`` tokens only:
the problem text and older steps never reach its score. Training it on whole solutions spends most
of the compute on tokens that cannot matter, and each solution carries at most one wrong step
among several right ones. :func:`step_rows` rewrites TRL stepwise rows into one row per step: the
step after its ``context_steps`` previous steps, without the problem text, only that step labelled
(train with ``train_on_last_step_only=True``; :func:`prmlib.prm.train.train_prm` does this when its
config has ``step_rows``). Wrong steps are repeated ``negative_repeats`` times and right steps can
be subsampled, so that the rare wrong steps weigh more.

Evaluation and scoring still read whole solutions: with the window the score of each step is the
same function of the text before it, wherever the row starts, as long as the row keeps at least
the tokens the window reaches (``context_steps`` whole steps is a close, cheap approximation).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any


def step_rows(rows: Iterable[Mapping[str, Any]], context_steps: int = 1, negative_repeats: int = 1,
              positives_per_negative: float | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """One TRL stepwise row per labelled step (see the module docstring).

    Args:
        rows: ``{"prompt", "completions", "labels"}`` rows (labels bool, 0/1 or floats).
        context_steps: earlier steps kept before the labelled one (0: the step alone).
        negative_repeats: copies of every row whose step is labelled wrong (label < 0.5).
        positives_per_negative: keep at most this many right-step rows per wrong-step row
            (before repeats), chosen at random; ``None`` keeps them all.
        seed: for the subsampling and the final shuffle.

    Returns:
        Shuffled rows ``{"prompt": "", "completions": [...], "labels": [...]}`` whose last step is
        the one to supervise.
    """
    if context_steps < 0 or negative_repeats < 1:
        raise ValueError("context_steps must be >= 0 and negative_repeats >= 1")
    pos, neg = [], []
    for r in rows:
        steps, labels = list(r["completions"]), list(r["labels"])
        if len(steps) != len(labels):
            raise ValueError(f"a row has {len(steps)} steps but {len(labels)} labels")
        for i, lab in enumerate(labels):
            lo = max(0, i - context_steps)
            row = {"prompt": "", "completions": steps[lo:i + 1], "labels": labels[lo:i + 1]}
            (pos if float(lab) >= 0.5 else neg).append(row)
    rng = random.Random(seed)
    if positives_per_negative is not None and len(pos) > positives_per_negative * len(neg):
        pos = rng.sample(pos, int(positives_per_negative * len(neg)))
    out = neg * negative_repeats + pos
    rng.shuffle(out)
    return out
