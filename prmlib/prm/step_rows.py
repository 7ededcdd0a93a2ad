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

For PRMs with a global view (a full-attention layer), whose rows must keep the problem:
:func:`prefix_rows` (one row per step: problem + every step up to it, only it supervised) and
:func:`solution_rows` (whole solutions, erroneous ones repeated, correct ones optionally
subsampled) and :func:`masked_solution_rows` (whole solutions with right-step labels dropped at
random, :data:`UNSUPERVISED`: the label balance of prefix rows at the cost of whole rows).
docs/synthetic_surface.md, "The lessons' PRM recipe", measures them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

UNSUPERVISED = -100
"""A step label that means "not supervised": the step stays in the row's text, its separator gets
no target (TRL's and the soft loss's ignore index). Accepted by :func:`prmlib.prm.data.as_stepwise_dataset`."""


def is_unsupervised(label: Any) -> bool:
    """True for the :data:`UNSUPERVISED` label (a bool never is: ``True == 1`` but not -100)."""
    return not isinstance(label, bool) and float(label) == UNSUPERVISED


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
    def one_row(r, steps, labels, i):
        lo = max(0, i - context_steps)
        return {"prompt": "", "completions": steps[lo:i + 1], "labels": labels[lo:i + 1]}

    return _per_step(rows, one_row, negative_repeats, positives_per_negative, seed)


def _per_step(rows, one_row, negative_repeats: int, positives_per_negative: float | None, seed: int):
    """One row per labelled step (``one_row(row, steps, labels, i)``), wrong-step rows repeated,
    right-step rows subsampled, shuffled: what :func:`step_rows` and :func:`prefix_rows` share."""
    pos, neg = [], []
    for r in rows:
        steps, labels = list(r["completions"]), list(r["labels"])
        if len(steps) != len(labels):
            raise ValueError(f"a row has {len(steps)} steps but {len(labels)} labels")
        for i, lab in enumerate(labels):
            (pos if float(lab) >= 0.5 else neg).append(one_row(r, steps, labels, i))
    rng = random.Random(seed)
    if positives_per_negative is not None and len(pos) > positives_per_negative * len(neg):
        pos = rng.sample(pos, int(positives_per_negative * len(neg)))
    out = neg * negative_repeats + pos
    rng.shuffle(out)
    return out


