"""Where data comes from: an explicit path, ``$PRMLIB_DATA_DIR``, or the Hugging Face Hub.

Resolution order for every loader:

1. ``path=`` given: a file, or a folder (laid out like the data folder, or holding the file
   itself). A path that does not exist is an error; it never falls back to the Hub.
2. else ``$PRMLIB_DATA_DIR`` set: the file at its place in that folder (layout in
   ``data/README.md``; ``/work/shared/data`` style).
3. else the Hub: ``datasets.load_dataset(hub_id, ...)``. Without network access this fails, and
   the error explains how to point the project at a local copy.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from prmlib.data.errors import DataError, DataUnavailableError

ENV_VAR = "PRMLIB_DATA_DIR"

_HELP = (
    f"Point the project at a local copy of the data: set {ENV_VAR} to a folder laid out as described in "
    "data/README.md (for example `export PRMLIB_DATA_DIR=/path/to/data`), or pass path= to the loader."
)


def data_dir() -> Path | None:
    """The folder named by ``$PRMLIB_DATA_DIR`` (None when unset or empty)."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser() if value else None


def local_file(relative: str, path: str | os.PathLike | None = None) -> Path | None:
    """The local file for ``relative`` (e.g. ``"processbench/math.json"``), or None to use the Hub.

    Raises:
        FileNotFoundError: ``path`` or ``$PRMLIB_DATA_DIR`` is set but the file is not there.
    """
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return p
        if p.is_dir():
            for candidate in (p / relative, p / Path(relative).name):
                if candidate.is_file():
                    return candidate
            raise FileNotFoundError(f"{p} holds neither {relative} nor {Path(relative).name}")
        raise FileNotFoundError(f"no such file or folder: {p}")
    root = data_dir()
    if root is None:
        return None
    candidate = root / relative
    if not candidate.is_file():
        raise FileNotFoundError(f"{ENV_VAR}={root} but {candidate} does not exist (expected layout: data/README.md)")
    return candidate


def hub_rows(hub_id: str | None, *, what: str, split: str = "train", name: str | None = None,
             data_files: Any = None) -> list[dict[str, Any]]:
    """Rows of a Hub data set via ``datasets.load_dataset``; a clear error when that fails."""
    if not hub_id:
        raise DataUnavailableError(f"{what}: no local copy found and no Hub id is known for it. {_HELP}")
    try:
        import datasets

        kwargs: dict[str, Any] = {"split": split}
        if name is not None:
            kwargs["name"] = name
        if data_files is not None:
            kwargs["data_files"] = data_files
        ds = datasets.load_dataset(hub_id, **kwargs)
    except Exception as exc:  # no network, unknown id, gated repo, ...
        raise DataUnavailableError(
            f"{what}: {ENV_VAR} is not set and loading {hub_id!r} from the Hugging Face Hub failed "
            f"({type(exc).__name__}: {str(exc)[:200]}). {_HELP}"
        ) from exc
    return [dict(r) for r in ds]


def read_rows(file: Path) -> list[Any]:
    """Rows of a ``.jsonl``, ``.json`` (an array, or objects back to back) or ``.parquet`` file.

    JSON syntax errors name the file and the row (0-based; for JSON Lines the line is row + 1).
    Float NaN values in parquet become None.
    """
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(file).to_pylist()
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]
    text = file.read_text(encoding="utf-8")
    if suffix == ".jsonl":
        rows = []
        for i, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError("invalid JSON", file=str(file), row=len(rows), detail=f"line {i + 1}: {exc.msg}") from None
        return rows
    if suffix == ".json":
        return read_concatenated_json(text, str(file))
    raise DataError("unsupported file type (expected .jsonl, .json or .parquet)", file=str(file))


def read_concatenated_json(text: str, file: str) -> list[Any]:
    """A JSON array, or several JSON values written back to back (pretty-printed or not)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise DataError("invalid JSON", file=file, row=len(values),
                            detail=f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        values.append(value)
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return values


def load_rows(relative: str, path: str | os.PathLike | None, *, hub_id: str | None, what: str,
              hub_split: str = "train", hub_name: str | None = None, hub_data_files: Any = None
              ) -> tuple[list[Any], str]:
    """Rows and a description of their source, following the resolution order of this module."""
    file = local_file(relative, path)
    if file is not None:
        return read_rows(file), str(file)
    rows = hub_rows(hub_id, what=what, split=hub_split, name=hub_name, data_files=hub_data_files)
    return rows, f"hub:{hub_id}" + (f"/{hub_name}" if hub_name else "") + f"[{hub_split}]"


def rows_to_dataset(rows: list[dict[str, Any]], features: Any = None):
    """``datasets.Dataset`` of ``rows`` with the union of their keys as columns (missing -> None)."""
    import datasets

    if features is not None:
        return datasets.Dataset.from_list(rows, features=features)
    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for key in columns:
        columns[key] = [row.get(key) for row in rows]
    return datasets.Dataset.from_dict(columns)
