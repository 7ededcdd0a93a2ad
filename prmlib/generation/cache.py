"""An on-disk cache of completions, keyed by content.

A key is the hash of (generator fingerprint, problem, prefix steps, completion seed), where the
fingerprint covers the model and every sampling setting (see
:meth:`GeneratorConfig.fingerprint`). Re-running a notebook or resuming a job therefore reuses
every completion already paid for, and asking for completions ``0..7`` after ``0..2`` samples
only ``3..7``. Only seeded requests are cached (an unseeded sample is not reproducible).

Storage is one SQLite file (``completions.sqlite``) in the cache folder; each batch is committed
at once, so a killed run keeps everything generated before its last batch.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from prmlib.generation.base import continue_seeded, item_seed
from prmlib.interfaces import Completion, Generator


def completion_key(fingerprint: str, problem: str, prefix: Sequence[str], seed: int) -> str:
    """Content key of one completion."""
    blob = json.dumps([fingerprint, problem, list(prefix), int(seed)], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class GenerationCache:
    """Completions on disk (SQLite), keyed by :func:`completion_key`."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if path.suffix != ".sqlite":
            path.mkdir(parents=True, exist_ok=True)
            path = path / "completions.sqlite"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path))
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS completions "
            "(key TEXT PRIMARY KEY, text TEXT NOT NULL, num_tokens INTEGER NOT NULL, finish TEXT)"
        )
        self._db.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, text, num_tokens, finish FROM completions WHERE key IN ({marks})", chunk
            )
            for key, text, num_tokens, finish in rows:
                found[key] = Completion(text=text, num_tokens=int(num_tokens), finish_reason=finish)
        return found

    def put_many(self, items: Sequence[tuple[str, Completion]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO completions (key, text, num_tokens, finish) VALUES (?, ?, ?, ?)",
            [(k, c.text, int(c.num_tokens), c.finish_reason) for k, c in items],
        )
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedGenerator(Generator):
    """Wraps a generator; seeded requests are served from a :class:`GenerationCache` when possible.

    Follows the per-item seed convention of :mod:`prmlib.generation.base` (completion ``j`` of
    ``(problem, prefix)`` is drawn with seed ``item_seed + j``).

    Args:
        inner: the generator that samples what is missing.
        cache: a :class:`GenerationCache` or a folder for one.
        fingerprint: identifies the model and sampling settings (e.g. ``config.fingerprint()``).
    """

    def __init__(self, inner: Generator, cache: GenerationCache | str | Path, fingerprint: str) -> None:
        self.inner = inner
        self.cache = cache if isinstance(cache, GenerationCache) else GenerationCache(cache)
        self.fingerprint = fingerprint
        self.step_separator = inner.step_separator
        self.hits = 0
        self.misses = 0

    def continue_steps_seeded(self, problems, prefixes, ks, seeds) -> list[list[Completion]]:
        keys = [
            [completion_key(self.fingerprint, p, pre, int(s) + j) for j in range(int(k))]
            for p, pre, k, s in zip(problems, prefixes, ks, seeds)
        ]
        found = self.cache.get_many([key for row in keys for key in row])
        todo = []  # (item, first missing j, last missing j)
        for i, row in enumerate(keys):
            missing = [j for j, key in enumerate(row) if key not in found]
            if missing:
                todo.append((i, missing[0], missing[-1]))
        if todo:
            got = continue_seeded(
                self.inner,
                [problems[i] for i, _, _ in todo],
                [list(prefixes[i]) for i, _, _ in todo],
                [b - a + 1 for _, a, b in todo],
                [int(seeds[i]) + a for i, a, _ in todo],
            )
            new = []
            for (i, a, _), comps in zip(todo, got):
                for off, comp in enumerate(comps):
                    new.append((keys[i][a + off], comp))
            self.cache.put_many(new)
            found.update(new)
            self.misses += len(new)
        out = [[found[key] for key in row] for row in keys]
        self.hits += sum(len(r) for r in out) - sum(b - a + 1 for _, a, b in todo)
        return out

    def continue_steps(self, problems, prefixes, k, seed=None) -> list[list[Completion]]:
        if seed is None:
            return self.inner.continue_steps(problems, prefixes, k, seed=None)
        seeds = [item_seed(seed, p, pre) for p, pre in zip(problems, prefixes)]
        return self.continue_steps_seeded(problems, prefixes, [k] * len(problems), seeds)

    def sample(self, problems, n, seed=None) -> list[list[Completion]]:
        return self.continue_steps(problems, [[] for _ in problems], n, seed=seed)

    def close(self) -> None:
        self.inner.close()
        self.cache.close()
