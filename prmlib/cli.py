"""The ``prmlib`` command.

Each command group lives in its own module, which exposes ``register(subparsers)``; the
module adds its parser(s) and sets ``func`` (a callable taking the parsed ``argparse``
namespace and returning an exit code). Modules are imported lazily so a slow import (torch,
vLLM) is paid only by the command that needs it.

Commands that produce results print one JSON object as their last line of stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

# command group -> (module, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("prmlib.data.cli", "inspect the data sets (tour, counts)"),
    "synth": ("prmlib.synth.cli", "the synthetic arithmetic world"),
    "eval": ("prmlib.eval.cli", "ProcessBench and Best-of-N evaluation"),
    "annotate": ("prmlib.annotate.cli", "step labels: MC estimation, LLM-as-a-judge, consensus"),
    "score": ("prmlib.prm.cli_score", "score steps with a PRM"),
    "train": ("prmlib.prm.cli_train", "train a PRM"),
    "lessons": ("prmlib.lessons.cli", "run the paper's lessons as experiments and check its claims"),
    "run": ("prmlib.lessons.runner", "execute the lesson notebooks (papermill) and write the report"),
}


DESCRIPTION = ("Re-run and check the findings of 'The Lessons of Developing Process Reward Models in Mathematical "
               "Reasoning'\nand ProcessBench: the lessons as experiments, their parts as commands.")
EPILOG = """start here:
  prmlib lessons --profile smoke        every lesson at toy size (about 30 s; its numbers mean nothing)
  prmlib lessons --profile cpu          every lesson on the synthetic world, claims table (about 14 min cold, on 2 cores)
  prmlib run --profile cpu              the notebooks and the report (runs/cpu/seed-0/report.html)
  prmlib COMMAND --help                 the options of a command

Commands that produce results print one JSON object as their last line."""


def print_json(obj: Any) -> None:
    """Print one JSON object on one line (the machine-readable last line of a command)."""
    print(json.dumps(obj, sort_keys=False, default=_json_default), flush=True)


def _json_default(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prmlib", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None
    if argv:
        wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        if wanted is not None and name != wanted:
            sub.add_parser(name, help=help_text)
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("prmlib"):
                p = sub.add_parser(name, help=f"{help_text} [not available: {exc}]")
                p.set_defaults(func=lambda args, _e=exc: _unavailable(_e))
                continue
            raise
        mod.register(sub)
    return parser


def _unavailable(exc: Exception) -> int:
    print(f"prmlib: this command is not available: {exc}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
