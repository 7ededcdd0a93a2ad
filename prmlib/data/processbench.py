"""ProcessBench (Zheng et al., 2024): 3,400 step-by-step solutions with the human-labelled index
of their first wrong step.

Splits ``gsm8k`` (400), ``math`` (1000), ``olympiadbench`` (1000), ``omnimath`` (1000); of these
207 / 594 / 661 / 759 contain an error. Hub: ``Qwen/ProcessBench`` (one split per subset);
local copy: ``processbench/<split>.json`` (a JSON array).

Row: ``id``, ``generator``, ``problem``, ``steps`` (list of str), ``final_answer_correct`` (bool),
``label`` (0-based index of the earliest wrong step, ``-1`` if every step is right); the loader
adds ``split``.
"""

from __future__ import annotations

import os
from typing import Any

from prmlib.data.errors import (
    DataError,
    LoadReport,
    OnError,
    convert_rows,
    require,
    require_str,
    require_str_list,
)
from prmlib.data.sources import load_rows

PROCESSBENCH_HUB_ID = "Qwen/ProcessBench"
PROCESSBENCH_SPLITS = ("gsm8k", "math", "olympiadbench", "omnimath")
#: Published sizes and numbers of erroneous solutions (label != -1), per split.
PROCESSBENCH_SIZES = {"gsm8k": 400, "math": 1000, "olympiadbench": 1000, "omnimath": 1000}
PROCESSBENCH_ERRONEOUS = {"gsm8k": 207, "math": 594, "olympiadbench": 661, "omnimath": 759}


def validate_processbench_row(row: dict[str, Any], split: str) -> dict[str, Any]:
    """Checked copy of one ProcessBench row (plus ``split``); raises :class:`DataError` naming the field."""
    problem = require_str(row, "problem")
    steps = require_str_list(row, "steps")
    label = require(row, "label")
    if isinstance(label, bool) or not isinstance(label, int):
        if isinstance(label, float) and label.is_integer():
            label = int(label)
        else:
            raise DataError("not an integer", field="label", detail=repr(label))
    if not -1 <= label <= len(steps) - 1:
        raise DataError("out of range", field="label", detail=f"{label} not in [-1, {len(steps) - 1}] for {len(steps)} steps")
    correct = require(row, "final_answer_correct")
    if not isinstance(correct, bool):
        raise DataError("not a boolean", field="final_answer_correct", detail=repr(correct))
    return {
        "id": str(require(row, "id")),
        "generator": require_str(row, "generator", non_empty=False),
        "problem": problem,
        "steps": steps,
        "final_answer_correct": correct,
        "label": label,
        "split": split,
    }


def load_processbench(split: str, path: str | os.PathLike | None = None, *, on_error: OnError = "raise",
                      report: LoadReport | None = None, hub_id: str = PROCESSBENCH_HUB_ID):
    """One ProcessBench subset as a ``datasets.Dataset``.

    Args:
        split: ``"gsm8k"``, ``"math"``, ``"olympiadbench"`` or ``"omnimath"``.
        path: a ``<split>.json`` file or a folder holding it (or holding ``processbench/``);
            default ``$PRMLIB_DATA_DIR``, then the Hub.
        on_error: ``"raise"`` (default) stops at the first malformed row with a :class:`DataError`
            naming file, row and field; ``"skip"`` drops such rows and counts them in ``report``.
        report: a :class:`LoadReport` to fill in.
        hub_id: Hub data set used when no local copy is configured.

    Returns:
        ``datasets.Dataset`` with columns id, generator, problem, steps, final_answer_correct, label, split.
    """
    import datasets

    if split not in PROCESSBENCH_SPLITS:
        raise ValueError(f"unknown ProcessBench split {split!r}; choose from {PROCESSBENCH_SPLITS}")
    report = report if report is not None else LoadReport()
    report.dataset = f"processbench/{split}"
    rows, source = load_rows(f"processbench/{split}.json", path, hub_id=hub_id, what=f"ProcessBench {split}",
                             hub_split=split)
    report.source = source
    out = convert_rows(rows, lambda r, i: validate_processbench_row(r, split), file=source,
                       on_error=on_error, report=report)
    report.rows_loaded = len(out)
    report.notes["erroneous"] = sum(r["label"] != -1 for r in out)
    report.notes["right_answer_wrong_process"] = sum(r["label"] != -1 and r["final_answer_correct"] for r in out)
    report.notes["final_answer_correct"] = sum(r["final_answer_correct"] for r in out)
    features = datasets.Features({
        "id": datasets.Value("string"), "generator": datasets.Value("string"), "problem": datasets.Value("string"),
        "steps": datasets.List(datasets.Value("string")), "final_answer_correct": datasets.Value("bool"),
        "label": datasets.Value("int64"), "split": datasets.Value("string"),
    })
    return datasets.Dataset.from_list(out, features=features)


def load_processbench_golds(split: str, path: str | os.PathLike | None = None) -> dict[str, str]:
    """Gold answers of a ProcessBench subset's problems, ``{problem text (stripped): gold}``.

    ProcessBench stores no gold answer; its problems come from GSM8K (test), MATH (test),
    OlympiadBench and Omni-MATH, where they are looked up. Every GSM8K and MATH problem is found;
    14 OlympiadBench and 351 Omni-MATH problems are not in the local sources (the rule-gradable
    Omni-MATH subset lacks them), so callers must expect misses.

    Args:
        split: a ProcessBench subset.
        path: data folder (default ``$PRMLIB_DATA_DIR``, then the Hub).
    """
    from prmlib.data.benchmarks import load_bon_benchmark
    from prmlib.data.problems import load_gsm8k, load_math, load_omni_math

    loaders = {"gsm8k": lambda: load_gsm8k("test", path), "math": lambda: load_math("test", path),
               "olympiadbench": lambda: load_bon_benchmark("olympiadbench", path), "omnimath": lambda: load_omni_math(path)}
    if split not in loaders:
        raise ValueError(f"unknown ProcessBench split {split!r}; choose from {PROCESSBENCH_SPLITS}")
    source = loaders[split]()
    return {str(p).strip(): str(g) for p, g in zip(source["problem"], source["gold"])}
