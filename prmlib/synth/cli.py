"""``prmlib synth``: look at the synthetic world and measure its calibration.

* ``prmlib synth stats --seed 0 --n 200``: per difficulty, accuracy, the share of right-answer
  solutions with a wrong step, mean steps, and Monte Carlo hard-label precision/recall of wrong
  steps; a table, then one JSON object as the last line.
* ``prmlib synth sample --difficulty 3 --n 2 --seed 0``: example problems and solutions with the
  exact verifier's verdict on every step.
* ``prmlib synth speed``: continuations per second of the synthetic policy (the MC workload:
  ``k`` continuations of every prefix of one solution per problem); last line JSON.
"""

from __future__ import annotations

import argparse

from prmlib.synth.problems import LEVELS, SURFACES


def register(subparsers) -> None:
    p = subparsers.add_parser("synth", help="the synthetic arithmetic world", description=__doc__)
    sub = p.add_subparsers(dest="synth_command", metavar="SUBCOMMAND")

    s = sub.add_parser("stats", help="calibration table per difficulty (last line: JSON)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--n", type=int, default=200, help="problems per difficulty (default 200)")
    s.add_argument("--samples", type=int, default=1, help="solutions per problem (default 1)")
    s.add_argument("--k", type=int, default=8, help="MC continuations per step (default 8)")
    s.add_argument("--difficulties", type=_levels, default=tuple(LEVELS),
                   help="comma-separated levels, e.g. 1,3,5 (default: all)")
    s.add_argument("--surface", choices=SURFACES, default="local",
                   help="local (default): small numbers, steps restating relation and values, computations as sums "
                        "or products (prmlib.synth.surface); plain: the first surface, larger numbers")
    s.set_defaults(func=_stats)

    e = sub.add_parser("sample", help="print example solutions with their step verdicts")
    e.add_argument("--difficulty", type=int, default=3, choices=sorted(LEVELS))
    e.add_argument("--n", type=int, default=3, help="problems (default 3)")
    e.add_argument("--samples", type=int, default=2, help="solutions per problem (default 2)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--surface", choices=SURFACES, default="local")
    e.set_defaults(func=_sample)

    b = sub.add_parser("speed", help="continuations per second of the synthetic policy (last line: JSON)")
    b.add_argument("--n", type=int, default=200, help="problems per difficulty (default 200)")
    b.add_argument("--k", type=int, default=8, help="continuations per prefix (default 8)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--repeats", type=int, default=3, help="timed repeats; the best is reported")
    b.set_defaults(func=_speed)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    bad = [d for d in levels if d not in LEVELS]
    if bad or not levels:
        raise argparse.ArgumentTypeError(f"difficulties must be in {sorted(LEVELS)}, got {text!r}")
    return levels


def _stats(args) -> int:
    import platform
    import time

    from prmlib.cli import print_json
    from prmlib.synth.stats import calibrate

    if args.n <= 0 or args.samples <= 0 or args.k <= 0:
        raise SystemExit("prmlib synth stats: --n, --samples and --k must be positive")
    t0 = time.perf_counter()
    rows = calibrate(n=args.n, seed=args.seed, difficulties=args.difficulties, k=args.k,
                     samples=args.samples, progress=True, surface=args.surface)
    seconds = time.perf_counter() - t0
    head = (f"{'level':>5} {'solutions':>9} {'accuracy':>8} {'wrong|right':>11} {'steps':>5} "
            f"{'MC prec':>7} {'MC rec':>6} {'MC false-wrong':>14} {'MC missed':>9} {'MC acc':>6} {'judge acc':>9}")
    print(f"Synthetic world, seed {args.seed}, {args.n} problems x {args.samples} solution(s) per level, "
          f"MC with k={args.k} (hard label: wrong when 0/{args.k} continuations reach the gold answer)")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r.difficulty:>5} {r.solutions:>9} {r.accuracy:>8.3f} {r.wrong_step_given_right:>11.3f} "
              f"{r.mean_steps:>5.2f} {r.mc_precision:>7.3f} {r.mc_recall:>6.3f} "
              f"{r.mc_false_wrong_rate:>14.3f} {r.mc_missed_rate:>9.3f} "
              f"{r.mc_first_error_accuracy:>6.3f} {r.judge['accuracy']:>9.3f}")
    print("wrong|right: share of right-answer solutions that contain a wrong step (paper Fig. 6: "
          "5.1% GSM8K, 11.9% MATH, 27.4% OlympiadBench, 43.4% Omni-MATH).")
    print("MC prec/rec: of the hard label 'this step is wrong', against the exact verifier, on steps up "
          "to and including each solution's first error. MC acc / judge acc: share of solutions "
          "where MC's (first step with 0/k) or the synthetic judge's first error is exactly the verifier's.")
    print_json({
        "command": "synth stats", "surface": args.surface, "seed": args.seed, "n": args.n, "samples": args.samples, "k": args.k,
        "seconds": round(seconds, 2), "machine": platform.machine(),
        "levels": {str(r.difficulty): r.as_dict() for r in rows},
    })
    return 0


