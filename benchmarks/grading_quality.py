"""Grading quality on real data: reference solutions, negative controls, ProcessBench's answer flag.

Every check runs with the ``strict`` extraction policy (boxed answers and answer phrases only) and
with the ``flexible`` one or each benchmark's default (:func:`prmlib.data.default_extraction`),
so that the gain of reading unboxed answers and its cost (wrong answers accepted) are measured
side by side.

1. **Reference solutions** of MATH500 and GSM8K test graded against their gold. Easy: MATH500's
   ``answer`` is the content of its solution's last box, GSM8K's gold is its ``####`` line.
2. **GSM8K without ``####``**: each reference with its ``#### 18`` line rewritten as a bare last
   line ``18`` (the last-line-number style of many models); and, harder, with the answer line
   dropped so that the last computation sentence ("... = $18 every day.") is all there is.
3. **Negative controls** on every benchmark: the response of row *i* against the gold of row
   *i+1*. A response is the row's reference solution where the data has one, else the sentence
   "Putting it together, we get <gold i>." (gold bare, and in ``$...$``). Accepted pairs should
   not exceed the pairs whose two golds are truly equal (``chance``); pairs accepted although the
   two golds differ are counted as ``beyond chance`` and printed.
4. **MATH500 shifted golds**: pairs (solution *i*, gold *i+1*) that the flexible policy accepts and
   the strict one rejects, on the reference solutions and on the same solutions with every
   ``\\boxed{X}`` replaced by ``X``.
5. **ProcessBench**: ``grade`` against the data's ``final_answer_correct`` flag, per subset
   (:func:`prmlib.eval.analysis.answer_agreement`), counting unextractable answers as wrong
   (``agreement``) and leaving them out (``agreement_extracted``); every disagreement is printed.
6. **No regression**: solutions graded right by ``strict`` and wrong by the default policy (must
   be none), over sections 1, 2 and 5.

Needs PRMLIB_DATA_DIR. Last line: one JSON object.

    PRMLIB_DATA_DIR=/path/to/data python benchmarks/grading_quality.py [--only processbench]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from prmlib.data import (
    ALL_BENCHMARKS,
    PROCESSBENCH_SPLITS,
    default_extraction,
    load_bon_benchmark,
    load_gsm8k,
    load_processbench,
    load_processbench_golds,
)
from prmlib.eval.analysis import answer_agreement
from prmlib.grading import Grader, is_equivalent

POLICIES = ("strict", "flexible")
SECTIONS = ("references", "gsm8k_no_hashes", "negative_controls", "math500_shifted", "processbench")
GRADER = Grader()  # one cache for the whole run
REGRESSIONS: list[str] = []


def _short(text: str | None, n: int = 70) -> str:
    return repr(text if text is None or len(text) <= n else text[: n - 3] + "...")


def _grade_all(name: str, texts: list[str], golds: list[str], policies=POLICIES, show_failures: str = "") -> dict:
    """Grade each text against its gold under each policy; print the failures of ``show_failures``."""
    out = {}
    verdicts = {}
    for policy in policies:
        ok = [GRADER.grade(t, g, policy) for t, g in zip(texts, golds)]
        verdicts[policy] = ok
        out[policy] = {"correct": sum(ok), "total": len(ok), "accuracy": round(sum(ok) / max(len(ok), 1), 5)}
    for policy in policies[1:]:
        for i, (a, b) in enumerate(zip(verdicts[policies[0]], verdicts[policy])):
            if a and not b:
                REGRESSIONS.append(f"{name} row {i} ({policy})")
    print(f"\n== {name}: " + ", ".join(f"{p} {v['correct']}/{v['total']}" for p, v in out.items()))
    if show_failures:
        fails = [i for i, ok in enumerate(verdicts[show_failures]) if not ok]
        for i in fails[:40]:
            print(f"  row {i}: gold={_short(golds[i])} extracted={_short(GRADER.extract(texts[i], golds[i], show_failures))}"
                  f" last line={_short(texts[i].strip().splitlines()[-1], 90)}")
        out[show_failures]["failed_rows"] = fails
    return out


def references() -> dict:
    math500, gsm8k = load_bon_benchmark("math500"), load_gsm8k("test")
    return {"math500": _grade_all("MATH500 reference solutions", math500["solution"], math500["gold"],
                                  show_failures="flexible"),
            "gsm8k_test": _grade_all("GSM8K test reference solutions", gsm8k["solution"], gsm8k["gold"],
                                     show_failures="flexible")}


def gsm8k_no_hashes() -> dict:
    gsm8k = load_gsm8k("test")
    bare, dropped = [], []
    for solution in gsm8k["solution"]:
        body, _, last = solution.rpartition("####")
        bare.append(body.rstrip() + "\n" + last.strip())
        dropped.append(body.rstrip())
    return {"last_line_kept": _grade_all("GSM8K test, '#### 18' rewritten as a last line '18'", bare, gsm8k["gold"],
                                         show_failures="flexible"),
            "answer_line_dropped": _grade_all("GSM8K test, answer line dropped (harder)", dropped, gsm8k["gold"],
                                              show_failures="flexible")}


def _responses(name: str, ds) -> list[tuple[str, list[str]]]:
    """(kind, responses) to pair with shifted golds: the reference solutions where the data has
    them, else a sentence stating gold i, with the gold bare and in ``$...$``."""
    if name == "olympiadbench":
        return [("reference solution", ["\n\n".join(s) for s in ds["solution"]])]
    if "solution" in ds.column_names and all(isinstance(s, str) and s for s in ds["solution"]):
        return [("reference solution", list(ds["solution"]))]
    return [("sentence, bare gold", [f"Putting it together, we get {g}." for g in ds["gold"]]),
            ("sentence, gold in $...$", [f"Putting it together, we get ${g}$." for g in ds["gold"]])]


def negative_controls() -> dict:
    out = {}
    print("\n== negative controls: response i against gold i+1 (accepted, chance = pairs with equal golds)")
    for name in ALL_BENCHMARKS:
        ds = load_bon_benchmark(name)
        golds = list(ds["gold"])
        n = len(golds)
        shifted = [golds[(i + 1) % n] for i in range(n)]
        chance = sum(is_equivalent(golds[i], shifted[i]) for i in range(n))
        policies = tuple(dict.fromkeys(POLICIES + (default_extraction(name),)))
        for kind, texts in _responses(name, ds):
            row = {"pairs": n, "response": kind, "chance": chance, "default_policy": default_extraction(name)}
            for policy in policies:
                accepted = [i for i in range(n) if GRADER.grade(texts[i], shifted[i], policy)]
                beyond = [i for i in accepted if not is_equivalent(golds[i], shifted[i])]
                row[policy] = len(accepted)
                row[f"{policy}_beyond_chance"] = len(beyond)
                for i in beyond[:5]:
                    print(f"  {name} {policy} row {i}: gold i={_short(golds[i])} gold i+1={_short(shifted[i])}"
                          f" extracted={_short(GRADER.extract(texts[i], shifted[i], policy))}")
            print(f"  {name} ({kind}, {n} pairs): chance {chance}; "
                  + ", ".join(f"{p} {row[p]} ({row[p + '_beyond_chance']} beyond chance)" for p in policies))
            out[f"{name} / {kind}"] = row
    return out


def math500_shifted() -> dict:
    ds = load_bon_benchmark("math500")
    golds = list(ds["gold"])
    n = len(golds)
    shifted = [golds[(i + 1) % n] for i in range(n)]
    unboxed = [re.sub(r"\\boxed\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}", r"\1", s) for s in ds["solution"]]
    out = {}
    for label, texts in (("reference", list(ds["solution"])), ("boxes_removed", unboxed)):
        strict = [GRADER.grade(t, g, "strict") for t, g in zip(texts, shifted)]
        flexible = [GRADER.grade(t, g, "flexible") for t, g in zip(texts, shifted)]
        auto = [GRADER.grade(t, g, "auto") for t, g in zip(texts, shifted)]
        only_flexible = [i for i in range(n) if flexible[i] and not strict[i]]
        wrong = [i for i in only_flexible if not is_equivalent(golds[i], shifted[i])]
        out[label] = {"strict": sum(strict), "flexible": sum(flexible), "auto": sum(auto),
                      "flexible_not_strict": len(only_flexible), "flexible_not_strict_wrong": len(wrong),
                      "chance": sum(is_equivalent(golds[i], shifted[i]) for i in range(n))}
        print(f"\n== MATH500 solution i against gold i+1 ({label}): {out[label]}")
        for i in only_flexible:
            print(f"  row {i}: gold i={_short(golds[i])} gold i+1={_short(shifted[i])}"
                  f" extracted={_short(GRADER.extract(texts[i], shifted[i], 'flexible'))}")
    return out


def processbench() -> dict:
    out = {}
    for split in PROCESSBENCH_SPLITS:
        rows = load_processbench(split)
        golds = load_processbench_golds(split)
        t0 = time.perf_counter()
        res = {"strict": answer_agreement(rows, golds, "strict", GRADER), "default": answer_agreement(rows, golds, None, GRADER)}
        policy = res["default"]["policy"]
        for row in rows:  # a row graded right by strict and wrong by the default is a regression
            gold = golds.get(row["problem"].strip())
            text = "\n\n".join(row["steps"])
            if gold is not None and GRADER.grade(text, gold, "strict") and not GRADER.grade(text, gold, policy):
                REGRESSIONS.append(f"processbench {row['id']}")
        for r in res.values():
            r["seconds"] = round(time.perf_counter() - t0, 1)
        d = res["default"]
        print(f"\n== ProcessBench {split}: agreement with final_answer_correct, unextractable counted wrong: "
              f"strict {res['strict']['agree']}/{res['strict']['graded']} ({100 * res['strict']['agreement']:.1f}%), "
              f"{d['policy']} {d['agree']}/{d['graded']} ({100 * d['agreement']:.1f}%); "
              f"among extracted: strict {res['strict']['agree_extracted']}/{res['strict']['extracted']}, "
              f"{d['policy']} {d['agree_extracted']}/{d['extracted']}; no gold: {d['no_gold']}; "
              f"no answer: strict {res['strict']['no_answer']}, {d['policy']} {d['no_answer']}")
        for x in d["disagreements"]:
            print(f"  {x['id']}: gold={_short(x['gold'])} extracted={_short(x['answer'])} flag={x['flag']} "
                  f"grader={x['graded']}")
        for r in res.values():
            r["disagreements"] = [x["id"] for x in r["disagreements"]]
            for key in ("agreement", "agreement_extracted"):
                r[key] = round(r[key], 5)
        out[split] = res
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections (repeatable)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    results = {}
    for section in args.only or SECTIONS:
        results[section] = globals()[section]()
    results["regressions"] = REGRESSIONS
    results["comparisons"] = GRADER.calls
    results["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"\n== no regression (right under strict, wrong under the default policy): {REGRESSIONS or 'none'}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
