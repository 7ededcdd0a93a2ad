"""Steps scored per second: single-pass batched PRM scoring against naive per-prefix scoring.

Synthetic solutions of ProcessBench-like shape (8-15 steps of 30-60 tokens each, problems of
40-100 tokens; measured in the tiny tokenizer's tokens) are scored by a tiny random Qwen2 token
classifier on CPU, five ways, side by side in one run, at each torch thread count asked for:

* ``naive``: every prefix ``steps[:i+1]`` in its own forward pass, reading its last separator
  (what scoring looks like without the single-pass observation);
* ``naive_batched``: the same prefixes batched like the default scorer batches solutions
  (length-sorted, same batch size and token budget): per-prefix scoring at its best, the
  like-for-like control for ``batched``;
* ``single``: one forward pass per solution, unbatched;
* ``batched_16``: single pass, batches of 16 sequences sorted by length, no token budget;
* ``batched_unsorted``: the default scorer's batching, in input order;
* ``batched``: the default scorer: sorted by length, batches of at most 16 sequences and, on CPU,
  at most ``CPU_MAX_BATCH_TOKENS`` padded tokens (``max_batch_tokens="auto"``);
* ``budget_N`` (with ``--budget-sweep``): the same with a budget of N tokens.

Also reported: padding efficiency (real tokens / padded tokens) of length-sorted against unsorted
batches, and the largest difference between single-pass and naive scores (they must agree).
Padding efficiency is reported on the timed set and, from token counts alone, on a
ProcessBench-sized set of 3,400 solutions (the bucketing the scorer uses). The last line printed
is one JSON object; its top-level speedups are those at torch's default thread count.

    python benchmarks/scoring_speed.py                 # tiny model (hidden 64, 2 layers), 1 and all threads
    python benchmarks/scoring_speed.py --hidden 256 --layers 4 --heads 8 --threads 1
    python benchmarks/scoring_speed.py --processbench   # real ProcessBench solutions ($PRMLIB_DATA_DIR)
    python benchmarks/scoring_speed.py --budget-sweep 1024,4096,8192
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = ["we", "compute", "the", "total", "number", "of", "apples", "so", "that", "then", "since", "therefore", "let", "x", "be", "value", "of", "sum", "product", "difference", "equation", "gives", "us", "solve", "for", "each", "side", "divide", "multiply", "add", "subtract", "both", "hence", "it", "follows", "area", "triangle", "circle", "radius", "angle", "probability", "answer", "remaining", "equals"]


class TextMaker:
    """Maths-flavoured text with a chosen number of tokens (word token counts are cached, so
    thousands of solutions are cheap to make; the scorer re-tokenises the result exactly)."""

    def __init__(self, tok, seed: int):
        self.tok = tok
        self.rng = random.Random(seed)
        self.cache: dict[str, int] = {}

    def _count(self, piece: str) -> int:
        if piece not in self.cache:
            self.cache[piece] = len(self.tok.encode(" " + piece, add_special_tokens=False))
        return self.cache[piece]

    def text(self, lo: int, hi: int) -> str:
        target = self.rng.randint(lo, hi)
        words, count = [], 1  # the final "."
        while count < target:
            if self.rng.random() < 0.25:
                a, b = self.rng.randint(2, 99), self.rng.randint(2, 99)
                piece = f"{a} + {b} = {a + b}"
            else:
                piece = self.rng.choice(WORDS)
            words.append(piece)
            count += self._count(piece)
        return " ".join(words).capitalize() + "."


def make_solutions(n: int, tok, seed: int):
    maker = TextMaker(tok, seed)
    problems, steps = [], []
    for _ in range(n):
        problems.append(maker.text(40, 100) + " What is the answer?")
        steps.append([maker.text(30, 60) for _ in range(maker.rng.randint(8, 15))])
    return problems, steps


def processbench_solutions(n: int | None, seed: int):
    """``n`` real ProcessBench solutions (problem and steps as released), drawn evenly from the
    four subsets of the local copy named by ``$PRMLIB_DATA_DIR`` (a subset smaller than its share
    gives all its rows); ``None``: all 3,400."""
    from prmlib.data.processbench import PROCESSBENCH_SPLITS, load_processbench

    rng = random.Random(seed)
    rows = []
    for i, split in enumerate(PROCESSBENCH_SPLITS):
        data = load_processbench(split)
        take = len(data) if n is None else n // len(PROCESSBENCH_SPLITS) + (i < n % len(PROCESSBENCH_SPLITS))
        rows += [data[j] for j in rng.sample(range(len(data)), min(take, len(data)))]
    rng.shuffle(rows)
    return [r["problem"] for r in rows], [list(r["steps"]) for r in rows]


def padding_efficiency(lengths, batch_size: int, sort: bool, max_batch_tokens: int | None = None) -> float:
    from prmlib.prm.score import length_buckets

    batches = length_buckets(lengths, batch_size, max_batch_tokens, sort=sort)
    return sum(lengths) / sum(max(lengths[i] for i in b) * len(b) for b in batches)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def thread_counts(spec: str) -> list[int]:
    """``"1,all"`` -> ``[1, os.cpu_count()]`` (duplicates dropped, order kept)."""
    out: list[int] = []
    for part in spec.split(","):
        n = os.cpu_count() or 1 if part.strip() == "all" else int(part)
        if n < 1:
            raise ValueError(f"thread counts must be positive, got {n}")
        if n not in out:
            out.append(n)
    return out


def time_methods(runs: dict, rounds: int) -> tuple[dict, dict]:
    """Best wall time of each method over ``rounds`` interleaved rounds, and its last output.

    Load on a shared machine drifts, so every method is timed in every round rather than all
    rounds of one method after another."""
    best = {name: float("inf") for name in runs}
    outputs = {}
    for _ in range(rounds):
        for name, fn in runs.items():
            outputs[name], seconds = timed(fn)
            best[name] = min(best[name], seconds)
    return best, outputs


def main(argv=None) -> dict:
    import torch

    from prmlib.prm.adapters import TRLStepAdapter
    from prmlib.prm.score import PRMScorer
    from prmlib.tiny import build_tiny_prm, build_tokenizer

    default_threads = torch.get_num_threads()  # what a user's PRMScorer runs with
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solutions", type=int, default=64, help="solutions for the timed single-pass runs")
    ap.add_argument("--naive-solutions", type=int, default=None,
                    help="solutions for the (slow) per-prefix runs: the first N (default: all of them, so "
                         "every method scores the same solutions)")
    ap.add_argument("--padding-solutions", type=int, default=3400,
                    help="solutions (tokenised only) for padding efficiency at ProcessBench size "
                         "(with --processbench: all 3,400)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-batch-tokens", default="auto",
                    help="token budget of the default scorer: 'auto' (CPU_MAX_BATCH_TOKENS on CPU) or a number")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (best time kept)")
    ap.add_argument("--threads", default=f"1,{default_threads}",
                    help="comma-separated torch thread counts, each timed in turn in this run "
                         "(default: 1 and torch's default on this machine)")
    ap.add_argument("--budget-sweep", default="",
                    help="comma-separated token budgets also timed in the same rounds (e.g. 1024,4096)")
    ap.add_argument("--processbench", action="store_true",
                    help="time real ProcessBench solutions ($PRMLIB_DATA_DIR) instead of synthetic ones")
    ap.add_argument("--pb-vocab", type=int, default=16384,
                    help="with --processbench: vocabulary of the tokenizer trained on ProcessBench's texts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    threads = thread_counts(args.threads)
    load_before = os.getloadavg()[0]

    if args.processbench:
        problems, steps = processbench_solutions(args.solutions, args.seed)
        # a tokenizer trained on ProcessBench itself: about 3 characters per token, near a real
        # maths LM's tokenizer (the built-in tiny one splits this text about twice as finely)
        everything, all_steps = processbench_solutions(None, args.seed + 1)
        tok = build_tokenizer(everything + [x for s in all_steps for x in s], vocab_size=args.pb_vocab)
    else:
        tok = build_tokenizer()
        problems, steps = make_solutions(args.solutions, tok, args.seed)
    # room for the longest solution, so that no step is cut and every method scores every step
    # (real ProcessBench solutions run to 3,700 tokens in the tiny tokenizer)
    longest = max(len(TRLStepAdapter().encode(tok, p, s)[0].input_ids) for p, s in zip(problems, steps))
    room = 2048
    while room < longest:
        room *= 2
    tok.model_max_length = room
    model = build_tiny_prm(tok, hidden_size=args.hidden, num_hidden_layers=args.layers,
                           num_attention_heads=args.heads, max_position_embeddings=room).eval()
    n_steps = sum(len(s) for s in steps)
    k = args.solutions if args.naive_solutions is None else min(args.naive_solutions, args.solutions)
    naive_steps = sum(len(s) for s in steps[:k])

    budget = args.max_batch_tokens if args.max_batch_tokens == "auto" else int(args.max_batch_tokens)
    batched = PRMScorer(model, tok, batch_size=args.batch_size, max_batch_tokens=budget, show_progress=False)
    unsorted = PRMScorer(model, tok, batch_size=args.batch_size, max_batch_tokens=budget, show_progress=False,
                         bucket_by_length=False)
    no_budget = PRMScorer(model, tok, batch_size=args.batch_size, max_batch_tokens=None, show_progress=False)
    single = PRMScorer(model, tok, batch_size=1, show_progress=False)
    runs = {
        "naive": lambda: batched.score_per_prefix(problems[:k], steps[:k]),
        "naive_batched": lambda: batched.score_per_prefix(problems[:k], steps[:k], batched=True),
        "single": lambda: single.score(problems, steps),
        "batched_16": lambda: no_budget.score(problems, steps),
        "batched_unsorted": lambda: unsorted.score(problems, steps),
        "batched": lambda: batched.score(problems, steps),
    }
    for n_tokens in (int(x) for x in args.budget_sweep.split(",") if x.strip()):
        sweep = PRMScorer(model, tok, batch_size=args.batch_size, max_batch_tokens=n_tokens, show_progress=False)
        runs[f"budget_{n_tokens}"] = lambda sweep=sweep: sweep.score(problems, steps)
    counted = {name: n_steps for name in runs}
    counted["naive"] = counted["naive_batched"] = naive_steps

    by_threads = {}
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        batched.score(problems[:4], steps[:4])  # warm-up
        best, outputs = time_methods(runs, args.rounds)
        rate = {name: counted[name] / best[name] for name in runs}
        single_scores, naive_scores, batched_scores = outputs["single"], outputs["naive"], outputs["batched"]
        by_threads[str(n_threads)] = {
            "steps_per_second": {name: round(v, 1) for name, v in rate.items()},
            "speedup_batched_vs_naive": round(rate["batched"] / rate["naive"], 2),
            "speedup_single_vs_naive": round(rate["single"] / rate["naive"], 2),
            "speedup_batched_vs_naive_batched": round(rate["batched"] / rate["naive_batched"], 2),
            "speedup_sorted_vs_unsorted": round(rate["batched"] / rate["batched_unsorted"], 2),
            "speedup_budget_vs_batched_16": round(rate["batched"] / rate["batched_16"], 2),
            "max_abs_diff": {
                "single_vs_naive": max(abs(a - b) for r1, r2 in zip(single_scores[:k], naive_scores)
                                       for a, b in zip(r1, r2)),
                "naive_batched_vs_naive": max(abs(a - b) for r1, r2 in zip(outputs["naive_batched"], naive_scores)
                                              for a, b in zip(r1, r2)),
                "batched_vs_single": max(abs(a - b) for r1, r2 in zip(single_scores, batched_scores)
                                         for a, b in zip(r1, r2)),
            },
        }
    torch.set_num_threads(default_threads)
    cut = batched.last_stats.truncated_steps + single.last_stats.truncated_steps
    if cut:
        raise RuntimeError(f"{cut} steps were cut at max_length={room}: the comparison would be unfair")
    timed_eff = {"sorted": batched.last_stats.padding_efficiency,
                 "unsorted": unsorted.last_stats.padding_efficiency,
                 "batched_16": no_budget.last_stats.padding_efficiency}

    tokens = [len(batched.encode(p, s)[0].input_ids) for p, s in zip(problems, steps)]
    naive_tokens = sum(len(batched.encode(p, s[: i + 1])[0].input_ids)
                       for p, s in zip(problems[:k], steps[:k]) for i in range(len(s)))
    # tokens the naive method feeds the model per token of the single pass (its ideal speedup,
    # before per-call overhead and attention's quadratic cost)
    token_ratio = naive_tokens / sum(tokens[:k])
    if args.processbench:
        big_problems, big_steps = everything, all_steps  # all 3,400
    else:
        big_problems, big_steps = make_solutions(args.padding_solutions, tok, args.seed + 1)
    big = [len(batched.encode(p, s)[0].input_ids) for p, s in zip(big_problems, big_steps)]
    headline = by_threads[str(default_threads)] if str(default_threads) in by_threads else by_threads[str(threads[-1])]
    result = {
        "benchmark": "scoring_speed",
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_default_threads": default_threads,
                    "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                    "torch": torch.__version__},
        "model": {"arch": "Qwen2ForTokenClassification (random)", "hidden": args.hidden, "layers": args.layers,
                  "heads": args.heads, "dtype": "float32", "device": "cpu"},
        "data": {"source": "ProcessBench (4 subsets)" if args.processbench else "synthetic",
                 "tokenizer_vocab": len(tok),
                 "solutions": args.solutions, "naive_solutions": k, "steps": n_steps,
                 "steps_per_solution": round(n_steps / args.solutions, 2),
                 "tokens_per_solution_mean": round(sum(tokens) / len(tokens), 1),
                 "tokens_min": min(tokens), "tokens_max": max(tokens), "max_length": room},
        "batch_size": args.batch_size,
        "max_batch_tokens": batched.max_batch_tokens,
        "rounds": args.rounds,
        "by_threads": by_threads,
        "headline_threads": int(next(t for t, v in by_threads.items() if v is headline)),
        "speedup_batched_vs_naive": headline["speedup_batched_vs_naive"],
        "speedup_single_vs_naive": headline["speedup_single_vs_naive"],
        "speedup_batched_vs_naive_batched": headline["speedup_batched_vs_naive_batched"],
        "tokens_naive_over_single": round(token_ratio, 2),
        "padding_efficiency_timed_set": {key: round(v, 4) for key, v in timed_eff.items()},
        "padding_efficiency": {
            # batches of batch_size sequences, no token budget (the bucketing on its own)
            "solutions": len(big),
            "sorted": round(padding_efficiency(big, args.batch_size, True), 4),
            "unsorted": round(padding_efficiency(big, args.batch_size, False), 4),
            "sorted_with_budget": round(padding_efficiency(big, args.batch_size, True, batched.max_batch_tokens), 4),
            "unsorted_with_budget": round(padding_efficiency(big, args.batch_size, False, batched.max_batch_tokens), 4),
        },
        "targets": {"speedup_batched_vs_naive": 8.0, "padding_efficiency_sorted": 0.95},
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
