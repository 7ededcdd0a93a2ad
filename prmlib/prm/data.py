"""The data side of PRM training: validation, the train/eval split and tokenisation.

Input rows are TRL stepwise-supervision rows
``{"prompt": str, "completions": [step, ...], "labels": [bool | float, ...]}``. They are
tokenised as TRL's ``PRMTrainer`` does (``prompt + step_1 + SEP + step_2 + SEP + ...``, the label
of step *i* on its ``SEP`` token); a step that contains the separator is refused, and labels cut
by ``max_length`` are counted rather than lost silently. A label equal to
:data:`prmlib.prm.step_rows.UNSUPERVISED` (-100) keeps the step in the text without a target.

Example::

    from prmlib.prm.data import as_stepwise_dataset, split_by_prompt, tokenize_stepwise
    ds = as_stepwise_dataset(rows, "hard", name="training data")
    train_ds, eval_ds = split_by_prompt(ds, eval_fraction=0.05, seed=0)
    train_tok, stats = tokenize_stepwise(train_ds, tok, "<extra_0>", "hard", max_length=1024)
"""

from __future__ import annotations

import logging
import math
import random
from typing import Any

from prmlib.prm.step_rows import is_unsupervised

logger = logging.getLogger(__name__)


def as_stepwise_dataset(data: Any, label_type: str = "hard", name: str = "dataset"):
    """Validate stepwise rows and return a ``datasets.Dataset`` (extra columns are kept).

    Accepts a ``datasets.Dataset``, a list of row dicts or of :class:`prmlib.solution.Solution`
    (with labels). Raises ``ValueError`` naming the first bad row and field.
    """
    from datasets import Dataset

    from prmlib.solution import Solution

    if isinstance(data, Dataset):
        ds = data
    else:
        rows = [s.to_stepwise() if isinstance(s, Solution) else dict(s) for s in data]
        if not rows:
            raise ValueError(f"{name} is empty")
        ds = Dataset.from_list(rows)
    missing = [k for k in ("prompt", "completions", "labels") if k not in ds.column_names]
    if missing:
        raise ValueError(f"{name} lacks the stepwise field(s) {missing}; columns: {ds.column_names}")
    for i, (prompt, steps, labels) in enumerate(zip(ds["prompt"], ds["completions"], ds["labels"])):
        where = f"{name} row {i}"
        if not isinstance(prompt, str):
            raise TypeError(f"{where}: 'prompt' must be a string")
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise TypeError(f"{where}: 'completions' must be a list of strings")
        if not isinstance(labels, list) or len(labels) != len(steps):
            raise ValueError(f"{where}: 'labels' must be a list as long as 'completions' ({len(steps)})")
        for lab in labels:
            if lab is None or (isinstance(lab, float) and math.isnan(lab)):
                raise ValueError(f"{where}: missing label {lab!r}")
            if is_unsupervised(lab):
                continue  # a step in the text without a target (step_rows.masked_solution_rows)
            if label_type == "hard" and not (isinstance(lab, bool) or float(lab) in (0.0, 1.0)):
                raise ValueError(f"{where}: label {lab!r} is not 0/1; use label_type='soft' or binarise it")
            if label_type == "soft" and not 0.0 <= float(lab) <= 1.0:
                raise ValueError(f"{where}: soft label {lab!r} is outside [0, 1]")
    return ds


def split_by_prompt(ds, eval_fraction: float, seed: int):
    """Hold out ``eval_fraction`` of the distinct prompts (all their rows) for evaluation."""
    prompts = sorted(set(ds["prompt"]))
    rng = random.Random(seed)
    if len(prompts) >= 2:
        rng.shuffle(prompts)
        held = set(prompts[: max(1, round(eval_fraction * len(prompts)))])
        is_eval = [p in held for p in ds["prompt"]]
    else:
        order = list(range(len(ds)))
        rng.shuffle(order)
        held_idx = set(order[: max(1, round(eval_fraction * len(ds)))])
        is_eval = [i in held_idx for i in range(len(ds))]
    train_idx = [i for i, e in enumerate(is_eval) if not e]
    eval_idx = [i for i, e in enumerate(is_eval) if e]
    if not train_idx:
        raise ValueError("eval_fraction leaves no training rows")
    return ds.select(train_idx), ds.select(eval_idx)