def _sample(args) -> int:
    from prmlib.synth.policy import SyntheticPolicy
    from prmlib.synth.problems import make_problems
    from prmlib.synth.stats import sample_solutions
    from prmlib.synth.verifier import check_steps

    problems = make_problems(args.n, args.difficulty, seed=args.seed, surface=args.surface)
    sols = sample_solutions(problems, SyntheticPolicy(surface=args.surface), n=args.samples, seed=args.seed)
    by_problem = {p.text: p for p in problems}
    last = None
    for sol in sols:
        p = by_problem[sol.problem]
        if p is not last:
            print("=" * 100)
            print(f"[{p.id}] difficulty {p.difficulty}, gold {p.gold}")
            print(p.text)
            last = p
        fe = sol.meta["first_error"]
        verdict = "right" if sol.meta["answer_correct"] else "WRONG"
        where = "none" if fe < 0 else f"step {fe} ({sol.meta['error_kind']})"
        print(f"--- solution {sol.meta['id']}: answer {verdict}, first error: {where}")
        for i, (step, kind) in enumerate(zip(sol.steps, check_steps(p, sol.steps))):
            mark = "ok " if kind is None else "BAD"
            note = "" if kind is None else f"   <- {kind}"
            print(f"  {i:>2} {mark} {step}{note}")
    return 0


def _speed(args) -> int:
    import os
    import platform
    import time

    from prmlib.cli import print_json
    from prmlib.solution import split_steps
    from prmlib.synth.policy import SyntheticPolicy
    from prmlib.synth.problems import make_problems

    policy = SyntheticPolicy()
    problems, prefixes = [], []
    for d in LEVELS:
        ps = make_problems(args.n, d, seed=args.seed)
        for p, row in zip(ps, policy.sample([p.text for p in ps], 1, seed=args.seed)):
            steps = split_steps(row[0].text)
            for i in range(len(steps)):
                problems.append(p.text)
                prefixes.append(steps[: i + 1])
    best = {}
    for name, call in (
        ("continue_steps", lambda: policy.continue_steps(problems, prefixes, args.k, seed=args.seed + 1)),
        ("continue_steps_seeded", lambda: policy.continue_steps_seeded(
            problems, prefixes, [args.k] * len(problems), list(range(len(problems))))),
    ):
        times = []
        for _ in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        best[name] = len(problems) * args.k / min(times)
        print(f"{name:>22}: {best[name]:>10,.0f} continuations/s ({len(problems)} prefixes x {args.k})")
    print_json({"command": "synth speed", "prefixes": len(problems), "k": args.k,
                "continuations_per_second": {k: round(v) for k, v in best.items()},
                "machine": platform.machine(), "cpus": os.cpu_count(),
                "load_avg": [round(x, 2) for x in os.getloadavg()]})
    return 0
