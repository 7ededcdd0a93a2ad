"""Incremental, resumable results: JSONL append + flush, keyed by content.

Every record is one JSON line with a ``"key"`` (a hash of the inputs and settings that produced
it). A job skips the keys already in its file, so a run killed at any point resumes where it
stopped: finished records are on disk (each append is flushed and fsynced), an interrupted batch
is redone, and a line cut short by the kill is dropped when the file is reopened. Shards split the
keys deterministically (:func:`shard_of`), so ``n`` jobs with ``--shard i --num-shards n`` cover
every item exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def content_key(*parts: Any) -> str:
    """SHA-256 of the JSON of ``parts`` (sorted keys): the identity of a record's inputs."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def solution_id(problem: str, steps: list[str]) -> str:
    """Identity of a solution (problem and steps), shared by MC and judge records."""
    return content_key("solution", problem, list(steps))[:24]


def shard_of(key: str, num_shards: int) -> int:
    """Shard of a content key: ``int(key[:15], 16) % num_shards``."""
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    return int(key[:15], 16) % num_shards


def shard_path(folder: str | Path, kind: str, shard: int = 0, num_shards: int = 1) -> Path:
    """``folder/{kind}.jsonl`` for one shard, ``folder/{kind}-{i:05d}-of-{n:05d}.jsonl`` otherwise."""
    if not 0 <= shard < num_shards:
        raise ValueError(f"shard must be in [0, {num_shards - 1}], got {shard}")
    name = f"{kind}.jsonl" if num_shards == 1 else f"{kind}-{shard:05d}-of-{num_shards:05d}.jsonl"
    return Path(folder) / name


class ResultStore:
    """A JSONL file of records with a ``"key"`` field.

    Args:
        path: the file (created with its folder when missing).
        readonly: only read (a last line without its newline, e.g. one being written by a running
            job, is skipped but left in place).
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
        self._records: dict[str, dict[str, Any]] = {}
        for rec in self._read():
            self._records.setdefault(rec["key"], rec)

    def _repair_tail(self) -> None:
        """Drop a last line cut short by a kill (no trailing newline)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as fh:
            data = fh.read()
            if data.endswith(b"\n"):
                return
            keep = data.rfind(b"\n") + 1
            fh.truncate(keep)

    def _read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.endswith("\n") or not line.strip():
                    continue  # empty, or an unfinished last line
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{self.path}:{lineno}: not valid JSON ({exc})") from exc
                if not isinstance(rec, dict) or "key" not in rec:
                    raise ValueError(f"{self.path}:{lineno}: a record needs a 'key' field")
                yield rec

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def keys(self) -> set[str]:
        return set(self._records)

    def records(self) -> list[dict[str, Any]]:
        """Records in file order (first occurrence of each key)."""
        return list(self._records.values())

    def get(self, key: str) -> dict[str, Any] | None:
        return self._records.get(key)

    def append(self, records: Iterable[dict[str, Any]]) -> int:
        """Append the records whose key is new; flush and fsync. Returns how many were written."""
        if self.readonly:
            raise RuntimeError(f"{self.path} was opened read-only")
        new = []
        for rec in records:
            if "key" not in rec:
                raise ValueError("a record needs a 'key' field")
            if rec["key"] in self._records:
                continue
            self._records[rec["key"]] = rec
            new.append(rec)
        if not new:
            return 0
        with open(self.path, "a", encoding="utf-8") as fh:
            for rec in new:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return len(new)


def read_records(path: str | Path, kind: str | None = None) -> list[dict[str, Any]]:
    """Records of one JSONL file, or of every ``{kind}*.jsonl`` shard in a folder (deduplicated)."""
    path = Path(path)
    if path.is_dir():
        pattern = f"{kind}*.jsonl" if kind else "*.jsonl"
        files = sorted(path.glob(pattern))
        if not files:
            raise FileNotFoundError(f"no {pattern} files in {path}")
    elif path.exists():
        files = [path]
    else:
        raise FileNotFoundError(f"{path} does not exist")
    seen: dict[str, dict[str, Any]] = {}
    for f in files:
        for rec in ResultStore(f, readonly=True).records():
            seen.setdefault(rec["key"], rec)
    return list(seen.values())
