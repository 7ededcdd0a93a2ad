"""Steps scored per second: single-pass batched PRM scoring against naive per-prefix scoring.

Synthetic solutions of ProcessBench-like shape (8-15 steps of 30-60 tokens each, problems of
40-100 tokens; measured in the tiny tokenizer's tokens) are scored by a tiny random Qwen2 token
classifier on CPU, four ways, side by side in one run:

* ``naive``: every prefix ``steps[:i+1]`` in its own forward pass, reading its last separator
  (what scoring looks like without the single-pass observation);
* ``single``: one forward pass per solution, unbatched;
* ``batched_unsorted``: single pass, batches in input order;
* ``batched``: single pass, batches of sequences sorted by length (the default scorer).

Also reported: padding efficiency (real tokens / padded tokens) of length-sorted against unsorted
batches, and the largest difference between single-pass and naive scores (they must agree).
Padding efficiency is reported on the timed set and, from token counts alone, on a
ProcessBench-sized set of 3,400 solutions (the bucketing the scorer uses). The last line printed is one JSON object.

    python benchmarks/scoring_speed.py                 # tiny model (hidden 64, 2 layers)
    python benchmarks/scoring_speed.py --hidden 256 --layers 4 --heads 8
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


def padding_efficiency(lengths, batch_size: int, sort: bool) -> float:
    from prmlib.prm.score import length_buckets

    batches = length_buckets(lengths, batch_size, sort=sort)
    return sum(lengths) / sum(max(lengths[i] for i in b) * len(b) for b in batches)


def timed(fn, repeats: int):
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main(argv=None) -> dict:
    import torch

    from prmlib.prm.score import PRMScorer
    from prmlib.tiny import build_tiny_prm, build_tokenizer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solutions", type=int, default=64, help="solutions for the timed single-pass runs")
    ap.add_argument("--naive-solutions", type=int, default=8, help="solutions for the (slow) naive run")
    ap.add_argument("--padding-solutions", type=int, default=3400,
                    help="solutions (tokenised only) for padding efficiency at ProcessBench size")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (best time kept)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier on a shared machine)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]

    tok = build_tokenizer()
    model = build_tiny_prm(tok, hidden_size=args.hidden, num_hidden_layers=args.layers,
                           num_attention_heads=args.heads).eval()
    problems, steps = make_solutions(args.solutions, tok, args.seed)
    n_steps = sum(len(s) for s in steps)
    k = args.naive_solutions
    naive_steps = sum(len(s) for s in steps[:k])

    batched = PRMScorer(model, tok, batch_size=args.batch_size, show_progress=False)
    unsorted = PRMScorer(model, tok, batch_size=args.batch_size, show_progress=False, bucket_by_length=False)
    single = PRMScorer(model, tok, batch_size=1, show_progress=False)

    batched.score(problems[:4], steps[:4])  # warm-up
    # interleaved rounds, best time per method: load on a shared machine drifts, so each method
    # is timed in every round rather than all rounds of one method after another
    runs = {
        "naive": lambda: batched.score_per_prefix(problems[:k], steps[:k]),
        "single": lambda: single.score(problems, steps),
        "batched_unsorted": lambda: unsorted.score(problems, steps),
        "batched": lambda: batched.score(problems, steps),
    }
    best = {name: float("inf") for name in runs}
    outputs = {}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            outputs[name], seconds = timed(fn, 1)
            best[name] = min(best[name], seconds)
    naive_scores, single_scores, batched_scores = outputs["naive"], outputs["single"], outputs["batched"]
    t_naive, t_single, t_unsorted, t_batched = (best[n] for n in runs)
    unsorted_eff = unsorted.last_stats.padding_efficiency
    sorted_eff = batched.last_stats.padding_efficiency

    diff_naive = max(abs(a - b) for r1, r2 in zip(single_scores[:k], naive_scores) for a, b in zip(r1, r2))
    diff_batched = max(abs(a - b) for r1, r2 in zip(single_scores, batched_scores) for a, b in zip(r1, r2))
    tokens = [len(batched.encode(p, s)[0].input_ids) for p, s in zip(problems, steps)]
    naive_tokens = sum(len(batched.encode(p, s[: i + 1])[0].input_ids)
                       for p, s in zip(problems[:k], steps[:k]) for i in range(len(s)))
    # tokens the naive method feeds the model per token of the single pass (its ideal speedup,
    # before per-call overhead and attention's quadratic cost)
    token_ratio = naive_tokens / sum(tokens[:k])
    big_problems, big_steps = make_solutions(args.padding_solutions, tok, args.seed + 1)
    big = [len(batched.encode(p, s)[0].input_ids) for p, s in zip(big_problems, big_steps)]
    rate = {
        "naive": naive_steps / t_naive,
        "single": n_steps / t_single,
        "batched_unsorted": n_steps / t_unsorted,
        "batched": n_steps / t_batched,
    }
    result = {
        "benchmark": "scoring_speed",
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                    "torch": torch.__version__},
        "model": {"arch": "Qwen2ForTokenClassification (random)", "hidden": args.hidden, "layers": args.layers,
                  "heads": args.heads, "dtype": "float32", "device": "cpu"},
        "data": {"solutions": args.solutions, "naive_solutions": k, "steps": n_steps,
                 "steps_per_solution": round(n_steps / args.solutions, 2),
                 "tokens_per_solution_mean": round(sum(tokens) / len(tokens), 1),
                 "tokens_min": min(tokens), "tokens_max": max(tokens)},
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        "steps_per_second": {key: round(v, 1) for key, v in rate.items()},
        "speedup_batched_vs_naive": round(rate["batched"] / rate["naive"], 2),
        "speedup_single_vs_naive": round(rate["single"] / rate["naive"], 2),
        "tokens_naive_over_single": round(token_ratio, 2),
        "speedup_sorted_vs_unsorted": round(rate["batched"] / rate["batched_unsorted"], 2),
        "padding_efficiency_timed_set": {"sorted": round(sorted_eff, 4), "unsorted": round(unsorted_eff, 4)},
        "padding_efficiency": {
            "solutions": args.padding_solutions,
            "sorted": round(padding_efficiency(big, args.batch_size, True), 4),
            "unsorted": round(padding_efficiency(big, args.batch_size, False), 4),
        },
        "max_abs_diff": {"single_vs_naive": diff_naive, "batched_vs_single": diff_batched},
        "targets": {"speedup_batched_vs_naive": 8.0, "padding_efficiency_sorted": 0.95},
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
