"""Grading quality: does the grader accept every reference solution of MATH500 and GSM8K test?

For each problem, the final answer is extracted from the reference solution
(:func:`prmlib.grading.extract_answer`) and compared with the data set's gold answer
(:func:`prmlib.grading.is_equivalent`). Every failure is printed. MATH500 is the informative
check: its gold is a separate ``answer`` field, written independently of the ``\\boxed{}`` in the
solution. On GSM8K the gold comes from the same ``####`` line, so the check mostly tests
extraction and number normalisation.

A negative control compares each MATH500 reference answer with the gold of the *next* problem:
a grader that says "equal" too easily shows up there (pairs whose golds are truly equal are
listed so they can be checked by eye).

The informative check on *model-written* text: ProcessBench solutions (written by a dozen
open models) carry ``final_answer_correct``. Their problems are looked up in GSM8K test, MATH
test, OlympiadBench and Omni-MATH (rule subset) for the gold answer; the script reports how often
``grade`` agrees with ``final_answer_correct`` where an answer could be extracted, how many
solutions state no extractable answer, and lists every disagreement. ProcessBench's flag is not
ground truth either (it marks unsimplified but equal answers such as 411/333 for 137/111 wrong),
so disagreements must be read one by one.

Needs PRMLIB_DATA_DIR. Last line: one JSON object with totals and accuracies.

    PRMLIB_DATA_DIR=/path/to/data python benchmarks/grading_quality.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from prmlib.data import PROCESSBENCH_SPLITS, load_bon_benchmark, load_gsm8k, load_math, load_processbench
from prmlib.data.problems import load_omni_math
from prmlib.grading import extract_answer, is_equivalent


def _short(text: str | None, n: int = 70) -> str:
    return repr(text if text is None or len(text) <= n else text[: n - 3] + "...")


def grade_references(name: str, problems: list[str], solutions: list[str], golds: list[str]) -> dict:
    """Extract each reference answer and grade it against the gold; print the failures."""
    failures = []
    no_answer = 0
    t0 = time.perf_counter()
    for i, (solution, gold) in enumerate(zip(solutions, golds)):
        pred = extract_answer(solution)
        if pred is None:
            no_answer += 1
        if not is_equivalent(pred, gold):
            failures.append((i, gold, pred))
    seconds = time.perf_counter() - t0
    total = len(golds)
    print(f"\n== {name}: {total - len(failures)}/{total} reference answers graded correct; failures:")
    for i, gold, pred in failures:
        print(f"  row {i}: gold={_short(gold)} extracted={_short(pred)}")
    if not failures:
        print("  (none)")
    return {"total": total, "correct": total - len(failures), "accuracy": round((total - len(failures)) / total, 5),
            "failures": len(failures), "no_answer": no_answer, "seconds": round(seconds, 2),
            "failed_rows": [i for i, _, _ in failures]}


def negative_control(solutions: list[str], golds: list[str]) -> dict:
    accepted = []
    for i in range(len(golds)):
        j = (i + 1) % len(golds)
        pred = extract_answer(solutions[i])
        if is_equivalent(pred, golds[j]):
            accepted.append((i, j, pred, golds[j]))
    print(f"\n== negative control (MATH500 answer i against gold i+1): {len(accepted)} accepted")
    for i, j, pred, gold in accepted:
        print(f"  rows {i}->{j}: extracted={_short(pred)} other gold={_short(gold)}")
    return {"pairs": len(golds), "accepted": len(accepted), "accepted_rows": [i for i, *_ in accepted]}


def processbench_agreement(split: str, gold_source) -> dict:
    gold = {p.strip(): g for p, g in zip(gold_source["problem"], gold_source["gold"])}
    counts = {"rows": 0, "no_gold": 0, "no_answer": 0, "graded": 0, "agree": 0}
    disagreements = []
    t0 = time.perf_counter()
    for row in load_processbench(split):
        counts["rows"] += 1
        g = gold.get(row["problem"].strip())
        if g is None:
            counts["no_gold"] += 1
            continue
        pred = extract_answer("\n\n".join(row["steps"]))
        if pred is None:
            counts["no_answer"] += 1
            continue
        counts["graded"] += 1
        ok = is_equivalent(pred, g)
        if ok == row["final_answer_correct"]:
            counts["agree"] += 1
        else:
            disagreements.append((row["id"], g, pred, row["final_answer_correct"], ok))
    counts["agreement"] = round(counts["agree"] / max(counts["graded"], 1), 5)
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"\n== ProcessBench {split}: grade() agrees with final_answer_correct on {counts['agree']}/{counts['graded']}"
          f" graded rows ({counts['no_answer']} without an extractable answer, {counts['no_gold']} without a gold)")
    for rid, g, pred, flag, ok in disagreements:
        print(f"  {rid}: gold={_short(g)} extracted={_short(pred)} processbench={flag} grader={ok}")
    counts["disagreements"] = [d[0] for d in disagreements]
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-processbench", action="store_true", help="only the reference-solution checks")
    args = parser.parse_args(argv)
    math500 = load_bon_benchmark("math500")
    gsm8k = load_gsm8k("test")
    results = {
        "math500": grade_references("MATH500", math500["problem"], math500["solution"], math500["gold"]),
        "gsm8k_test": grade_references("GSM8K test", gsm8k["problem"], gsm8k["solution"], gsm8k["gold"]),
        "math500_negative_control": negative_control(math500["solution"], math500["gold"]),
    }
    if not args.skip_processbench:
        sources = {"gsm8k": gsm8k, "math": load_math("test"), "olympiadbench": load_bon_benchmark("olympiadbench"),
                   "omnimath": load_omni_math()}
        results["processbench_agreement"] = {s: processbench_agreement(s, sources[s]) for s in PROCESSBENCH_SPLITS}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
