"""``prmlib lessons --profile P --seed S``: run every lesson, print the claims table and one JSON line.

Exit status 0 whatever the claims say (a claim that does not hold is a result); non-zero only when
something broke.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub) -> None:
    p = sub.add_parser("lessons", help="run the paper's lessons as experiments and check its claims",
                       description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="cpu", help="a shipped profile (smoke, cpu, cpu-vllm, ...) or a YAML path")
    p.add_argument("--seed", type=int, default=None, help="default: the profile's first seed")
    p.add_argument("--run-dir", default="runs", help="root of the run store (default: runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from prmlib.cli import print_json
    from prmlib.lessons.claims import all_claims, claims_table
    from prmlib.lessons.experiment import LessonRun
    from prmlib.lessons.profiles import load_profile

    t0 = time.perf_counter()
    try:
        profile = load_profile(args.profile)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        print(f"prmlib lessons: {exc}", file=sys.stderr)
        return 2
    lr = LessonRun(profile, seed=args.seed, run_dir=args.run_dir, progress=not args.no_progress)
    try:
        print(f"profile {profile.name} ({profile.description}), seed {lr.seed}, store {lr.root}", file=sys.stderr)
        if not profile.meaningful:
            print("NOTE: this profile proves that the chain runs; its numbers mean nothing.", file=sys.stderr)
        lr.train_all()
        claims = all_claims(lr)
    finally:
        lr.close()
    with pd.option_context("display.max_colwidth", 70, "display.width", 200):
        print(claims_table(claims)[["paper", "ours", "holds"]].to_string())
    seconds = time.perf_counter() - t0
    print(f"{sum(c.holds for c in claims)}/{len(claims)} claims hold; {seconds:.0f} s; "
          f"store: {lr.store.summary()}", file=sys.stderr)
    print_json({"profile": profile.name, "seed": lr.seed, "seconds": round(seconds, 1),
                "meaningful": profile.meaningful,
                "claims": {c.id: {"holds": bool(c.holds), "ours": c.ours, "paper": c.paper} for c in claims}})
    return 0
