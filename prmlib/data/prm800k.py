"""PRM800K (Lightman et al., 2023): human ratings (+1 / 0 / -1) of every step of solutions to
MATH problems.

Two inputs:

* the **flattened** phase-1 parquet files (``prm800k/<split>.stepwise-critic.parquet``; Hub
  ``Birchlabs/openai-prm800k-stepwise-critic``), one row per rated candidate step:
  ``instruction`` (problem), ``responses`` (the steps before it), ``next_response`` (the rated
  step), ``rating`` (1 / 0 / -1, or null), ``is_preferred_response``, ``is_human_response``,
  ``is_solution``, ``answer``. :func:`load_prm800k` regroups them into whole solutions.
* the **raw** nested records (``raw_samples.jsonl``, ``*-example.json``): one labelling episode
  per record; :func:`prmlib.data.prm800k_raw.load_prm800k_raw` reads them.

How the flattening works (checked on ``phase1_test``: 5,449 rows, 101 problems, 106 episodes).
A labelling episode walks one solution step by step. At each step the labeller saw several
candidate steps, rated them, and continued with one of them (the *chosen* completion) or wrote
their own (a *human* step, never rated). The flattened file lists, episode after episode and
step after step, one row per candidate: the rows of one step share the same ``responses``
prefix (the chosen steps so far) and exactly one of them has ``is_preferred_response`` (the
chosen or human step). The next step's rows have the prefix extended by that preferred step.
An episode starts again from an empty prefix. So reading the file in order recovers every
episode: the whole solution is the chain of preferred steps, each with its rating. The final
chosen step of a finished solution has ``is_solution`` and its stated answer in ``answer``; the
flattening removed the ``"\\n\\n# Answer\\n\\n<answer>"`` tail from that step's text (restored here
by default, so the text matches the raw data). An episode whose labeller gave up ends with a step
whose candidates are listed but unrated and unchosen.

Counts on ``phase1_test``: 106 episodes for 101 problems; 5 episodes repeat an earlier episode
of the same problem exactly; 3 episodes have no chosen step at all (their problems have no other
episode), so 103 solutions (98 distinct problems) come out. 3,479 candidate rows are rated but not
chosen (emitted as alternatives unless ``include_alternatives=False``, then counted in
``LoadReport.unused``) and 113 are neither rated nor chosen (counted in ``LoadReport.unused``).

What the ratings say: in phase 1 labellers only ever continued with a step they rated +1 (or
wrote themselves), so every chosen path is all-positive (``phase1_test``: 1,603 chosen steps rated
+1, 254 human-written, none 0 or -1). The -1 and 0 ratings sit on the candidates that were not
chosen; :func:`load_prm800k` therefore also emits, by default, one row per rated alternative
(the chosen steps before it plus the alternative), like TRL's conversion.

Labels: 1 -> correct, -1 -> wrong, 0 (neutral) -> correct when ``neutral_is_positive`` (the
paper's PRM800K baseline) or wrong (TRL's conversion); human-written steps -> correct.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prmlib.data.errors import (
    DataError,
    LoadReport,
    OnError,
    check_on_error,
    require,
    require_str,
    warn_if_skipped,
)
from prmlib.data.sources import load_rows
from prmlib.solution import first_error_from_labels

PRM800K_HUB_ID = "Birchlabs/openai-prm800k-stepwise-critic"
PRM800K_SPLITS = ("phase1_test", "phase1_train", "phase1_train_plus", "phase2_test", "phase2_train")
_ANSWER_TAIL = "\n\n# Answer\n\n"


def step_label(rating: int | None, is_human: bool, neutral_is_positive: bool) -> bool | None:
    """Boolean label of a rated step (None for an unrated model-written step)."""
    if rating is None:
        return True if is_human else None
    if rating == 0:
        return neutral_is_positive
    return rating > 0


def parse_rating(value: Any, field_name: str = "rating") -> int | None:
    """A PRM800K rating (1, 0, -1, or None when unrated); :class:`DataError` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in (-1, 0, 1):
        raise DataError("not one of 1, 0, -1 or null", field=field_name, detail=repr(value))
    return int(value)


# --------------------------------------------------------------------------------------------
# flattened phase-1 files
# --------------------------------------------------------------------------------------------
@dataclass
class _Step:
    rows: list[int] = field(default_factory=list)
    preferred: int | None = None


@dataclass
class _Episode:
    problem: str
    chain: list[str] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)


