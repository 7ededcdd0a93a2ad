"""The papers' numbers as DataFrames, and our results printed beside them.

The tables live in ``prmlib/resources/reference_tables.json`` (facts transcribed from the Lessons
paper, arXiv 2501.07301, and ProcessBench, arXiv 2412.06559; see that folder's README for the
citation). :func:`reference_table` returns one as a DataFrame: numeric cells become floats
("5.1 %" -> 5.1), blank cells of the first column repeat the value above (Table 13 writes the
PRM's name once per three rows), and ProcessBench's repeated ``cor`` / ``F1`` headers get their
subset prefix (``GSM8K err``, ``GSM8K cor``, ``GSM8K F1``, ``MATH err``, ...), the same names
:func:`prmlib.eval.processbench.results_table` uses.

:func:`compare_with_paper` lines up one paper row with one of our rows, matching columns by
meaning (``Minerva`` = ``Minerva Math``, ``Olym.`` = ``Olympiad`` = ``OlympiadBench``, ``Average``
= ``Avg.``, ...).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

_METRICS = ("err", "cor", "f1")
_ALIASES = {
    "gsm8k": ("gsm8k",), "math": ("math",), "minerva_math": ("minerva math", "minerva"),
    "gaokao2023en": ("gaokao 2023 en", "gaokao23en", "gaokao2023en"),
    "olympiadbench": ("olympiadbench", "olympiad", "olym."), "college_math": ("college math", "college"),
    "mmlu_stem": ("mmlu stem",), "omnimath": ("omni-math", "omni", "omnimath"),
    "avg": ("avg.", "avg", "average"),
}
_ALIAS_TO_KEY = {a: k for k, names in _ALIASES.items() for a in names}


@lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    text = resources.files("prmlib").joinpath("resources/reference_tables.json").read_text(encoding="utf-8")
    return json.loads(text)


def reference_keys() -> dict[str, str]:
    """Table key -> title, for every table in the resource file."""
    return {k: v["title"] for k, v in _tables().items() if isinstance(v, dict) and "rows" in v}


def reference_notes() -> dict[str, str]:
    """Sources, citation, corrections and caveats that come with the tables."""
    return dict(_tables()["_notes"])


def _column_names(columns: list[str]) -> list[str]:
    names, prefix = [], None
    for col in columns:
        m = re.match(r"^(.*\S)\s+err$", col)
        if m:
            prefix = m.group(1)
            names.append(col)
        elif col in ("cor", "F1") and prefix:
            names.append(f"{prefix} {col}")
        else:
            names.append(col)
    return names


def _number(cell: Any) -> Any:
    if not isinstance(cell, str):
        return cell
    text = cell.strip().rstrip("%").strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        return cell


def reference_table(key: str) -> pd.DataFrame:
    """One of the papers' tables as a DataFrame (see the module docstring for the normalisation).

    Raises:
        KeyError: for an unknown key (lists the known ones).
    """
    tables = _tables()
    if key not in tables or key.startswith("_"):
        raise KeyError(f"no reference table {key!r}; known: {', '.join(reference_keys())}")
    spec = tables[key]
    df = pd.DataFrame(spec["rows"], columns=_column_names(spec["columns"]))
    first = df.columns[0]
    if df[first].map(lambda v: isinstance(v, str) and v.strip() == "").any():
        df[first] = df[first].replace("", np.nan).ffill().fillna("")
    for col in df.columns:
        parsed = df[col].map(_number)
        numeric = parsed.map(lambda v: isinstance(v, float))
        blank = df[col].map(lambda v: isinstance(v, str) and v.strip() == "")
        if (numeric | blank).all() and numeric.any():
            df[col] = parsed.where(numeric, np.nan).astype(float)
    df.attrs["title"] = spec["title"]
    return df


def canonical_column(name: str) -> str:
    """A key that equal-meaning column names share: ``"Olym. cor"`` -> ``"olympiadbench|cor"``."""
    text = str(name).strip().lower()
    metric = ""
    parts = text.rsplit(" ", 1)
    if len(parts) == 2 and parts[1] in _METRICS:
        text, metric = parts
    return f"{_ALIAS_TO_KEY.get(text, text)}|{metric}"


def _select_paper_row(df: pd.DataFrame, row: int | str | Mapping[str, Any]) -> pd.Series:
    if isinstance(row, (int, np.integer)):
        return df.iloc[int(row)]
    text_cols = [c for c in df.columns if not pd.api.types.is_float_dtype(df[c])]
    if isinstance(row, Mapping):
        mask = np.ones(len(df), dtype=bool)
        for col, value in row.items():
            mask &= (df[col] == value).to_numpy()
    else:
        mask = np.zeros(len(df), dtype=bool)
        for col in text_cols:
            mask |= (df[col] == row).to_numpy()
        if not mask.any():
            for col in text_cols:
                mask |= df[col].astype(str).str.lower().str.startswith(str(row).lower()).to_numpy()
    hits = np.nonzero(mask)[0]
    if len(hits) != 1:
        labels = [" / ".join(str(r[c]) for c in text_cols) for _, r in df.iterrows()]
        what = "matches no row" if not len(hits) else f"matches {len(hits)} rows (pass a dict or an int)"
        raise KeyError(f"{row!r} {what}; rows: {labels}")
    return df.iloc[hits[0]]


def compare_with_paper(
    ours: pd.DataFrame | pd.Series | Mapping[str, float],
    table_key: str,
    row: int | str | Mapping[str, Any],
    ours_row: Any = None,
) -> pd.DataFrame:
    """Paper vs ours, side by side, for every column the two have in common.

    Args:
        ours: our results: a DataFrame (one row per setting, columns named like the paper's),
            a Series or a dict column -> value.
        table_key: key of the paper table (see :func:`reference_keys`).
        row: the paper row: its label in any text column (e.g. ``"maj@8"``,
            ``"Qwen2.5-Math-PRM-7B"``; exact, else unique case-insensitive prefix), a dict
            ``{column: value}`` (e.g. ``{"PRM": "Skywork-PRM-7B", "scoring": "min"}``) or a position.
        ours_row: the row of ``ours`` to use when it is a DataFrame (default: the first).

    Returns:
        DataFrame indexed by the paper's column names with columns ``paper``, ``ours`` and
        ``ours - paper``; ``attrs["paper_row"]`` names the paper row.
    """
    paper_df = reference_table(table_key)
    paper = _select_paper_row(paper_df, row)
    if isinstance(ours, pd.DataFrame):
        mine = ours.iloc[0] if ours_row is None else ours.loc[ours_row]
    else:
        mine = pd.Series(ours, dtype=object)
    mine_by_key = {canonical_column(c): v for c, v in mine.items()}
    records = {}
    for col in paper_df.columns:
        if not pd.api.types.is_float_dtype(paper_df[col]):
            continue
        key = canonical_column(col)
        if key in mine_by_key:
            p, o = float(paper[col]), float(mine_by_key[key])
            records[col] = {"paper": p, "ours": o, "ours - paper": o - p}
    if not records:
        raise ValueError(f"no column of ours ({list(mine.index)}) matches table {table_key!r} "
                         f"({list(paper_df.columns)})")
    # an average over fewer benchmarks than the paper's is another number: when ours gives some, but not
    # all, of the columns the paper's average covers (same metric), leave the average out and say so
    notes = []
    for avg in [c for c in records if canonical_column(c).startswith("avg|")]:
        metric = canonical_column(avg).split("|", 1)[1]
        covered = [c for c in paper_df.columns if pd.api.types.is_float_dtype(paper_df[c])
                   and not canonical_column(c).startswith("avg|") and canonical_column(c).split("|", 1)[1] == metric]
        missing = [c for c in covered if canonical_column(c) not in mine_by_key]
        if missing and len(missing) < len(covered):
            del records[avg]
            notes.append(f"{avg} left out: ours averages over fewer columns than the paper's "
                         f"(missing: {', '.join(missing)})")
    note = "; ".join(notes)
    if note:
        warnings.warn(f"compare_with_paper({table_key!r}): {note}", stacklevel=2)
    out = pd.DataFrame.from_dict(records, orient="index")
    out.attrs["note"] = note
    out.attrs["paper_row"] = " / ".join(
        str(paper[c]) for c in paper_df.columns if not pd.api.types.is_float_dtype(paper_df[c]))
    out.attrs["title"] = paper_df.attrs["title"]
    return out
