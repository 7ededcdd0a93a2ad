"""``prmlib data``: a guided tour of the data sets (``tour``) and their row counts (``counts``).

Both read the local copy named by ``$PRMLIB_DATA_DIR`` (or ``--data-dir``); ``--hub`` allows
downloads from the Hugging Face Hub instead. The last printed line is one JSON object with the
counts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from prmlib.data.errors import DataError, DataUnavailableError, LoadReport
from prmlib.data.sources import ENV_VAR, data_dir

_FAILURES = (DataError, DataUnavailableError, FileNotFoundError, OSError)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("data", help="inspect the data sets (tour, counts)", description=__doc__)
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    for name, func, help_text in (("tour", run_tour, "a short readable tour: counts and one example per data set"),
                                  ("counts", run_counts, "row counts of every data set, as JSON")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", help=f"local copy of the data (default: ${ENV_VAR})")
        p.add_argument("--hub", action="store_true", help=f"allow Hugging Face Hub downloads when ${ENV_VAR} is unset")
        p.set_defaults(func=func)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _check_source(args: argparse.Namespace) -> bool:
    if args.data_dir:
        os.environ[ENV_VAR] = os.path.abspath(args.data_dir)
    root = data_dir()
    if root is None and not args.hub:
        print(f"prmlib data: no data source. Set {ENV_VAR} to a local copy of the data (layout in data/README.md),"
              f" e.g. `{ENV_VAR}=/path/to/data prmlib data tour`, pass --data-dir, or pass --hub to download"
              " from the Hugging Face Hub.", file=sys.stderr)
        return False
    if root is not None and not root.is_dir():
        print(f"prmlib data: {ENV_VAR}={root} is not a folder", file=sys.stderr)
        return False
    return True


def _clip(text: Any, n: int = 110) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 3] + "..."


class _Tour:
    """Runs each section, keeps going when one data set is missing, collects the counts."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.counts: dict[str, Any] = {}
        self.failures: dict[str, str] = {}

    def say(self, text: str = "") -> None:
        if self.verbose:
            print(text)

    def section(self, key: str, func: Callable[[], None]) -> None:
        try:
            func()
        except _FAILURES as exc:
            self.failures[key] = f"{type(exc).__name__}: {exc}"
            self.say(f"  !! {key} unavailable: {exc}")

    # -- sections ------------------------------------------------------------------------
    def processbench(self) -> None:
        from prmlib.data.processbench import PROCESSBENCH_SPLITS, load_processbench

        self.say("ProcessBench: solutions with the index of their first wrong step (-1 = all steps right)")
        self.say(f"  {'split':<14}{'rows':>6}{'erroneous':>11}{'answer right':>14}  right answer, wrong process")
        out = {}
        example = None
        for split in PROCESSBENCH_SPLITS:
            rep = LoadReport()
            ds = load_processbench(split, report=rep)
            n = rep.notes
            share = n["right_answer_wrong_process"] / max(n["final_answer_correct"], 1)
            out[split] = {"rows": len(ds), "erroneous": n["erroneous"], "final_answer_correct": n["final_answer_correct"],
                          "right_answer_wrong_process": n["right_answer_wrong_process"],
                          "right_answer_wrong_process_share": round(share, 4)}
            self.say(f"  {split:<14}{len(ds):>6}{n['erroneous']:>11}{n['final_answer_correct']:>14}  "
                     f"{n['right_answer_wrong_process']} ({100 * share:.1f}% of right answers)")
            if example is None:
                example = next((r for r in ds if 0 < r["label"] < len(r["steps"])), None)
        self.counts["processbench"] = out
        if example is not None:
            k = example["label"]
            self.say(f"  example {example['id']} ({example['generator']}): {_clip(example['problem'], 90)}")
            self.say(f"    {len(example['steps'])} steps; first wrong step {k}: {_clip(example['steps'][k], 90)}")

    def prm800k(self) -> None:
        from prmlib.data.prm800k import load_prm800k
        from prmlib.data.prm800k_raw import load_prm800k_raw

        self.say("PRM800K: human ratings (+1 / 0 / -1) of each step; flattened rows regrouped into solutions")
        splits = ("phase1_test", "phase1_train_plus") if data_dir() is not None else ("phase1_test", "phase1_train")
        out: dict[str, Any] = {}
        example = None
        for split in splits:
            rep = LoadReport()
            ds = load_prm800k(split, report=rep)
            n = rep.notes
            ratings = Counter(r for row in ds["ratings"] for r in row)
            is_alt = ds["is_alternative"]
            all_ratings = ds["ratings"]
            chosen = [i for i, a in enumerate(is_alt) if not a]
            alternatives = [i for i, a in enumerate(is_alt) if a]
            ratings = Counter(r for i in chosen for r in all_ratings[i])
            alt_last = Counter(all_ratings[i][-1] for i in alternatives)
            out[split] = {"flat_rows": n["flat_rows"], "problems": n["problems"], "episodes": n["episodes"],
                          "solutions": len(chosen), "alternatives": len(alternatives),
                          "duplicate_episodes": n["duplicate_episodes"],
                          "episodes_without_chosen_step": n["episodes_without_chosen_step"],
                          "finished_solutions": n["finished_solutions"],
                          "rows_with_error": sum(fe != -1 for fe in ds["first_error"])}
            self.say(f"  {split}: {n['flat_rows']} flattened rows -> {n['episodes']} episodes for {n['problems']} problems"
                     f" -> {len(chosen)} chosen-path solutions ({n['duplicate_episodes']} duplicate episodes kept,"
                     f" {n['episodes_without_chosen_step']} without a chosen step; {n['finished_solutions']} reach"
                     f" a final answer)")
            self.say(f"    chosen steps: +1 x{ratings.get(1, 0)}, 0 x{ratings.get(0, 0)}, -1 x{ratings.get(-1, 0)},"
                     f" human-written x{ratings.get(None, 0)}; {len(alternatives)} rated alternatives ending in"
                     f" +1 x{alt_last.get(1, 0)}, 0 x{alt_last.get(0, 0)}, -1 x{alt_last.get(-1, 0)}")
            if example is None:
                first_bad = next((i for i in alternatives if all_ratings[i][-1] == -1), None)
                example = None if first_bad is None else ds[first_bad]
        if example is not None:
            self.say(f"  example: {_clip(example['problem'], 90)}")
            self.say(f"    alternative step {len(example['steps']) - 1} rated -1 after ratings {example['ratings'][:-1]}:"
                     f" {_clip(example['steps'][-1], 80)}")
        if data_dir() is not None:
            rep = LoadReport()
            raw = load_prm800k_raw(report=rep)
            phases = Counter(raw["phase"])
            out["raw_records"] = {"records": len(raw), "phase1": phases.get(1, 0), "phase2": phases.get(2, 0)}
            self.say(f"  raw nested records: {len(raw)} (phase 1: {phases.get(1, 0)}, phase 2: {phases.get(2, 0)});"
                     f" finish reasons {dict(Counter(raw['finish_reason']))}")
        self.counts["prm800k"] = out

    def math_shepherd(self) -> None:
        from prmlib.data.math_shepherd import load_math_shepherd

        ds = load_math_shepherd()
        labels = Counter(lab for row in ds["labels"] for lab in row)
        self.counts["math_shepherd"] = {"rows": len(ds), "positive_steps": labels.get(True, 0),
                                        "negative_steps": labels.get(False, 0)}
        self.say(f"Math-Shepherd: {len(ds)} rows of MC-labelled steps (+ x{labels.get(True, 0)}, - x{labels.get(False, 0)})")
        if len(ds):
            r = ds[0]
            self.say(f"  example: {_clip(r['problem'], 80)} / {len(r['steps'])} steps, labels "
                     f"{''.join('+' if lab else '-' for lab in r['labels'])}, answer {r['answer']!r}")

    def benchmarks(self) -> None:
        from prmlib.data.benchmarks import ALL_BENCHMARKS, BON_BENCHMARKS, load_bon_benchmark

        self.say("Best-of-N benchmarks (the paper's seven first), with the gold answer read for each row:")
        out = {}
        for name in ALL_BENCHMARKS:
            rep = LoadReport()
            try:
                ds = load_bon_benchmark(name, report=rep)
            except _FAILURES as exc:
                self.failures[f"bon/{name}"] = f"{type(exc).__name__}: {exc}"
                self.say(f"  {name:<14} unavailable: {_clip(exc, 90)}")
                continue
            out[name] = len(ds)
            tag = "" if name in BON_BENCHMARKS else " (extra)"
            note = ""
            if rep.notes.get("gold_from_problem_text"):
                note = f"; gold read from the problem text in rows {rep.notes['gold_from_problem_text']}"
            self.say(f"  {name + tag:<22}{len(ds):>6} rows; e.g. gold {_clip(ds[0]['gold'], 30)!r} for "
                     f"{_clip(ds[0]['problem'], 50)!r}{note}")
        self.counts["bon_benchmarks"] = out

    def problems(self) -> None:
        from prmlib.data.problems import load_gsm8k, load_math, load_omni_math

        out = {"gsm8k_train": len(load_gsm8k("train")), "gsm8k_test": len(load_gsm8k("test")),
               "math_test": len(load_math("test"))}
        if data_dir() is not None:
            out["omni_math_rule"] = len(load_omni_math())
        self.counts["problem_sources"] = out
        self.say("Problem sources with gold answers: " + ", ".join(f"{k} {v}" for k, v in out.items()))


def _run(args: argparse.Namespace, verbose: bool) -> int:
    from prmlib.cli import print_json

    if not _check_source(args):
        return 2
    tour = _Tour(verbose)
    root = data_dir()
    tour.say(f"prmlib data tour: reading {'the Hugging Face Hub' if root is None else f'{root} (${ENV_VAR})'}")
    for key, func in (("processbench", tour.processbench), ("prm800k", tour.prm800k),
                      ("math_shepherd", tour.math_shepherd), ("bon_benchmarks", tour.benchmarks),
                      ("problem_sources", tour.problems)):
        tour.say()
        tour.section(key, func)
    result: dict[str, Any] = dict(tour.counts)
    if tour.failures:
        result["unavailable"] = tour.failures
        print(f"prmlib data: {len(tour.failures)} data set(s) unavailable: {', '.join(tour.failures)}", file=sys.stderr)
    tour.say()
    print_json(result)
    return 1 if tour.failures else 0


def run_tour(args: argparse.Namespace) -> int:
    return _run(args, verbose=True)


def run_counts(args: argparse.Namespace) -> int:
    return _run(args, verbose=False)
