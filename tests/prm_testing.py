"""Helpers shared by several test files (not a test module itself)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str):
    """Import ``benchmarks/<name>.py`` (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", BENCHMARKS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def spread_(module, std: float = 0.5) -> None:
    """Redraw a random head's weights with a larger spread, so scores differ visibly."""
    import torch

    torch.manual_seed(1)
    with torch.no_grad():
        module.weight.normal_(0.0, std)


def assert_close_lists(a, b, tol: float = 1e-5) -> None:
    import pytest

    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x == pytest.approx(y, abs=tol)