def _check_flat_row(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise DataError("row is not an object")
    responses = require(row, "responses")
    if not isinstance(responses, (list, tuple)) or not all(isinstance(x, str) for x in responses):
        raise DataError("not a list of strings", field="responses")
    for name in ("is_preferred_response", "is_human_response", "is_solution"):
        if not isinstance(row.get(name), bool):
            raise DataError("not a boolean", field=name, detail=repr(row.get(name)))
    answer = row.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise DataError("not a string or null", field="answer")
    return {"instruction": require_str(row, "instruction"), "responses": list(responses),
            "next_response": require_str(row, "next_response", non_empty=False), "rating": parse_rating(row.get("rating")),
            "preferred": row["is_preferred_response"], "human": row["is_human_response"],
            "solution": row["is_solution"], "answer": answer}


def regroup_episodes(raw_rows: list[Any], *, file: str, on_error: OnError, report: LoadReport
                     ) -> tuple[list[_Episode], list[dict[str, Any] | None]]:
    """Read flattened rows in order and rebuild the labelling episodes (see the module docstring)."""
    rows: list[dict[str, Any] | None] = []
    episodes: list[_Episode] = []
    cur: _Episode | None = None
    for i, raw in enumerate(raw_rows):
        report.rows_read += 1
        try:
            row = _check_flat_row(raw)
            prefix = row["responses"]
            placed = False
            if cur is not None and row["instruction"] == cur.problem:
                step = cur.steps[-1]
                if prefix == cur.chain and not (row["preferred"] and step.preferred is not None):
                    placed = True
                elif prefix == cur.chain and prefix:
                    raise DataError("a second chosen candidate for the same step", field="is_preferred_response")
                elif step.preferred is not None and prefix == cur.chain + [rows[step.preferred]["next_response"]]:
                    cur.chain = prefix
                    cur.steps.append(_Step())
                    placed = True
            if not placed:
                if prefix:
                    raise DataError("earlier steps continue no solution read so far", field="responses",
                                    detail=f"{len(prefix)} earlier steps")
                cur = _Episode(problem=row["instruction"], steps=[_Step()])
                episodes.append(cur)
            assert cur is not None
            cur.steps[-1].rows.append(i)
            if row["preferred"]:
                cur.steps[-1].preferred = i
            rows.append(row)
        except DataError as err:
            err = err.located(file, i)
            if on_error == "raise":
                raise err from None
            report.record_skip(err)
            rows.append(None)
    return episodes, rows


def _with_answer(text: str, answer: str | None, restore: bool) -> str:
    return text + _ANSWER_TAIL + answer if restore and answer is not None else text


def load_prm800k(split: str = "phase1_test", path: str | os.PathLike | None = None, *,
                 neutral_is_positive: bool = True, include_alternatives: bool = True,
                 drop_duplicates: bool = False, restore_answer_line: bool = True,
                 on_error: OnError = "raise", report: LoadReport | None = None, hub_id: str = PRM800K_HUB_ID):
    """PRM800K flattened rows regrouped into whole human-rated solutions (``datasets.Dataset``).

    Args:
        split: file stem, e.g. ``"phase1_test"`` or ``"phase1_train_plus"`` (local
            ``prm800k/<split>.stepwise-critic.parquet``; Hub ``data/<split>.stepwise-critic.parquet``).
        path: the parquet file or a folder holding it; default ``$PRMLIB_DATA_DIR``, then the Hub.
        neutral_is_positive: label of a neutral (0) step: True as in the paper's PRM800K baseline,
            False as in TRL's conversion.
        include_alternatives: also emit every rated candidate that was not chosen, as a solution
            made of the chosen steps before it plus that candidate (``is_alternative=True``), as
            TRL's conversion does. On by default: in phase 1 every chosen step is rated +1 or
            written by the labeller, so the chosen paths alone hold no negative label at all; the
            wrong and neutral steps are all among the alternatives.
        drop_duplicates: drop an episode identical to an earlier one of the same problem.
        restore_answer_line: put back the ``"\\n\\n# Answer\\n\\n<answer>"`` tail the flattening
            removed from final steps.
        on_error: ``"raise"`` or ``"skip"`` malformed rows (see :mod:`prmlib.data.errors`).
        report: a :class:`LoadReport` to fill; ``notes`` gets problems, episodes and the unused counts.

    Returns:
        Columns problem, steps, ratings (1/0/-1, None for human steps), is_human, labels (bool),
        first_error (-1 if none), answer (the answer the solution states, None if unfinished),
        finished, is_alternative, problem_index, episode, split.
    """
    import datasets

    check_on_error(on_error)
    report = report if report is not None else LoadReport()
    report.dataset = f"prm800k/{split}"
    raw_rows, source = load_rows(f"prm800k/{split}.stepwise-critic.parquet", path, hub_id=hub_id,
                                 what=f"PRM800K {split}", hub_data_files={"train": f"data/{split}.stepwise-critic.parquet"})
    report.source = source
    episodes, rows = regroup_episodes(raw_rows, file=source, on_error=on_error, report=report)

    problem_index: dict[str, int] = {}
    seen: set[tuple] = set()
    out: list[dict[str, Any]] = []
    notes = {"flat_rows": len(raw_rows), "problems": 0, "episodes": len(episodes), "episodes_without_chosen_step": 0,
             "duplicate_episodes": 0, "solutions": 0, "finished_solutions": 0, "alternatives": 0}
    for e_idx, ep in enumerate(episodes):
        pidx = problem_index.setdefault(ep.problem, len(problem_index))
        steps: list[str] = []
        ratings: list[int | None] = []
        human: list[bool] = []
        labels: list[bool] = []
        answer = None
        alternatives: list[tuple[int, int]] = []  # (step position, row)
        for k, step in enumerate(ep.steps):
            for j in step.rows:
                if j == step.preferred:
                    continue
                if rows[j]["rating"] is None:
                    report.unused["candidate neither rated nor chosen"] += 1
                elif include_alternatives:
                    alternatives.append((k, j))
                else:
                    report.unused["rated candidate not chosen (alternative)"] += 1
            if step.preferred is None:
                break
            row = rows[step.preferred]
            label = step_label(row["rating"], row["human"], neutral_is_positive)
            if label is None:
                report.unused["chosen step without rating (solution cut before it)"] += 1
                break
            steps.append(_with_answer(row["next_response"], row["answer"] if row["solution"] else None,
                                      restore_answer_line))
            ratings.append(row["rating"])
            human.append(row["human"])
            labels.append(label)
            if row["solution"]:
                answer = row["answer"]
        if not steps:
            notes["episodes_without_chosen_step"] += 1
            continue
        signature = (ep.problem, tuple(steps), tuple(ratings))
        if signature in seen:
            notes["duplicate_episodes"] += 1
            if drop_duplicates:
                report.unused["rows of a duplicate episode"] += sum(len(s.rows) for s in ep.steps)
                continue
        seen.add(signature)
        base = {"problem": ep.problem, "problem_index": pidx, "episode": e_idx, "split": split}
        out.append({**base, "steps": steps, "ratings": ratings, "is_human": human, "labels": labels,
                    "first_error": first_error_from_labels(labels), "answer": answer, "finished": answer is not None,
                    "is_alternative": False})
        for k, j in alternatives:
            alt = rows[j]
            alt_label = step_label(alt["rating"], alt["human"], neutral_is_positive)
            alt_labels = labels[:k] + [bool(alt_label)]
            alt_answer = alt["answer"]
            out.append({**base, "steps": steps[:k] + [_with_answer(alt["next_response"], alt_answer, restore_answer_line)],
                        "ratings": ratings[:k] + [alt["rating"]], "is_human": human[:k] + [alt["human"]],
                        "labels": alt_labels, "first_error": first_error_from_labels(alt_labels), "answer": alt_answer,
                        "finished": alt_answer is not None, "is_alternative": True})
            notes["alternatives"] += 1
    notes["problems"] = len(problem_index)
    notes["solutions"] = sum(not r["is_alternative"] for r in out)
    notes["finished_solutions"] = sum(r["finished"] and not r["is_alternative"] for r in out)
    notes["problems_with_solutions"] = len({r["problem"] for r in out})
    report.notes.update(notes)
    report.rows_loaded = len(out)
    warn_if_skipped(report)
    return datasets.Dataset.from_list(out, features=_features(with_split=True))


def _features(with_split: bool):
    import datasets

    feats = {
        "problem": datasets.Value("string"), "steps": datasets.List(datasets.Value("string")),
        "ratings": datasets.List(datasets.Value("int64")), "is_human": datasets.List(datasets.Value("bool")),
        "labels": datasets.List(datasets.Value("bool")), "first_error": datasets.Value("int64"),
        "answer": datasets.Value("string"), "finished": datasets.Value("bool"),
        "is_alternative": datasets.Value("bool"), "problem_index": datasets.Value("int64"),
        "episode": datasets.Value("int64"),
    }
    if with_split:
        feats["split"] = datasets.Value("string")
    return datasets.Features(feats)
