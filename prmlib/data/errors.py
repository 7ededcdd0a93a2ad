"""Errors and load reports shared by every loader.

Every loader reads rows one by one and checks them. A bad row either stops the load with a
:class:`DataError` that names the file, the row (0-based) and the field (``on_error="raise"``,
the default), or is skipped and counted in a :class:`LoadReport` (``on_error="skip"``). Rows that
are well formed but cannot be used (for example PRM800K completions nobody rated) are never
dropped silently either: they are counted in ``LoadReport.unused``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

logger = logging.getLogger("prmlib.data")

OnError = Literal["raise", "skip"]


class DataError(ValueError):
    """A malformed row or file. ``file``, ``row`` and ``field`` say where; ``reason`` is a short
    description used to count skipped rows."""

    def __init__(self, reason: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, detail: str | None = None) -> None:
        self.reason = reason
        self.file = file
        self.row = row
        self.field = field
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = self.reason if self.detail is None else f"{self.reason} ({self.detail})"
        return ": ".join(where + [text])

    def located(self, file: str | None = None, row: int | None = None) -> DataError:
        """The same error with the file and row filled in where they were missing."""
        return DataError(self.reason, file=self.file if self.file is not None else file,
                         row=self.row if self.row is not None else row, field=self.field, detail=self.detail)


class DataUnavailableError(RuntimeError):
    """Neither a local copy nor the Hugging Face Hub could provide the data set."""


@dataclass
class LoadReport:
    """What a loader read, kept, skipped and could not use.

    Pass one to a loader (``report=LoadReport()``) to receive the counts; loaders also log a
    warning whenever rows were skipped.

    Attributes:
        dataset: data set name (e.g. ``"processbench/math"``).
        source: the file or hub id actually read.
        rows_read: rows found in the source.
        rows_loaded: rows in the returned data set (after regrouping, where a loader regroups).
        skipped: malformed rows skipped with ``on_error="skip"``, by ``"field: reason"``.
        unused: well-formed source rows that cannot be used, by reason.
        notes: loader-specific counts (e.g. PRM800K problems and episodes).
        examples: the first few skipped-row messages, for the log.
    """

    dataset: str = ""
    source: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    skipped: Counter = field(default_factory=Counter)
    unused: Counter = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def num_skipped(self) -> int:
        return sum(self.skipped.values())

    def record_skip(self, err: DataError) -> None:
        key = f"{err.field}: {err.reason}" if err.field else err.reason
        self.skipped[key] += 1
        if len(self.examples) < 5:
            self.examples.append(str(err))

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "rows_read": self.rows_read,
                "rows_loaded": self.rows_loaded, "skipped": dict(self.skipped), "unused": dict(self.unused),
                "notes": dict(self.notes)}

    def summary(self) -> str:
        text = f"{self.dataset}: {self.rows_loaded} rows from {self.rows_read} read ({self.source})"
        if self.skipped:
            text += f"; skipped {self.num_skipped} malformed: " + ", ".join(f"{k} x{v}" for k, v in self.skipped.items())
        if self.unused:
            text += "; unused: " + ", ".join(f"{k} x{v}" for k, v in self.unused.items())
        return text


def check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


def convert_rows(rows: Iterable[dict[str, Any]], convert: Callable[[dict[str, Any], int], dict[str, Any]],
                 *, file: str, on_error: OnError, report: LoadReport) -> list[dict[str, Any]]:
    """Apply ``convert(row, index)`` to every row; a :class:`DataError` is raised (located at the
    file and row) or counted in ``report``, following ``on_error``."""
    check_on_error(on_error)
    out = []
    for i, row in enumerate(rows):
        report.rows_read += 1
        try:
            if not isinstance(row, dict):
                raise DataError("row is not a JSON object", detail=type(row).__name__)
            out.append(convert(row, i))
        except DataError as err:
            err = err.located(file, i)
            if on_error == "raise":
                raise err from None
            report.record_skip(err)
    warn_if_skipped(report)
    return out


def warn_if_skipped(report: LoadReport) -> None:
    if report.skipped:
        logger.warning("%s: skipped %d malformed rows: %s (first: %s)", report.dataset, report.num_skipped,
                       dict(report.skipped), report.examples[0] if report.examples else "")


# -- field checks used by the loaders -------------------------------------------------------
def require(row: dict[str, Any], name: str) -> Any:
    if name not in row or row[name] is None:
        raise DataError("missing field", field=name)
    return row[name]


def require_str(row: dict[str, Any], name: str, *, non_empty: bool = True) -> str:
    value = require(row, name)
    if not isinstance(value, str):
        raise DataError("not a string", field=name, detail=type(value).__name__)
    if non_empty and not value.strip():
        raise DataError("empty", field=name)
    return value


def require_str_list(row: dict[str, Any], name: str, *, non_empty: bool = True) -> list[str]:
    value = require(row, name)
    if not isinstance(value, (list, tuple)):
        raise DataError("not a list of strings", field=name, detail=type(value).__name__)
    for j, item in enumerate(value):
        if not isinstance(item, str):
            raise DataError("not a list of strings", field=name, detail=f"item {j} is {type(item).__name__}")
    if non_empty and not value:
        raise DataError("empty list", field=name)
    return list(value)
