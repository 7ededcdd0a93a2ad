"""``prmlib eval``: ProcessBench and Best-of-N from files of predictions / scored candidates.

* ``prmlib eval processbench --predictions FILE.jsonl [--threshold T] [--subsets ...]``: each line
  ``{"id": ..., "pred": int}`` (a critic) or ``{"id": ..., "step_scores": [floats]}`` (a PRM);
  ids as in ProcessBench. Prints the Table 7 row, the extracted-subset accuracy (Table 5) and,
  last, one JSON object.
* ``prmlib eval baselines``: the trivial predictors on the real ProcessBench.
* ``prmlib eval answers [--extraction POLICY]``: how often grading each ProcessBench solution's
  final answer against its problem's gold agrees with the data's ``final_answer_correct`` flag
  (the flag behind the right-answer-wrong-process analysis), with each subset's extraction policy.
* ``prmlib eval bon --candidates FILE.jsonl [--agg product|min|last|mean]``: each line
  ``{"problem", "gold", "benchmark"?, "responses": [N texts], "step_scores"?: [N lists],
  "scores"?: [N floats], "extraction"?}``. Prints pass@N, maj@N and rm@N per benchmark and on
  average. Answers are read with each benchmark's extraction policy (``--extraction`` overrides
  it; the policies used are printed and listed in the JSON under ``extraction``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from prmlib.eval import analysis, bon
from prmlib.eval import processbench as pb
from prmlib.grading import EXTRACTION_POLICIES


class InputError(ValueError):
    """A problem with a user's input file (message names the file and line)."""


def _read_jsonl(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    with p.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{line_no}: expected a JSON object")
            yield line_no, obj


def _load_processbench(subsets: list[str], data_dir: str | None = None) -> dict[str, list[dict]]:
    from prmlib.data import load_processbench

    return {s: pb.as_rows(load_processbench(s, data_dir)) for s in subsets}


#: what an unscored step (``null``) becomes: never below a threshold, so never the predicted first error
UNSCORED = math.inf


def read_processbench_predictions(path: str) -> tuple[str, dict[str, Any]]:
    """Read a predictions file: returns ``("pred" | "step_scores", {id: value})``.

    A ``null`` step score (``prmlib score`` writes one for a step beyond the PRM's length limit,
    always at the end) and every step after it become :data:`UNSCORED`: never predicted as the
    first error (:func:`prmlib.eval.processbench.finite_prefix`)."""
    kind = None
    values: dict[str, Any] = {}
    for line_no, obj in _read_jsonl(path):
        where = f"{path}:{line_no}"
        if "id" not in obj:
            raise InputError(f"{where}: missing field 'id'")
        has = [k for k in ("pred", "step_scores") if k in obj]
        if len(has) != 1:
            raise InputError(f"{where}: give exactly one of 'pred' and 'step_scores'")
        if kind is None:
            kind = has[0]
        elif has[0] != kind:
            raise InputError(f"{where}: mixes '{has[0]}' with '{kind}' of earlier lines; use one kind per file")
        value = obj[kind]
        if kind == "pred":
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"{where}: 'pred' must be an integer (-1 = no error), got {value!r}")
        else:
            if not isinstance(value, list) or not all(x is None or (
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)) for x in value):
                raise InputError(f"{where}: 'step_scores' must be a list of finite numbers (or null for a step "
                                 "the PRM did not score)")
            scored = pb.finite_prefix(value)  # from the first unscored step on, nothing is scored
            value = scored + [UNSCORED] * (len(value) - len(scored))
        key = str(obj["id"])
        if key in values:
            raise InputError(f"{where}: id {key!r} appears twice")
        values[key] = value
    if kind is None:
        raise InputError(f"{path}: no predictions")
    return kind, values


def _show(title: str, df: pd.DataFrame) -> None:
    print(f"\n{title}")
    print(df.round(1).to_string())


