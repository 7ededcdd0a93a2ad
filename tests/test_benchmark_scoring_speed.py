"""The scoring-speed benchmark runs end to end at a toy size, and its methods agree on the scores."""

import json
import os

import pytest
from prm_testing import load_benchmark

pytest.importorskip("torch")

def test_scoring_speed_benchmark_at_toy_size(capsys):
    bench = load_benchmark("scoring_speed")
    result = bench.main(["--solutions", "6", "--naive-solutions", "2", "--padding-solutions", "40",
                         "--rounds", "1", "--threads", "1", "--max-batch-tokens", "1500",
                         "--budget-sweep", "700,3000"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == result
    assert list(result["by_threads"]) == ["1"] and result["max_batch_tokens"] == 1500
    timing = result["by_threads"]["1"]
    assert set(timing["steps_per_second"]) == {"naive", "naive_batched", "single", "batched_16",
                                               "batched_unsorted", "batched", "budget_700", "budget_3000"}
    assert all(v > 0 for v in timing["steps_per_second"].values())
    assert timing["max_abs_diff"]["single_vs_naive"] < 1e-5
    assert timing["max_abs_diff"]["batched_vs_single"] < 1e-5
    assert timing["max_abs_diff"]["naive_batched_vs_naive"] < 1e-5
    # per-prefix scoring feeds the model several times the tokens of one pass (8-15 steps)
    assert 3.0 < result["tokens_naive_over_single"] < 10.0
    assert 8 <= result["data"]["steps_per_solution"] <= 15
    pad = result["padding_efficiency"]
    assert pad["sorted"] > pad["unsorted"] and pad["sorted_with_budget"] >= pad["unsorted_with_budget"]
    assert result["padding_efficiency_timed_set"]["sorted"] <= 1.0


def test_thread_counts_parse():
    bench = load_benchmark("scoring_speed")
    assert bench.thread_counts("1,1,2") == [1, 2]
    assert bench.thread_counts("all")[0] >= 1
    with pytest.raises(ValueError, match="thread counts must be positive"):
        bench.thread_counts("0")


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("PRMLIB_DATA_DIR"), reason="PRMLIB_DATA_DIR is not set")
def test_processbench_solutions_are_the_real_rows():
    bench = load_benchmark("scoring_speed")
    problems, steps = bench.processbench_solutions(8, seed=0)
    assert len(problems) == len(steps) == 8
    from prmlib.data.processbench import load_processbench

    released: dict[str, list] = {}
    for split in ("gsm8k", "math"):
        for r in load_processbench(split):
            released.setdefault(r["problem"], []).append(list(r["steps"]))
    # two rows from each subset: the GSM8K and MATH ones come back with their released steps
    hits = [(released[p], s) for p, s in zip(problems, steps) if p in released]
    assert len(hits) >= 4
    assert all(s in candidates for candidates, s in hits)
    everything, _ = bench.processbench_solutions(None, seed=1)
    assert len(everything) == 3400


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("PRMLIB_DATA_DIR"), reason="PRMLIB_DATA_DIR is not set")
def test_benchmark_on_real_processbench_at_toy_size(capsys):
    bench = load_benchmark("scoring_speed")
    result = bench.main(["--processbench", "--pb-vocab", "1024", "--solutions", "4", "--naive-solutions", "1",
                         "--rounds", "1", "--threads", "1"])
    assert result["data"]["source"].startswith("ProcessBench") and result["data"]["tokenizer_vocab"] >= 1024
    assert result["padding_efficiency"]["solutions"] == 3400
    timing = result["by_threads"]["1"]
    assert timing["max_abs_diff"]["single_vs_naive"] < 1e-5 and timing["max_abs_diff"]["batched_vs_single"] < 1e-5
