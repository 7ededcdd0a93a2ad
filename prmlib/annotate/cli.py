"""``prmlib annotate mc|judge|consensus``: batch annotation jobs.

Examples::

    # MC labels for 500 synthetic solutions, early stopping, 4 shards (run i = 0..3 anywhere)
    prmlib annotate mc --synthetic 500 --out runs/ann --k 8 --strategy early_stop --shard 0 --num-shards 4
    # the same on real solutions with vLLM
    prmlib annotate mc --input sols.jsonl --out runs/ann --backend vllm \\
        --model Qwen/Qwen2.5-Math-7B-Instruct --dtype bfloat16 --cache-dir runs/gen-cache
    # judge them, then keep the solutions where MC and judge agree
    prmlib annotate judge --input sols.jsonl --out runs/ann --backend vllm --model Qwen/Qwen2.5-72B-Instruct \\
        --tp 4 --style paper
    prmlib annotate consensus --mc runs/ann --judge runs/ann --out runs/ann/consensus

Each command prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from prmlib.annotate.mc import FINAL_STEP_MODES, STRATEGIES
from prmlib.answer_forms import EXTRACTION_POLICIES


def register(subparsers) -> None:
    parser = subparsers.add_parser("annotate", help="step labels: MC estimation, LLM-as-a-judge, consensus",
                                   description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="annotate_command", metavar="SUBCOMMAND")

    mc = sub.add_parser("mc", help="Monte Carlo estimation of step labels")
    _add_input(mc, require_gold=True)
    _add_generator(mc)
    _add_job(mc)
    mc.add_argument("--k", type=int, default=8, help="completions per step (default 8)")
    mc.add_argument("--strategy", choices=STRATEGIES, default="exhaustive")
    mc.add_argument("--threshold", type=int, default=0,
                    help="hard label positive iff more than THRESHOLD of K completions are right (default 0)")
    mc.add_argument("--seed", type=int, default=0, help="base seed of the completions")
    mc.add_argument("--final-step", choices=FINAL_STEP_MODES, default="grade")
    mc.add_argument("--window", type=int, default=1, help="early_stop: undecided steps sampled at once")
    mc.add_argument("--extraction", choices=EXTRACTION_POLICIES, default=None,
                    help="how a rollout's final answer is read: strict (boxed / 'the answer is'), flexible (also "
                         "unboxed numbers), choice (a letter), auto (flexible when the gold is a number); default: "
                         "each solution's meta 'extraction', else the default of its 'benchmark' or 'source' "
                         "(synthetic: strict; unknown: auto)")
    mc.set_defaults(func=_run_mc)

    judge = sub.add_parser("judge", help="LLM-as-a-judge first-error indices")
    _add_input(judge, require_gold=False)
    _add_generator(judge, default_system=None)
    _add_job(judge)
    judge.add_argument("--style", choices=("paper", "critic"), default="paper")
    judge.add_argument("--samples", type=int, default=1, help="judge samples per solution (majority vote)")
    judge.add_argument("--seed", type=int, default=0)
    judge.add_argument("--no-texts", action="store_true", help="do not store the judge's texts")
    judge.set_defaults(func=_run_judge)

    cons = sub.add_parser("consensus", help="consensus filtering and the TRL stepwise dataset")
    cons.add_argument("--mc", required=True, help="MC output folder (mc*.jsonl) or file")
    cons.add_argument("--judge", help="judge output folder (judge*.jsonl) or file")
    cons.add_argument("--out", required=True, help="output folder (dataset/ and report.json)")
    cons.add_argument("--labels", choices=("hard", "soft", "judge"), default="hard")
    cons.add_argument("--threshold", type=int, default=None, help="hard-label threshold (default: the MC run's)")
    cons.add_argument("--no-filter", action="store_true", help="keep every solution (no consensus filtering)")
    cons.add_argument("--push-to-hub", metavar="REPO", help="also push the dataset to this hub repo")
    cons.set_defaults(func=_run_consensus)

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


# --------------------------------------------------------------------------- options
def _add_input(p: argparse.ArgumentParser, require_gold: bool) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="JSONL of solutions {problem, steps|response, gold}")
    src.add_argument("--synthetic", type=int, metavar="N", help="sample solutions to N synthetic problems")
    p.add_argument("--synthetic-seed", type=int, default=0)
    p.add_argument("--per-problem", type=int, default=1, help="synthetic: solutions per problem")
    p.add_argument("--difficulties", default="1,2,3,4,5", help="synthetic: levels, comma separated")
    p.set_defaults(require_gold=require_gold)


def _add_generator(p: argparse.ArgumentParser, default_system: str | None = "qwen-math") -> None:
    g = p.add_argument_group("generator")
    g.add_argument("--backend", choices=("synthetic", "vllm", "hf"), default="synthetic")
    g.add_argument("--model", help="hub id or local folder")
    g.add_argument("--tokenizer")
    g.add_argument("--dtype", default="auto")
    g.add_argument("--tp", "--tensor-parallel-size", dest="tp", type=int, default=1)
    g.add_argument("--temperature", type=float, default=None, help="default 0.7 (MC), 0.0 (judge, 1 sample)")
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--max-tokens", type=int, default=None, help="default 2048 (MC), 4096 (judge)")
    g.add_argument("--system-prompt", default=default_system,
                   help="'qwen-math' (the Qwen2.5-Math CoT prompt), 'none', or the text itself")
    g.add_argument("--stop", action="append", help="stop string (repeatable; \\n is decoded)")
    g.add_argument("--max-model-len", type=int)
    g.add_argument("--kv-cache-gib", type=float, help="vLLM KV-cache size (set it on CPU)")
    g.add_argument("--enforce-eager", action="store_true")
    g.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    g.add_argument("--hf-batch-size", type=int, default=16)
    g.add_argument("--cache-dir", help="on-disk cache of completions")
    g.add_argument("--config", help="YAML file with GeneratorConfig fields (command-line flags win)")


def _add_job(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--batch-size", type=int, default=64, help="solutions per batch (one append per batch)")
    p.add_argument("--shard", type=int, default=0)
    p.add_argument("--num-shards", type=int, default=1)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


# --------------------------------------------------------------------------- helpers
def _solutions(args):
    from prmlib.annotate.inputs import read_solutions, synthetic_solutions

    if args.input:
        return read_solutions(args.input, require_gold=args.require_gold)
    levels = [int(x) for x in str(args.difficulties).split(",") if x.strip()]
    return synthetic_solutions(args.synthetic, seed=args.synthetic_seed, difficulties=levels,
                               per_problem=args.per_problem)


def generator_config(args, judge: bool = False):
    """A :class:`GeneratorConfig` from the command-line options (and ``--config`` YAML)."""
    from prmlib.generation import QWEN_MATH_SYSTEM_PROMPT, GeneratorConfig

    data: dict = {}
    if args.config:
        import yaml

        with open(args.config, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{args.config}: expected a mapping of GeneratorConfig fields")
    system = args.system_prompt
    if system == "qwen-math":
        system = QWEN_MATH_SYSTEM_PROMPT
    elif system in (None, "none", ""):
        system = None
    data.update({"backend": args.backend, "dtype": args.dtype, "tensor_parallel_size": args.tp,
                 "top_p": args.top_p, "system_prompt": system, "enforce_eager": args.enforce_eager or
                 data.get("enforce_eager", False), "gpu_memory_utilization": args.gpu_memory_utilization,
                 "batch_size": args.hf_batch_size})
    for key, value in (("model", args.model), ("tokenizer", args.tokenizer), ("max_model_len", args.max_model_len),
                       ("cache_dir", args.cache_dir)):
        if value is not None:
            data[key] = value
    default_temp = (0.0 if getattr(args, "samples", 1) == 1 else 0.7) if judge else 0.7
    data["temperature"] = args.temperature if args.temperature is not None else data.get("temperature", default_temp)
    data["max_tokens"] = args.max_tokens or data.get("max_tokens", 4096 if judge else 2048)
    if args.stop:
        data["stop"] = [s.replace("\\n", "\n") for s in args.stop]
    if args.kv_cache_gib is not None:
        data["kv_cache_memory_bytes"] = int(args.kv_cache_gib * 2**30)
    if args.backend == "vllm":
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0" if _no_gpu() else "1")
    return GeneratorConfig.from_dict(data)


def _no_gpu() -> bool:
    try:
        import torch

        return not torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        return True


def _print(summary: dict) -> int:
    from prmlib.cli import print_json

    print_json(summary)
    return 0


# --------------------------------------------------------------------------- commands
def _run_mc(args) -> int:
    from prmlib.annotate.jobs import run_mc_job
    from prmlib.annotate.mc import solution_extraction
    from prmlib.generation import build_generator

    solutions = _solutions(args)
    if args.extraction:
        for sol in solutions:  # stored with each record (meta) and used by the grader
            sol.meta["extraction"] = args.extraction
    policies = sorted({solution_extraction(sol) for sol in solutions})
    cfg = generator_config(args)
    generator = build_generator(cfg)
    try:
        summary = run_mc_job(
            solutions, generator, args.out, k=args.k, strategy=args.strategy, threshold=args.threshold,
            seed=args.seed, final_step=args.final_step, window=args.window, batch_size=args.batch_size,
            shard=args.shard, num_shards=args.num_shards, generator_id=f"{cfg.backend}:{cfg.fingerprint()}",
            show_progress=not args.quiet,
        )
    finally:
        generator.close()
    summary["extraction"] = policies[0] if len(policies) == 1 else policies
    return _print(summary)


def _run_judge(args) -> int:
    from prmlib.annotate.jobs import run_judge_job

    solutions = _solutions(args)
    generator = None
    if args.backend == "synthetic":
        from prmlib.synth import SyntheticJudge

        judge = SyntheticJudge(seed=args.seed)
    else:
        from prmlib.annotate.judge import LLMJudge
        from prmlib.generation import build_generator

        generator = build_generator(generator_config(args, judge=True))
        judge = LLMJudge(generator, style=args.style, samples=args.samples, seed=args.seed)
    try:
        summary = run_judge_job(solutions, judge, args.out, batch_size=args.batch_size, shard=args.shard,
                                num_shards=args.num_shards, keep_texts=not args.no_texts,
                                show_progress=not args.quiet)
    finally:
        if generator is not None:
            generator.close()
    return _print(summary)


def _run_consensus(args) -> int:
    import time

    from prmlib.annotate.dataset import build_stepwise_dataset, push_to_hub
    from prmlib.annotate.store import read_records

    start = time.perf_counter()
    mc = read_records(args.mc, "mc")
    judge = read_records(args.judge, "judge") if args.judge else None
    consensus = not args.no_filter
    if consensus and judge is None:
        raise SystemExit("prmlib annotate consensus: --judge is needed unless --no-filter is given")
    ds, report = build_stepwise_dataset(mc, judge, labels=args.labels, threshold=args.threshold,
                                        consensus=consensus)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ds.save_to_disk(str(out / "dataset"))
    report.update({"command": "annotate consensus", "dataset": str(out / "dataset"),
                   "rollouts": int(sum(ds["rollouts"])) if len(ds) else 0,
                   "tokens": int(sum(ds["tokens"])) if len(ds) else 0})
    if args.push_to_hub:
        push_to_hub(ds, args.push_to_hub)
        report["pushed_to"] = args.push_to_hub
    report["seconds"] = round(time.perf_counter() - start, 3)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return _print(report)
