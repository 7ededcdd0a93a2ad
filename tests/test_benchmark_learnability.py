"""The learnability benchmark runs end to end at a toy size and reports what the issue asks for."""

import json

from prm_testing import load_benchmark


def test_learnability_benchmark_at_toy_size(tmp_path, capsys):
    bench = load_benchmark("learnability")
    code = bench.main(["--n-train", "200", "--difficulties", "1-2", "--epochs", "1", "--threads", "1",
                       "--val-per-difficulty", "5", "--test-per-difficulty", "10", "--kinds",
                       "--output-dir", str(tmp_path / "run")])
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["n_test"] == 40 and out["n_val"] == 20  # balanced: as many correct as erroneous rows
    assert 0.0 <= out["f1"] <= 100.0 and set(out["per_difficulty"]) == {"1", "2"}
    assert out["world"] == "local" and out["numbers"] == "sense" and out["step_rows"] == 3
    assert out["model"]["window"] == 32 and out["model"]["init_std"] == 0.05
    # step rows: one label per row; each erroneous solution gives one wrong step, repeated twice,
    # and at most 4 right steps are kept per wrong one
    wrong = out["train_error_share"] * out["n_train_solutions"]
    assert 2 * wrong - 2 <= out["n_train_step_labels"] <= 6 * wrong + 2
    assert out["labels_lost_to_truncation"] == 0 and out["within_budget"] is True
    assert set(out["error_kind_recall"]) <= {"arithmetic", "operation", "value", "answer", "format"}


def test_the_test_split_is_balanced_and_held_out():
    bench = load_benchmark("learnability")
    train = bench.sample_solutions(30, [1, 2], seed=0)
    seen = frozenset(r["problem"] for r in train)
    pool = bench.sample_solutions(300, [1, 2], seed=1, exclude=seen)
    assert not seen & {r["problem"] for r in pool}
    test = bench.balanced(pool, 10, seed=0)
    for d in (1, 2):
        rows = [r for r in test if r["difficulty"] == d]
        assert sum(r["label"] >= 0 for r in rows) == sum(r["label"] < 0 for r in rows) == 10
    row = bench.to_stepwise(next(r for r in train if r["label"] >= 0))
    assert row["labels"][-1] is False and all(row["labels"][:-1])
