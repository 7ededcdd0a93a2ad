"""Math-Shepherd (Wang et al., 2024): solutions with Monte Carlo step labels.

Hub ``peiyi9979/Math-Shepherd``; local copy ``math_shepherd/samples.jsonl``. Each row has
``input`` = problem + " Step 1: ... ки\\nStep 2: ... ки" (every step ends with the tag ``ки``),
``label`` = the same text with each tag replaced by ``+`` (the step can still reach the gold
answer) or ``-``, and ``task`` (GSM8K or MATH). The loader returns problem, steps, labels.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from prmlib.answer_extraction import extract_answer
from prmlib.data.errors import DataError, LoadReport, OnError, convert_rows, require_str
from prmlib.data.sources import load_rows, rows_to_dataset

MATH_SHEPHERD_HUB_ID = "peiyi9979/Math-Shepherd"
STEP_TAG = "ки"
_STEP_NUMBER_RE = re.compile(r"^\s*Step\s*\d+\s*:\s*")
_FIRST_STEP_RE = re.compile(r"\s*Step\s*1\s*:")


def parse_math_shepherd_row(row: dict[str, Any], keep_step_numbers: bool = False) -> dict[str, Any]:
    """problem, steps and labels of one Math-Shepherd row; :class:`DataError` names the bad field."""
    text = require_str(row, "input")
    labelled = require_str(row, "label")
    pieces = text.split(STEP_TAG)
    if len(pieces) < 2:
        raise DataError(f"no step tag {STEP_TAG!r}", field="input")
    if pieces[-1].strip():
        raise DataError("text after the last step tag", field="input", detail=repr(pieces[-1][:40]))
    pieces = pieces[:-1]
    # the label text is the input text with each 2-character tag replaced by one "+" or "-"
    labels: list[bool] = []
    pos = 0
    for k, piece in enumerate(pieces):
        if labelled[pos : pos + len(piece)] != piece:
            raise DataError("does not match 'input' with tags replaced by +/-", field="label", detail=f"step {k}")
        pos += len(piece)
        mark = labelled[pos : pos + 1]
        if mark not in ("+", "-"):
            raise DataError("step mark is not '+' or '-'", field="label", detail=f"step {k}: {mark!r}")
        labels.append(mark == "+")
        pos += 1
    if labelled[pos:].strip():
        raise DataError("text after the last step mark", field="label")
    first = _FIRST_STEP_RE.search(pieces[0])
    if first is None:
        raise DataError("no 'Step 1:' after the problem", field="input")
    problem = pieces[0][: first.start()].strip()
    if not problem:
        raise DataError("empty problem", field="input")
    raw_steps = [pieces[0][first.start():]] + pieces[1:]
    steps = [s.strip() if keep_step_numbers else _STEP_NUMBER_RE.sub("", s).strip() for s in raw_steps]
    first_error = next((i for i, lab in enumerate(labels) if not lab), -1)
    return {"problem": problem, "steps": steps, "labels": labels, "first_error": first_error,
            "answer": extract_answer(steps[-1]), "task": str(row.get("task") or "")}


def load_math_shepherd(path_or_hub: str | os.PathLike | None = None, *, keep_step_numbers: bool = False,
                       on_error: OnError = "raise", report: LoadReport | None = None):
    """Math-Shepherd rows as problem / steps / labels (``datasets.Dataset``).

    Args:
        path_or_hub: a local ``.jsonl`` file or folder, or a Hub id; default ``$PRMLIB_DATA_DIR``
            (``math_shepherd/samples.jsonl``), then ``peiyi9979/Math-Shepherd``.
        keep_step_numbers: keep the ``"Step k: "`` prefixes in the step text.
        on_error: ``"raise"`` or ``"skip"`` malformed rows.
        report: a :class:`LoadReport` to fill.

    Returns:
        Columns problem, steps, labels (True = "+"), first_error, answer (extracted from the last
        step, e.g. "The answer is: 18"), task.
    """

    report = report if report is not None else LoadReport()
    report.dataset = "math_shepherd"
    hub_id = MATH_SHEPHERD_HUB_ID
    path = path_or_hub
    if isinstance(path_or_hub, str) and not Path(path_or_hub).expanduser().exists() and "/" in path_or_hub \
            and not path_or_hub.startswith((".", "/", "~")):
        hub_id, path = path_or_hub, None
        from prmlib.data.sources import hub_rows

        rows, source = hub_rows(hub_id, what="Math-Shepherd"), f"hub:{hub_id}[train]"
    else:
        rows, source = load_rows("math_shepherd/samples.jsonl", path, hub_id=hub_id, what="Math-Shepherd")
    report.source = source
    out = convert_rows(rows, lambda r, i: parse_math_shepherd_row(r, keep_step_numbers), file=source,
                       on_error=on_error, report=report)
    report.rows_loaded = len(out)
    return rows_to_dataset(out)