def prefix_rows(rows: Iterable[Mapping[str, Any]], negative_repeats: int = 1,
                positives_per_negative: float | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """One TRL stepwise row per labelled step, WITH the problem and every earlier step.

    For PRMs with a global view (at least one full-attention layer), which should read the whole
    problem and solution so far: the row for step ``i`` is ``prompt`` + steps ``0..i``, exactly the
    text in front of step ``i``'s separator when a whole solution is scored, and only step ``i`` is
    to be supervised (train with ``train_on_last_step_only=True``). Unlike :func:`step_rows`
    nothing is cut off, so a row costs more tokens; in exchange the wrong steps can be weighted
    (``negative_repeats``) and the right ones subsampled (``positives_per_negative``) per step, which
    whole-solution rows cannot do.

    Args:
        rows: ``{"prompt", "completions", "labels"}`` rows (labels bool, 0/1 or floats).
        negative_repeats: copies of every row whose step is labelled wrong (label < 0.5).
        positives_per_negative: keep at most this many right-step rows per wrong-step row
            (before repeats), chosen at random; ``None`` keeps them all.
        seed: for the subsampling and the final shuffle.

    Returns:
        Shuffled rows ``{"prompt": <the problem>, "completions": [...], "labels": [...]}`` whose last
        step is the one to supervise.
    """
    if negative_repeats < 1:
        raise ValueError("negative_repeats must be >= 1")
    def one_row(r, steps, labels, i):
        return {"prompt": r["prompt"], "completions": steps[:i + 1], "labels": labels[:i + 1]}

    return _per_step(rows, one_row, negative_repeats, positives_per_negative, seed)


def solution_rows(rows: Iterable[Mapping[str, Any]], error_repeats: int = 1, correct_share: float = 1.0,
                  seed: int = 0) -> list[dict[str, Any]]:
    """Whole-solution rows (problem + every step, all labelled), reweighted towards erroneous ones.

    For PRMs with a global view: each row is the full training text, so every step's label costs
    one pass over the solution (the cheapest way to train on rows that keep the problem). Rows
    with a wrong step (any label < 0.5) are repeated ``error_repeats`` times, and only a random
    ``correct_share`` of the rows without one is kept: a wrong step is about one label in seven in
    the synthetic world's data, and the right steps of erroneous rows (before their first error)
    still teach what a right step looks like. Rows are returned unchanged otherwise (train with
    every step supervised, not ``train_on_last_step_only``).

    Args:
        rows: ``{"prompt", "completions", "labels"}`` rows (labels bool, 0/1 or floats).
        error_repeats: copies of every row that has a wrong step.
        correct_share: share of the rows without a wrong step to keep, in (0, 1].
        seed: for the subsampling and the final shuffle.

    Returns:
        Shuffled rows, same fields as the input.
    """
    if error_repeats < 1 or not 0.0 < correct_share <= 1.0:
        raise ValueError("error_repeats must be >= 1 and correct_share in (0, 1]")
    wrong, right = [], []
    for r in rows:
        if len(r["completions"]) != len(r["labels"]):
            raise ValueError(f"a row has {len(r['completions'])} steps but {len(r['labels'])} labels")
        row = {"prompt": r["prompt"], "completions": list(r["completions"]), "labels": list(r["labels"])}
        (wrong if any(float(x) < 0.5 for x in row["labels"]) else right).append(row)
    rng = random.Random(seed)
    if correct_share < 1.0:
        right = rng.sample(right, round(correct_share * len(right)))
    out = wrong * error_repeats + right
    rng.shuffle(out)
    return out


def masked_solution_rows(rows: Iterable[Mapping[str, Any]], error_repeats: int = 2, keep_right_erroneous: float = 0.35,
                         keep_right_correct: float = 0.7, seed: int = 0) -> list[dict[str, Any]]:
    """Whole-solution rows whose right-step labels are kept only at random (the others become
    :data:`UNSUPERVISED`); every wrong-step label is kept.

    A causal model computes the same score for a step whether the row ends there or goes on, so
    :func:`prefix_rows` (wrong steps ``r`` times, right steps subsampled) has, in expectation, the
    gradient of whole rows whose wrong steps count ``r`` times and whose right steps count with the
    kept share; this builds those whole rows, at the cost of one pass per solution instead of one
    per step. Each copy of an erroneous row draws its own mask. The defaults (2 copies, 0.35 and
    0.7) match ``prefix_rows(negative_repeats=2, positives_per_negative=4)`` on the synthetic
    world's data (one wrong step per 5.7 right ones, a third of the right ones in erroneous rows).
    docs/synthetic_surface.md (session 6) measures it against the plain whole rows.

    Args:
        rows: ``{"prompt", "completions", "labels"}`` rows (labels bool, 0/1 or floats; < 0.5 is wrong).
        error_repeats: copies of every row that has a wrong step.
        keep_right_erroneous: probability of keeping a right-step label in a row with a wrong step.
        keep_right_correct: probability of keeping a right-step label in a row without one.
        seed: for the masks and the final shuffle.

    Returns:
        Shuffled rows, same fields as the input; rows left without any label are dropped.
    """
    if error_repeats < 1 or not (0.0 <= keep_right_erroneous <= 1.0 and 0.0 <= keep_right_correct <= 1.0):
        raise ValueError("error_repeats must be >= 1 and the keep probabilities in [0, 1]")
    rng = random.Random(seed)
    out = []
    for r in rows:
        if len(r["completions"]) != len(r["labels"]):
            raise ValueError(f"a row has {len(r['completions'])} steps but {len(r['labels'])} labels")
        labels = list(r["labels"])
        erroneous = any(float(x) < 0.5 for x in labels)
        keep = keep_right_erroneous if erroneous else keep_right_correct
        for _ in range(error_repeats if erroneous else 1):
            masked = [float(x) if float(x) < 0.5 or rng.random() < keep else float(UNSUPERVISED) for x in labels]
            if any(x != UNSUPERVISED for x in masked):
                out.append({"prompt": r["prompt"], "completions": list(r["completions"]), "labels": masked})
    rng.shuffle(out)
    return out
