"""Time a 100-threshold ProcessBench sweep over all 3,400 rows: vectorised vs a naive per-row loop.

Rows come from the real ProcessBench when ``PRMLIB_DATA_DIR`` is set (labels and step counts),
otherwise from synthetic rows of the same sizes. Step scores are random but PRM-like (high before
the first error, lower from it on), drawn with a fixed seed. Both methods compute error accuracy,
correct accuracy and F1 per subset for every threshold; the script checks they agree.

Usage: ``python benchmarks/processbench_sweep.py [--repeats 3]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from prmlib.eval.processbench import SUBSETS, harmonic_f1, pad_step_scores, threshold_sweep

SIZES = {"gsm8k": 400, "math": 1000, "olympiadbench": 1000, "omnimath": 1000}


def load_rows(seed: int) -> tuple[dict[str, list[dict]], str]:
    if os.environ.get("PRMLIB_DATA_DIR"):
        from prmlib.data import load_processbench

        return {s: load_processbench(s).to_list() for s in SUBSETS}, "ProcessBench (real labels)"
    rng = np.random.default_rng(seed)
    data = {}
    for s, n in SIZES.items():
        rows = []
        for _ in range(n):
            k = int(rng.integers(2, 16))
            rows.append({"steps": ["."] * k, "label": int(rng.integers(-1, k)) if rng.random() < 0.6 else -1})
        data[s] = rows
    return data, "synthetic rows of ProcessBench's sizes"


def prm_like_scores(rows: list[dict], rng: np.random.Generator) -> list[list[float]]:
    out = []
    for r in rows:
        k, lab = len(r["steps"]), r["label"]
        s = rng.beta(6, 1.5, size=k)
        if lab >= 0:
            s[lab:] = rng.beta(2, 3, size=k - lab)
        out.append(s.tolist())
    return out


def naive_sweep(scores: list[list[float]], labels: list[int], thresholds: np.ndarray) -> np.ndarray:
    f1s = []
    for t in thresholds:
        hit_err = n_err = hit_ok = n_ok = 0
        for s, lab in zip(scores, labels):
            pred = -1
            for i, x in enumerate(s):
                if x < t:
                    pred = i
                    break
            if lab == -1:
                n_ok += 1
                hit_ok += pred == -1
            else:
                n_err += 1
                hit_err += pred == lab
        f1s.append(harmonic_f1(100.0 * hit_err / n_err, 100.0 * hit_ok / n_ok))
    return np.array(f1s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (the best is reported)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data, source = load_rows(args.seed)
    rng = np.random.default_rng(args.seed)
    scores = {s: prm_like_scores(rows, rng) for s, rows in data.items()}
    labels = {s: [int(r["label"]) for r in rows] for s, rows in data.items()}
    thresholds = np.round(np.arange(1, 101) / 100, 2)  # 100 thresholds: 0.01 .. 1.00

    def vectorised() -> dict[str, np.ndarray]:
        out = {}
        for s in data:
            matrix, _ = pad_step_scores(scores[s])  # padded once per subset
            out[s] = threshold_sweep(matrix, labels[s], thresholds)["f1"].to_numpy()
        return out

    def naive() -> dict[str, np.ndarray]:
        return {s: naive_sweep(scores[s], labels[s], thresholds) for s in data}

    timings = {}
    results = {}
    for name, fn in (("vectorised", vectorised), ("naive", naive)):  # side by side, same process
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            results[name] = fn()
            best = min(best, time.perf_counter() - t0)
        timings[name] = best
    diff = max(float(np.max(np.abs(results["vectorised"][s] - results["naive"][s]))) for s in data)
    rows = sum(len(r) for r in data.values())
    print(f"data: {source}; {rows} rows; {len(thresholds)} thresholds; best of {args.repeats}")
    print(f"vectorised: {timings['vectorised'] * 1000:.1f} ms   naive loop: {timings['naive'] * 1000:.1f} ms   "
          f"ratio {timings['naive'] / timings['vectorised']:.0f}x   max |F1 difference| {diff:.2e}")
    print(json.dumps({
        "benchmark": "processbench_threshold_sweep", "data": source, "rows": rows, "thresholds": len(thresholds),
        "vectorised_s": round(timings["vectorised"], 5), "naive_loop_s": round(timings["naive"], 4),
        "speedup": round(timings["naive"] / timings["vectorised"], 1),
        "under_2s": timings["vectorised"] < 2.0, "max_abs_f1_difference": diff,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpu, python {platform.python_version()}",
    }))


if __name__ == "__main__":
    main()
