"""Raw PRM800K records (the original nested schema of github.com/openai/prm800k).

One record is one labelling episode: ``question`` (``problem``, ``ground_truth_answer``, and in
phase 2 ``pre_generated_steps`` / ``pre_generated_answer``) and ``label`` (``steps``, each with its
rated ``completions``, ``chosen_completion`` and ``human_completion``; ``finish_reason``). The
local sample has ``raw_samples.jsonl`` (one record per line) and ``*-example.json`` files that hold
several pretty-printed records back to back. :func:`load_prm800k_raw` follows each record along
its chosen steps; :func:`prmlib.data.prm800k.load_prm800k` reads the flattened files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prmlib.data.errors import (
    DataError,
    DataUnavailableError,
    LoadReport,
    OnError,
    check_on_error,
    require,
    require_str,
    warn_if_skipped,
)
from prmlib.data.prm800k import parse_rating, step_label
from prmlib.data.sources import ENV_VAR, data_dir, read_rows, rows_to_dataset
from prmlib.solution import first_error_from_labels


# --------------------------------------------------------------------------------------------
def _raw_files(path: str | os.PathLike | None) -> list[Path]:
    if path is None:
        root = data_dir()
        if root is None:
            raise DataUnavailableError(
                f"raw PRM800K records are not on the Hugging Face Hub (they live in github.com/openai/prm800k); "
                f"set {ENV_VAR} to a folder holding prm800k/raw_samples.jsonl, or pass path=")
        path = root / "prm800k"
    p = Path(path).expanduser()
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix in (".jsonl", ".json") and f.is_file())
        if not files:
            raise FileNotFoundError(f"{p} holds no .jsonl or .json file")
        return files
    raise FileNotFoundError(f"no such file or folder: {p}")


def raw_record_to_solution(record: dict[str, Any], neutral_is_positive: bool = True) -> tuple[dict[str, Any], int]:
    """One raw PRM800K record as a solution row, and the number of rated candidates left aside.

    The solution follows, step by step, the chosen completion, else the human completion. A step
    with neither ends the solution; in phase 2 (records with ``pre_generated_steps``) the first
    completion of that step is the pre-generated step the labeller rated (typically -1,
    ``finish_reason == "found_error"``) and is kept as the last step.
    """
    question = require(record, "question")
    if not isinstance(question, dict):
        raise DataError("not an object", field="question")
    problem = require_str(question, "problem")
    label = require(record, "label")
    if not isinstance(label, dict) or not isinstance(label.get("steps"), list):
        raise DataError("missing or not a list", field="label.steps")
    phase2 = "pre_generated_steps" in question
    steps, ratings, human, labels = [], [], [], []
    left_aside = 0
    for k, step in enumerate(label["steps"]):
        if not isinstance(step, dict):
            raise DataError("not an object", field=f"label.steps[{k}]")
        completions = step.get("completions") or []
        chosen = step.get("chosen_completion")
        human_completion = step.get("human_completion")
        picked: tuple[str, int | None, bool] | None = None
        picked_idx: int | None = None
        if chosen is not None:
            if not isinstance(chosen, int) or not 0 <= chosen < len(completions):
                raise DataError("index out of range", field=f"label.steps[{k}].chosen_completion", detail=repr(chosen))
            picked_idx = chosen
        elif human_completion is not None:
            picked = (human_completion.get("text"), parse_rating(human_completion.get("rating")), True)
        elif phase2 and completions:
            picked_idx = 0
        if picked_idx is not None:
            c = completions[picked_idx]
            picked = (c.get("text"), parse_rating(c.get("rating"), f"label.steps[{k}].completions[{picked_idx}].rating"), False)
        left_aside += sum(1 for n, c in enumerate(completions) if n != picked_idx and c.get("rating") is not None)
        if picked is None:
            break
        text, rating, is_human = picked
        if not isinstance(text, str):
            raise DataError("not a string", field=f"label.steps[{k}].text")
        lab = step_label(rating, is_human, neutral_is_positive)
        if lab is None:
            break
        steps.append(text)
        ratings.append(rating)
        human.append(is_human)
        labels.append(lab)
        if chosen is None and human_completion is None:
            break
    return {
        "problem": problem, "gold": question.get("ground_truth_answer"), "steps": steps, "ratings": ratings,
        "is_human": human, "labels": labels, "first_error": first_error_from_labels(labels),
        "finish_reason": label.get("finish_reason"), "phase": 2 if phase2 else 1,
        "pre_generated_answer": question.get("pre_generated_answer"), "labeler": record.get("labeler"),
        "timestamp": record.get("timestamp"), "generation": record.get("generation"),
        "is_quality_control_question": bool(record.get("is_quality_control_question")),
        "is_initial_screening_question": bool(record.get("is_initial_screening_question")),
    }, left_aside


def load_prm800k_raw(path: str | os.PathLike | None = None, *, neutral_is_positive: bool = True,
                     on_error: OnError = "raise", report: LoadReport | None = None):
    """Raw PRM800K records (the original nested schema) as whole solutions (``datasets.Dataset``).

    Args:
        path: a ``.jsonl`` file (one record per line), a ``.json`` file (records pretty-printed back
            to back, or an array), or a folder whose ``.jsonl``/``.json`` files are all read; default
            ``$PRMLIB_DATA_DIR/prm800k``.
        neutral_is_positive: label of neutral (0) steps, as in :func:`load_prm800k`.
        on_error: ``"raise"`` or ``"skip"`` malformed records.
        report: a :class:`LoadReport` to fill; ``unused`` counts rated candidates not on the solution path.

    Returns:
        Columns problem, gold, steps, ratings, is_human, labels, first_error, finish_reason, phase,
        pre_generated_answer, labeler, timestamp, generation, is_quality_control_question,
        is_initial_screening_question, source_file, source_row.
    """

    check_on_error(on_error)
    report = report if report is not None else LoadReport()
    report.dataset = "prm800k/raw"
    files = _raw_files(path)
    report.source = ", ".join(str(f) for f in files)
    out = []
    for file in files:
        for i, record in enumerate(read_rows(file)):
            report.rows_read += 1
            try:
                if not isinstance(record, dict):
                    raise DataError("record is not a JSON object")
                row, left_aside = raw_record_to_solution(record, neutral_is_positive)
            except DataError as err:
                err = err.located(str(file), i)
                if on_error == "raise":
                    raise err from None
                report.record_skip(err)
                continue
            report.unused["rated candidate not chosen (alternative)"] += left_aside
            if not row["steps"]:
                report.unused["record without a chosen step"] += 1
                continue
            row.update(source_file=file.name, source_row=i)
            out.append(row)
    report.rows_loaded = len(out)
    warn_if_skipped(report)
    for r in out:  # a consistent type for Arrow
        r["generation"] = None if r["generation"] is None else int(r["generation"])
        r["gold"] = None if r["gold"] is None else str(r["gold"])
        r["pre_generated_answer"] = None if r["pre_generated_answer"] is None else str(r["pre_generated_answer"])
    return rows_to_dataset(out)