def _run_processbench(args: argparse.Namespace) -> int:
    subsets = _subsets(args.subsets)
    kind, values = read_processbench_predictions(args.predictions)
    # a file that covers every subset evaluated on some of them (--subsets): leave the others out, and say so
    left_out = {k for k in values if k.rsplit("-", 1)[0] in pb.SUBSETS and k.rsplit("-", 1)[0] not in subsets}
    if left_out:
        values = {k: v for k, v in values.items() if k not in left_out}
        names = sorted({k.rsplit("-", 1)[0] for k in left_out})
        print(f"note: {len(left_out)} predictions of subsets not selected by --subsets ({', '.join(names)}) are "
              "left out", file=sys.stderr)
        if not values:
            raise InputError(f"{args.predictions}: no predictions for the selected subsets ({', '.join(subsets)})")
    unscored = {k: sum(x == UNSCORED for x in v) for k, v in values.items() if kind == "step_scores"}
    unscored = {k: n for k, n in unscored.items() if n}
    if unscored:
        print(f"note: {sum(unscored.values())} step(s) in {len(unscored)} row(s) have no score (null: beyond the PRM's "
              "length limit when scored; a larger `prmlib score --max-length` avoids it); they are never predicted "
              "as the first error", file=sys.stderr)
    if kind == "pred" and args.threshold is not None:
        print("note: --threshold is ignored for index predictions ('pred')", file=sys.stderr)
    data = _load_processbench(subsets, args.data_dir)
    try:
        aligned = pb.align_by_id(data, values, what="predictions" if kind == "pred" else "step scores")
    except KeyError as exc:
        raise InputError(f"{args.predictions}: {exc.args[0]}") from None
    try:
        if kind == "pred":
            result = pb.evaluate_processbench(data, predictions=aligned, name=args.name)
        else:
            result = pb.evaluate_processbench(data, step_scores=aligned, threshold=args.threshold,
                                              tune_on=args.tune_on, name=args.name)
    except ValueError as exc:
        raise InputError(f"{args.predictions}: {exc}") from None
    _show("ProcessBench (%, layout of the Lessons paper's Table 7)", result.table)
    if result.threshold is not None:
        how = f"tuned on {result.tuned_on}" if result.tuned_on else "given"
        print(f"threshold {result.threshold:g} ({how})")
        _show("Upper bound: per-subset optimal thresholds", result.oracle_table())
    extracted = analysis.extracted_accuracy(data, result.predictions, name=args.name)
    _show("Right answer, wrong process: first-error accuracy (%, Table 5)", extracted)
    out = result.to_json()
    out["extracted_accuracy"] = {k: round(float(v), 2) for k, v in extracted.iloc[0].items()}
    if kind == "step_scores":
        out["unscored_steps"] = {"steps": sum(unscored.values()), "rows": len(unscored)}
    from prmlib.cli import print_json

    print_json(out)
    return 0


def _run_baselines(args: argparse.Namespace) -> int:
    data = _load_processbench(_subsets(args.subsets), args.data_dir)
    table = pb.evaluate_baselines(data)
    extracted = analysis.extracted_baselines(data)
    _show("Trivial predictors on ProcessBench (%)", table)
    _show("Trivial predictors on the right-answer-wrong-process rows (%)", extracted)
    from prmlib.cli import print_json

    print_json({"processbench": json.loads(table.round(2).to_json(orient="index")),
                "extracted": json.loads(extracted.round(2).to_json(orient="index")),
                "extracted_counts": analysis.extracted_counts(data)})
    return 0


def _run_answers(args: argparse.Namespace) -> int:
    from prmlib.data import load_processbench, load_processbench_golds
    from prmlib.grading import Grader

    grader = Grader()
    out = {}
    for s in _subsets(args.subsets):
        res = analysis.answer_agreement(load_processbench(s, args.data_dir), load_processbench_golds(s, args.data_dir),
                                        args.extraction, grader)
        print(f"{s}: extraction {res['policy']}: {res['agree']}/{res['graded']} agree "
              f"({100 * res['agreement']:.1f}%, no answer counted wrong; {res['no_answer']} without an answer, "
              f"{res['no_gold']} without a gold); among extracted {res['agree_extracted']}/{res['extracted']}")
        for d in res["disagreements"]:
            print(f"  {d['id']}: gold={d['gold']!r} answer={d['answer']!r} flag={d['flag']} graded={d['graded']}")
        res["disagreements"] = [d["id"] for d in res["disagreements"]]
        out[s] = res
    from prmlib.cli import print_json

    print_json(out)
    return 0


