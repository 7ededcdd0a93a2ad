"""``prmlib lessons --profile P --seed S``: run every lesson, print the claims table and one JSON line.

Exit status 0 whatever the claims say (a claim that does not hold is a result); non-zero only when
something broke. ``--seeds 0 1 2`` runs several seeds in turn and ends with a claim-by-seed table
(Markdown); ``--stored-only`` trains nothing and reports what the store already holds.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub) -> None:
    p = sub.add_parser("lessons", help="run the paper's lessons as experiments and check its claims",
                       description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="cpu", help="a shipped profile (smoke, cpu, cpu-vllm, ...) or a YAML path")
    seed = p.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int, default=None, help="default: the profile's first seed")
    seed.add_argument("--seeds", type=int, nargs="+", default=None, metavar="S",
                      help="several seeds in turn, then one claim-by-seed table")
    p.add_argument("--stored-only", action="store_true",
                   help="train no PRM: claims that need a PRM missing from the store read 'not measured'")
    p.add_argument("--run-dir", default="runs", help="root of the run store (default: runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--skip-preflight", action="store_true",
                   help="start even if the GPU, a model or the data the profile needs looks missing")
    p.set_defaults(func=run)


def _one_seed(profile, seed, args):
    """Every claim of one seed, with its claims table printed; returns (run seed, claims)."""
    import pandas as pd

    from prmlib.lessons.claims import all_claims, claims_table
    from prmlib.lessons.experiment import LessonRun

    t0 = time.perf_counter()
    lr = LessonRun(profile, seed=seed, run_dir=args.run_dir, progress=not args.no_progress,
                   stored_only=args.stored_only)
    try:
        print(f"profile {profile.name} ({profile.description}), seed {lr.seed}, store {lr.root}", file=sys.stderr)
        if not profile.meaningful:
            print("NOTE: this profile proves that the chain runs; its numbers mean nothing.", file=sys.stderr)
        lr.train_all()
        claims = all_claims(lr)
    finally:
        lr.close()
    from prmlib.lessons.seed_claims import record

    record(lr.root, [{"id": c.id, "holds": c.holds, "ours": c.ours, "paper": c.paper} for c in claims])
    with pd.option_context("display.max_colwidth", 70, "display.width", 200):
        print(claims_table(claims)[["paper", "ours", "holds"]].to_string())
    if lr.skipped:
        print("PRMs skipped: " + "; ".join(f"{n} ({why})" for n, why in lr.skipped.items()), file=sys.stderr)
    print(f"seed {lr.seed}: {sum(c.holds for c in claims)}/{len(claims)} claims hold; "
          f"{time.perf_counter() - t0:.0f} s; store: {lr.store.summary()}", file=sys.stderr)
    return lr.seed, claims


def _claims_json(claims) -> dict:
    return {c.id: {"holds": bool(c.holds), "ours": c.ours, "paper": c.paper} for c in claims}


def run(args: argparse.Namespace) -> int:
    from prmlib.cli import print_json
    from prmlib.lessons.claims import seeds_table
    from prmlib.lessons.display import markdown_table
    from prmlib.lessons.profiles import load_profile
    from prmlib.lessons.provenance import code_version

    t0 = time.perf_counter()
    try:
        profile = load_profile(args.profile)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        print(f"prmlib lessons: {exc}", file=sys.stderr)
        return 2
    if not (args.stored_only or args.skip_preflight):  # a stored-only run loads no model
        from prmlib.lessons.preflight import PreflightError, require

        try:
            require(profile)
        except PreflightError as exc:
            print(f"prmlib lessons: {exc}\n(--skip-preflight starts anyway)", file=sys.stderr)
            return 2
    if args.seeds is None:
        seed, claims = _one_seed(profile, args.seed, args)
        print_json({"profile": profile.name, "seed": seed, "seconds": round(time.perf_counter() - t0, 1),
                    "meaningful": profile.meaningful, "stored_only": args.stored_only, "code": code_version(),
                    "claims": _claims_json(claims)})
        return 0
    by_seed = dict(_one_seed(profile, s, args) for s in args.seeds)
    print()
    print(markdown_table(seeds_table(by_seed), caption=f"{profile.name}: claims by seed"))
    print_json({"profile": profile.name, "seeds": list(by_seed), "seconds": round(time.perf_counter() - t0, 1),
                "meaningful": profile.meaningful, "stored_only": args.stored_only, "code": code_version(),
                "claims": {str(s): _claims_json(c) for s, c in by_seed.items()}})
    return 0
