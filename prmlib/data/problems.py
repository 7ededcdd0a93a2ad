"""Problem sources with gold answers, for synthesis and sampling: GSM8K and MATH.

``load_gsm8k(split)`` reads ``gsm8k/<split>.jsonl`` (7,473 train / 1,319 test; Hub
``openai/gsm8k``, config ``main``); ``load_math(split)`` reads ``math/<split>.jsonl`` (5,000 test
problems; Hub ``EleutherAI/hendrycks_math``, its seven subject configs concatenated).
"""

from __future__ import annotations

import os
from typing import Any

from prmlib.data.benchmarks import MATH_HUB_CONFIGS, MATH_HUB_ID, boxed_gold, gsm8k_gold
from prmlib.data.errors import LoadReport, OnError, convert_rows, require_str
from prmlib.data.sources import hub_rows, local_file, read_rows, rows_to_dataset

GSM8K_HUB_ID = "openai/gsm8k"


def _gsm8k_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    solution = require_str(row, "answer")
    return {"problem": require_str(row, "question"), "solution": solution, "gold": gsm8k_gold(solution),
            "source": "gsm8k", "row": index, "extraction": "flexible"}


def _math_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    solution = require_str(row, "solution")
    return {"problem": require_str(row, "problem"), "solution": solution, "gold": boxed_gold(solution),
            "level": str(row.get("level") or ""), "type": str(row.get("type") or ""), "source": "math", "row": index,
            "extraction": "auto"}


def load_gsm8k(split: str = "train", path: str | os.PathLike | None = None, *, on_error: OnError = "raise",
               report: LoadReport | None = None):
    """GSM8K problems with gold answers (``datasets.Dataset``: problem, solution, gold, source, row,
    extraction = ``"flexible"``, the policy that reads a model's answer to them).

    Args:
        split: ``"train"`` or ``"test"``.
        path: the ``<split>.jsonl`` file or a folder holding it; default ``$PRMLIB_DATA_DIR``, then the Hub.
        on_error: ``"raise"`` or ``"skip"`` malformed rows.
        report: a :class:`LoadReport` to fill.
    """

    if split not in ("train", "test"):
        raise ValueError(f"GSM8K split must be 'train' or 'test', got {split!r}")
    report = report if report is not None else LoadReport()
    report.dataset = f"gsm8k/{split}"
    file = local_file(f"gsm8k/{split}.jsonl", path)
    if file is not None:
        rows, source = read_rows(file), str(file)
    else:
        rows, source = hub_rows(GSM8K_HUB_ID, what=f"GSM8K {split}", split=split, name="main"), f"hub:{GSM8K_HUB_ID}"
    report.source = source
    out = convert_rows(rows, _gsm8k_row, file=source, on_error=on_error, report=report)
    report.rows_loaded = len(out)
    return rows_to_dataset(out)


def load_math(split: str = "test", path: str | os.PathLike | None = None, *, on_error: OnError = "raise",
              report: LoadReport | None = None):
    """MATH problems with gold answers from the last ``\\boxed{}`` of each solution
    (``datasets.Dataset``: problem, solution, gold, level, type, source, row, extraction = ``"auto"``)."""

    report = report if report is not None else LoadReport()
    report.dataset = f"math/{split}"
    file = local_file(f"math/{split}.jsonl", path)
    if file is not None:
        rows, source = read_rows(file), str(file)
    else:
        rows = []
        for name in MATH_HUB_CONFIGS:
            rows.extend(hub_rows(MATH_HUB_ID, what=f"MATH {split}", split=split, name=name))
        source = f"hub:{MATH_HUB_ID}[{split}]"
    report.source = source
    out = convert_rows(rows, _math_row, file=source, on_error=on_error, report=report)
    report.rows_loaded = len(out)
    return rows_to_dataset(out)


OMNI_MATH_RULE_HUB_ID = "KbsdJames/omni-math-rule"


def _omni_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    from prmlib.answer_extraction import clean_answer
    from prmlib.data.errors import DataError

    gold = clean_answer(require_str(row, "answer"))
    if not gold:
        raise DataError("empty after removing '$'", field="answer")
    return {"problem": require_str(row, "problem"), "solution": str(row.get("solution") or ""), "gold": gold,
            "difficulty": row.get("difficulty"), "domain": list(row.get("domain") or []),
            "source": str(row.get("source") or ""), "row": index, "extraction": "auto"}


def load_omni_math(path: str | os.PathLike | None = None, *, on_error: OnError = "raise",
                   report: LoadReport | None = None):
    """Omni-MATH, rule-gradable subset (2,821 problems; ``omni_math_rule/test.jsonl``, Hub
    ``KbsdJames/omni-math-rule``): problem, solution, gold, difficulty, domain, source, row,
    extraction = ``"auto"``."""
    report = report if report is not None else LoadReport()
    report.dataset = "omni_math_rule"
    file = local_file("omni_math_rule/test.jsonl", path)
    if file is not None:
        rows, source = read_rows(file), str(file)
    else:
        rows = hub_rows(OMNI_MATH_RULE_HUB_ID, what="Omni-MATH (rule subset)", split="test")
        source = f"hub:{OMNI_MATH_RULE_HUB_ID}[test]"
    report.source = source
    out = convert_rows(rows, _omni_row, file=source, on_error=on_error, report=report)
    report.rows_loaded = len(out)
    return rows_to_dataset(out)
