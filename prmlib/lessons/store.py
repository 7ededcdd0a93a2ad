"""The run store: every stage's artifact on disk, keyed by a hash of what it was computed from.

Layout: ``<root>/<stage>/<key>/`` (``root`` is ``runs/<profile>/seed-<S>``), holding

* ``inputs.json``: the settings and upstream keys the artifact depends on (the key is their hash);
* the artifact: ``data.json`` (JSON), ``dataset/`` (a ``datasets.Dataset.save_to_disk`` folder) or
  ``model/`` (a Hugging Face model folder);
* ``made.json``: where and by what it was computed (:func:`~prmlib.lessons.provenance.machine`,
  :func:`~prmlib.lessons.provenance.code_version`, seconds, finishing time); not part of the key, so
  a store copied between machines is reused, and :meth:`RunStore.made_by` says what it mixes;
* ``DONE``: written last. A stage folder without it is an interrupted computation and is redone.

A re-run with the same settings finds every ``DONE`` folder and reuses it; changing one setting
changes the keys of the stages that depend on it (their inputs include the upstream keys), so only
those are recomputed. Work is written to ``<key>.tmp-<pid>-<random>`` and renamed into place, so a killed
run never leaves a half-written artifact that looks finished; a temporary folder of a process that
is still alive is left alone (two runs of the same profile and seed may work side by side).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

KINDS = ("json", "dataset", "model")


def stable_hash(inputs: Any, length: int = 16) -> str:
    """Hash of JSON-able inputs (dict key order does not matter)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class RunStore:
    """Artifacts of one run (profile and seed) under ``root``.

    Example::

        store = RunStore("runs/cpu/seed-0")
        key, data = store.json("mc", {"solutions": sol_key, "k": 8}, lambda: compute_counts())
    """

    def __init__(self, root: str | os.PathLike, read_only: bool = False) -> None:
        """``read_only``: compute nothing; a stage that is not stored raises :class:`LookupError`
        (for reading another run's store without ever sampling, labelling or training in it)."""
        self.root = Path(root)
        self.read_only = read_only
        if not read_only:
            self.root.mkdir(parents=True, exist_ok=True)
        self.hits: list[str] = []
        self.computed: list[str] = []

    def key(self, stage: str, inputs: dict[str, Any]) -> str:
        return stable_hash({"stage": stage, "inputs": inputs})

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def done(self, stage: str, key: str) -> bool:
        return (self.path(stage, key) / "DONE").exists()

    def _compute(self, stage: str, inputs: dict[str, Any], write: Callable[[Path], None]) -> tuple[str, Path]:
        key = self.key(stage, inputs)
        final = self.path(stage, key)
        if (final / "DONE").exists():
            self.hits.append(f"{stage}/{key}")
            return key, final
        if self.read_only:
            raise LookupError(f"{stage}/{key} is not in the store {self.root} (read-only: nothing is computed)")
        final.parent.mkdir(parents=True, exist_ok=True)
        for stale in final.parent.glob(f"{key}.tmp-*"):  # left by a killed run (not by a live one)
            if not _alive(stale.name.split(".tmp-", 1)[-1].split("-")[0]):
                shutil.rmtree(stale, ignore_errors=True)
        tmp = final.parent / f"{key}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            (tmp / "inputs.json").write_text(json.dumps(inputs, indent=1, sort_keys=True, default=str))
            start = time.perf_counter()
            write(tmp)
            (tmp / MADE).write_text(json.dumps(_made(time.perf_counter() - start), indent=1))
            (tmp / "DONE").write_text("")
            if (final / "DONE").exists():  # another process finished the same stage meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
                self.hits.append(f"{stage}/{key}")
                return key, final
            if final.exists():  # an unfinished folder from an older layout
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.computed.append(f"{stage}/{key}")
        return key, final

    def json(self, stage: str, inputs: dict[str, Any], compute: Callable[[], Any]) -> tuple[str, Any]:
        """``(key, value)``: the cached JSON value, or ``compute()`` stored then returned."""
        def write(tmp: Path) -> None:
            (tmp / "data.json").write_text(json.dumps(compute(), default=_jsonable))

        key, path = self._compute(stage, inputs, write)
        return key, json.loads((path / "data.json").read_text())

    def dataset(self, stage: str, inputs: dict[str, Any], compute: Callable[[], list[dict[str, Any]]]):
        """``(key, datasets.Dataset)`` of the rows ``compute()`` returns (a ``save_to_disk`` folder)."""
        from datasets import Dataset, load_from_disk

        def write(tmp: Path) -> None:
            rows = compute()
            if rows:
                Dataset.from_list(rows).save_to_disk(str(tmp / "dataset"))
            else:  # datasets cannot reload an empty table: mark it instead
                (tmp / "EMPTY").write_text("")

        key, path = self._compute(stage, inputs, write)
        if (path / "EMPTY").exists():
            return key, Dataset.from_list([])
        return key, load_from_disk(str(path / "dataset"))

    def model(self, stage: str, inputs: dict[str, Any], train: Callable[[Path], None]) -> tuple[str, Path]:
        """``(key, folder)``: a model folder written by ``train(folder)``."""
        def write(tmp: Path) -> None:
            (tmp / "model").mkdir()
            train(tmp / "model")

        key, path = self._compute(stage, inputs, write)
        return key, path / "model"

    def summary(self) -> dict[str, int]:
        return {"reused": len(self.hits), "computed": len(self.computed)}

    def made_by(self) -> dict[str, Counter]:
        """How many finished stages of the store each machine and each code version computed:
        ``{"machine": Counter, "code": Counter}``; stages written before ``made.json`` existed count
        under :data:`NOT_RECORDED`."""
        out: dict[str, Counter] = {"machine": Counter(), "code": Counter()}
        for done in sorted(self.root.glob("*/*/DONE")):
            try:
                made = json.loads((done.parent / MADE).read_text())
            except (OSError, ValueError):
                made = {}
            for field, counts in out.items():
                counts[made.get(field) or NOT_RECORDED] += 1
        return out


MADE = "made.json"
#: what :meth:`RunStore.made_by` counts a stage under when it has no ``made.json``
NOT_RECORDED = "not recorded"


def _made(seconds: float) -> dict[str, Any]:
    from datetime import datetime

    from prmlib.lessons.provenance import code_version, machine

    return {"machine": machine(), "code": code_version(), "seconds": round(seconds, 3),
            "finished": datetime.now().astimezone().isoformat(timespec="seconds")}


def _alive(pid: str) -> bool:
    """Whether a process with this id runs (another process may be computing the same stage)."""
    try:
        n = int(pid)
    except ValueError:
        return False
    try:
        os.kill(n, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _jsonable(x: Any) -> Any:
    import numpy as np

    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