def _run_bon(args: argparse.Namespace) -> int:
    try:
        problems = bon.problems_from_records((obj for _, obj in _read_jsonl(args.candidates)), source=args.candidates)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc)) from None
    if not problems:
        raise InputError(f"{args.candidates}: no problems")
    aggs = None
    if args.agg:
        if not all(p.step_scores is not None for p in problems):
            raise InputError(f"{args.candidates}: --agg {args.agg} needs 'step_scores' on every line")
        aggs = [args.agg] + (["outcome"] if all(p.scores is not None for p in problems) else [])
    cache = bon.grade_problems(problems, progress=not args.quiet, extraction=args.extraction)
    result = bon.best_of_n(problems, aggs=aggs)
    _show(f"Best-of-{result.n} accuracy (%)", result.table)
    policies = bon.extraction_by_benchmark(problems)
    print("answer extraction: " + ", ".join(f"{b} {p}" for b, p in policies.items()))
    out = result.to_json()
    out["problems"] = len(problems)
    out["answers_graded"] = cache.calls
    out["extraction"] = policies
    if args.curve:
        curve = bon.accuracy_vs_n(problems, aggs=aggs, num_subsets=args.num_subsets, seed=args.seed)
        avg = curve[curve["benchmark"] == "Avg."]
        out["accuracy_vs_n"] = {m: {int(r.n): round(float(r.accuracy), 2) for r in g.itertuples()}
                                for m, g in avg.groupby("metric")}
    from prmlib.cli import print_json

    print_json(out)
    return 0


def _subsets(text: str) -> list[str]:
    subsets = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in subsets if s not in pb.SUBSETS]
    if unknown:
        raise InputError(f"unknown subsets {unknown}; choose from {', '.join(pb.SUBSETS)}")
    return subsets


def _guard(func):
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except InputError as exc:
            print(f"prmlib eval {args.eval_command}: error: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eval`` command group."""
    parser = subparsers.add_parser("eval", help="ProcessBench and Best-of-N evaluation", description=__doc__)
    sub = parser.add_subparsers(dest="eval_command", metavar="EVAL_COMMAND", required=True)
    all_subsets = ",".join(pb.SUBSETS)

    p = sub.add_parser("processbench", help="score first-error predictions or PRM step scores on ProcessBench")
    p.add_argument("--predictions", required=True, help='JSONL: {"id", "pred": int} or {"id", "step_scores": [...]}')
    p.add_argument("--threshold", type=float, default=None,
                   help="step-score threshold (a step below it is wrong); default: tuned on --tune-on")
    p.add_argument("--tune-on", default="gsm8k", choices=pb.SUBSETS, help="subset that tunes the threshold")
    p.add_argument("--subsets", default=all_subsets, help=f"comma-separated subsets (default {all_subsets})")
    p.add_argument("--name", default="ours", help="row label in the tables")
    p.add_argument("--data-dir", default=None, help="local data folder (default $PRMLIB_DATA_DIR, then the Hub)")
    p.set_defaults(func=_guard(_run_processbench))

    p = sub.add_parser("baselines", help="trivial predictors (always -1, always 0, outcome-only) on ProcessBench")
    p.add_argument("--subsets", default=all_subsets, help=f"comma-separated subsets (default {all_subsets})")
    p.add_argument("--data-dir", default=None, help="local data folder (default $PRMLIB_DATA_DIR, then the Hub)")
    p.set_defaults(func=_guard(_run_baselines))

    p = sub.add_parser("answers", help="grade ProcessBench's final answers against the gold: agreement with its flag")
    p.add_argument("--extraction", choices=EXTRACTION_POLICIES, default=None,
                   help="answer extraction policy (default: each subset's, prmlib.data.default_extraction)")
    p.add_argument("--subsets", default=all_subsets, help=f"comma-separated subsets (default {all_subsets})")
    p.add_argument("--data-dir", default=None, help="local data folder (default $PRMLIB_DATA_DIR, then the Hub)")
    p.set_defaults(func=_guard(_run_answers))

    p = sub.add_parser("bon", help="Best-of-N: pass@N, maj@N, rm@N from scored candidates")
    p.add_argument("--candidates", required=True, help="JSONL: problem, gold, responses, step_scores?, scores?")
    p.add_argument("--agg", choices=bon.AGGREGATIONS, default=None,
                   help="aggregation of step scores for rm@N (default: all four)")
    p.add_argument("--extraction", choices=EXTRACTION_POLICIES, default=None,
                   help="how final answers are read: strict (boxed / 'the answer is'), flexible (also unboxed "
                        "numbers), choice (a letter), auto (flexible when the gold is a number); default: each "
                        "benchmark's own (prmlib.data.default_extraction)")
    p.add_argument("--curve", action="store_true", help="also report the average accuracy for n = 1..N")
    p.add_argument("--num-subsets", type=int, default=32, help="random subsets per n for --curve")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsets for --curve")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_guard(_run_bon))
