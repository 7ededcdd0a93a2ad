"""Cost of MC estimation strategies on the synthetic world, measured side by side.

Protocol: sample solutions to synthetic problems at every difficulty with the default
``SyntheticPolicy`` (distinct solutions only), then label every solution with MC estimation
(K completions per step, hard threshold 0 = "any completion correct") three ways, with the same
policy and seed, so all three see the same completion stream:

* ``exhaustive``: K completions for every step (the paper's procedure);
* ``early_stop``: rounds of 1, 1, 2, 4 completions, a step stops once its label is decided, a
  solution stops at its first negative step; its labels must be IDENTICAL to exhaustive;
* ``binary_search``: OmegaPRM-style search for the first negative step (assumes a failed prefix
  never recovers), each probe stopped early.

Reported: completions (rollouts) and generated tokens per labelled solution, the saving factors
against exhaustive, the label identity of early stopping, and the first-error agreement of binary
search with exhaustive per difficulty, next to how often the monotonicity assumption is broken in
the exhaustive counts (some negative step followed by a positive one) and the agreement of each
with the exact verifier. Targets: early_stop >= 3x fewer completions with identical labels,
binary_search >= 4x fewer.

    python benchmarks/mc_cost.py --per-level 100 --per-problem 2

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict


def _violates_monotone(counts, threshold) -> bool:
    labels = [c > threshold for c in counts]
    return any(not labels[i] and any(labels[i + 1 :]) for i in range(len(labels)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-level", type=int, default=100, help="problems per difficulty level (1..5)")
    ap.add_argument("--per-problem", type=int, default=2, help="sampled solutions per problem")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--threshold", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from prmlib.annotate.inputs import synthetic_solutions
    from prmlib.annotate.mc import mc_estimate
    from prmlib.synth import SyntheticPolicy, first_error

    policy = SyntheticPolicy()
    sols, seen = [], set()
    for s in synthetic_solutions(5 * args.per_level, seed=args.seed, per_problem=args.per_problem, policy=policy):
        key = (s.problem, tuple(s.steps))
        if key not in seen:
            seen.add(key)
            sols.append(s)
    truth = [first_error(s.problem, s.steps) for s in sols]

    results, seconds = {}, {}
    for strategy in ("exhaustive", "early_stop", "binary_search"):
        start = time.perf_counter()
        results[strategy] = mc_estimate(sols, policy, k=args.k, strategy=strategy, threshold=args.threshold,
                                        seed=args.seed, show_progress=False)
        seconds[strategy] = round(time.perf_counter() - start, 3)

    n = len(sols)
    ex, es, bs = results["exhaustive"], results["early_stop"], results["binary_search"]
    per_sol = {s: sum(r.rollouts for r in v) / n for s, v in results.items()}
    tok_sol = {s: sum(r.tokens for r in v) / n for s, v in results.items()}
    identical = sum(a.labels == b.labels for a, b in zip(ex, es))

    by_level: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for i, sol in enumerate(sols):
        d = by_level[sol.meta["difficulty"]]
        d["solutions"] += 1
        d["binary_agrees_exhaustive"] += bs[i].first_error == ex[i].first_error
        d["monotone_broken"] += _violates_monotone(ex[i].counts, args.threshold)
        d["exhaustive_matches_truth"] += ex[i].first_error == truth[i]
        d["binary_matches_truth"] += bs[i].first_error == truth[i]
        d["rollouts_exhaustive"] += ex[i].rollouts
        d["rollouts_early_stop"] += es[i].rollouts
        d["rollouts_binary_search"] += bs[i].rollouts
    per_difficulty = {}
    for level in sorted(by_level):
        d = by_level[level]
        m = d["solutions"]
        per_difficulty[str(level)] = {
            "solutions": int(m),
            "binary_first_error_agreement": round(d["binary_agrees_exhaustive"] / m, 4),
            "monotone_assumption_broken": round(d["monotone_broken"] / m, 4),
            "exhaustive_first_error_matches_truth": round(d["exhaustive_matches_truth"] / m, 4),
            "binary_first_error_matches_truth": round(d["binary_matches_truth"] / m, 4),
            "completions_per_solution": {s: round(d[f"rollouts_{s}"] / m, 2)
                                         for s in ("exhaustive", "early_stop", "binary_search")},
        }
        print(f"difficulty {level}: {int(m):4d} solutions | completions/solution exhaustive "
              f"{d['rollouts_exhaustive'] / m:6.1f} early_stop {d['rollouts_early_stop'] / m:5.1f} "
              f"binary {d['rollouts_binary_search'] / m:5.1f} | binary agrees {d['binary_agrees_exhaustive'] / m:.3f}"
              f" | monotone broken {d['monotone_broken'] / m:.3f}")

    early_ratio = per_sol["exhaustive"] / per_sol["early_stop"]
    binary_ratio = per_sol["exhaustive"] / per_sol["binary_search"]
    summary = {
        "benchmark": "mc_cost",
        "world": "synthetic (default SyntheticPolicy)",
        "machine": f"{platform.machine()} {platform.system()}, CPU",
        "k": args.k,
        "threshold": args.threshold,
        "solutions": n,
        "clean_by_exhaustive": sum(r.first_error == -1 for r in ex),
        "completions_per_solution": {s: round(v, 2) for s, v in per_sol.items()},
        "tokens_per_solution": {s: round(v, 1) for s, v in tok_sol.items()},
        "early_stop_saving": round(early_ratio, 2),
        "binary_search_saving": round(binary_ratio, 2),
        "early_stop_identical_labels": identical == n,
        "early_stop_identical_count": identical,
        "binary_first_error_agreement": round(sum(a.first_error == b.first_error for a, b in zip(ex, bs)) / n, 4),
        "monotone_assumption_broken": round(sum(_violates_monotone(r.counts, args.threshold) for r in ex) / n, 4),
        "per_difficulty": per_difficulty,
        "seconds": seconds,
        "targets_met": {"early_stop_3x_identical": early_ratio >= 3 and identical == n,
                        "binary_search_4x": binary_ratio >= 4},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