def _tokenize_row(row, tokenizer, separator, max_length, max_completion_length, train_on_last_step_only,
                  is_eval, label_type):
    """Tokenise one row with TRL's ``PRMTrainer.tokenize_row`` (hard labels) or
    :func:`prmlib.prm.soft.tokenize_soft_row` (soft), after refusing a step that contains the
    separator; adds ``num_labels_wanted`` and ``num_labels_kept`` (labels left after truncation)."""
    from trl.experimental.prm import PRMTrainer

    from prmlib.prm.soft import tokenize_soft_row

    for j, step in enumerate(row["completions"]):
        if separator in step:
            raise ValueError(f"step {j} of prompt {row['prompt'][:60]!r} contains the separator {separator!r}")
    args = {"tokenizer": tokenizer, "step_separator": separator, "max_length": max_length,
            "max_completion_length": max_completion_length, "train_on_last_step_only": train_on_last_step_only,
            "is_eval": is_eval}
    out = (tokenize_soft_row(row, **args) if label_type == "soft" else PRMTrainer.tokenize_row(row, **args))
    targets = [not is_unsupervised(lab) for lab in row["labels"]]
    wanted = int(targets[-1]) if (train_on_last_step_only and not is_eval) else sum(targets)
    kept = sum(1 for lab in out["labels"] if lab != -100)
    out["num_labels_wanted"] = wanted
    out["num_labels_kept"] = kept
    return out


def tokenize_stepwise(ds, tokenizer, separator: str, label_type: str, max_length: int | None,
                      max_completion_length: int | None = None, train_on_last_step_only: bool = False,
                      is_eval: bool = False, num_proc: int | None = None, desc: str = "Tokenizing"):
    """Tokenise stepwise rows exactly as ``PRMTrainer`` does and count truncated labels.

    Returns:
        ``(dataset with input_ids/labels only, stats)`` where ``stats`` holds ``rows``,
        ``labels`` (wanted), ``labels_kept``, ``labels_lost_to_truncation`` and
        ``rows_without_labels`` (rows whose every label was cut).
    """
    from datasets import Features, Value
    from datasets import Sequence as HFSequence

    label_value = Value("float32") if label_type == "soft" else Value("int64")
    feats = Features({"input_ids": HFSequence(Value("int64")), "labels": HFSequence(label_value),
                      "num_labels_wanted": Value("int64"), "num_labels_kept": Value("int64")})
    out = ds.map(
        _tokenize_row,
        fn_kwargs={"tokenizer": tokenizer, "separator": separator, "max_length": max_length,
                   "max_completion_length": max_completion_length,
                   "train_on_last_step_only": train_on_last_step_only, "is_eval": is_eval,
                   "label_type": label_type},
        remove_columns=ds.column_names, features=feats, num_proc=num_proc, desc=desc,
    )
    wanted = out["num_labels_wanted"]
    kept = out["num_labels_kept"]
    stats = {"rows": len(out), "labels": int(sum(wanted)), "labels_kept": int(sum(kept)),
             "labels_lost_to_truncation": int(sum(wanted) - sum(kept)),
             "rows_without_labels": int(sum(1 for k in kept if k == 0))}
    if stats["labels_lost_to_truncation"]:
        logger.warning("%s: %d of %d step labels fall beyond max_length=%s and are dropped (%d rows lose all)",
                       desc, stats["labels_lost_to_truncation"], stats["labels"], max_length,
                       stats["rows_without_labels"])
    keep = [i for i, k in enumerate(kept) if k > 0]
    out = out.remove_columns(["num_labels_wanted", "num_labels_kept"])
    if len(keep) < len(out):
        out = out.select(keep)
    return out, stats
