"""The learnability benchmark runs end to end at a toy size, reads its recipe from a YAML config,
and draws balanced held-out splits through the library's sampler."""

import json
from pathlib import Path

import pytest
import yaml
from prm_testing import load_benchmark

CONFIGS = Path(__file__).resolve().parents[1] / "prmlib" / "configs"


def test_learnability_benchmark_at_toy_size(tmp_path, capsys):
    bench = load_benchmark("learnability")
    code = bench.main(["--n-train", "200", "--difficulties", "1-2", "--epochs", "1", "--threads", "1",
                       "--val-per-difficulty", "5", "--test-per-difficulty", "10", "--kinds",
                       "--output-dir", str(tmp_path / "run")])
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["n_test"] == 40 and out["n_val"] == 20  # balanced: as many correct as erroneous rows
    assert 0.0 <= out["f1"] <= 100.0 and set(out["per_difficulty"]) == {"1", "2"}
    # avg_f1 is ProcessBench's mean over the levels; f1 pools the (equal-sized) levels
    levels = out["per_difficulty"].values()
    assert out["avg_f1"] == pytest.approx(sum(d["f1"] for d in levels) / 2, abs=0.06)
    assert out["avg_f1"] <= out["f1"] + 1e-6 and all(d["n"] == 20 for d in levels)
    # the recipe is the default config's (lessons_windowed_cpu.yaml), with the options given
    assert Path(out["config"]).name == "lessons_windowed_cpu.yaml"
    assert out["world"] == "local" and out["numbers"] == "sense" and out["step_rows"] == 3
    assert out["model"]["window"] == 32 and out["model"]["init_std"] == 0.05
    assert out["training"]["epochs"] == 1 and out["training"]["batch"] == 32 and out["pos_ratio"] == 4
    assert out["machine"]["torch_threads"] == 1
    # step rows: one label per row; each erroneous solution gives one wrong step, repeated twice,
    # and at most 4 right steps are kept per wrong one
    wrong = out["train_error_share"] * out["n_train_solutions"]
    assert 2 * wrong - 2 <= out["n_train_step_labels"] <= 6 * wrong + 2
    assert out["labels_lost_to_truncation"] == 0 and out["within_budget"] is True
    assert set(out["error_kind_recall"]) <= {"arithmetic", "operation", "value", "answer", "format"}


def test_the_recipe_comes_from_the_config_and_options_override_only_when_given(tmp_path):
    bench = load_benchmark("learnability")
    parse = bench.build_parser().parse_args
    path = CONFIGS / "lessons_windowed_cpu.yaml"
    raw = yaml.safe_load(path.read_text())
    cfg, rows, repeats = bench.recipe(parse([]))
    assert rows == "step" and repeats == raw["step_rows"]["negative_repeats"]
    assert cfg.step_rows == raw["step_rows"] and cfg.num_train_epochs == raw["num_train_epochs"]
    assert cfg.tiny == {**cfg.tiny, **raw["tiny"]} and cfg.learning_rate == raw["learning_rate"]
    assert cfg.eval_fraction == 0.0 and cfg.label_type == "hard"
    counts, levels, per_problem, seed = bench.data_plan(parse([]), cfg)
    assert levels == [1, 2, 3, 4, 5] and set(counts.values()) == {600} and per_problem == 1 and seed == 0

    cfg, rows, _ = bench.recipe(parse(["--epochs", "14", "--step-rows", "2", "--pos-ratio", "3", "--heads", "8"]))
    assert cfg.num_train_epochs == 14 and cfg.tiny["num_attention_heads"] == 8
    assert cfg.step_rows == {**raw["step_rows"], "context_steps": 1, "positives_per_negative": 3}
    assert cfg.per_device_train_batch_size == raw["per_device_train_batch_size"]  # not given: the config's
    counts, *_ = bench.data_plan(parse(["--n-train", "5000"]), cfg)
    assert sum(counts.values()) == 5000

    cfg, rows, repeats = bench.recipe(parse(["--step-rows", "0", "--correct-share", "0.5"]))
    assert rows == "solution" and cfg.step_rows is None and repeats == 2
    assert cfg.solution_rows == {"error_repeats": 2, "correct_share": 0.5}
    cfg, rows, _ = bench.recipe(parse(["--config", str(CONFIGS / "lessons_cpu.yaml")]))
    assert rows == "solution" and cfg.solution_rows == {"error_repeats": 2}
    assert cfg.tiny["layer_types"][-1] == "full_attention" and cfg.per_device_train_batch_size == 8
    args = parse(["--layers", "2", "--config", str(CONFIGS / "lessons_cpu.yaml")])  # parsed outside: argparse exits too
    with pytest.raises(SystemExit, match="contradicts the config's layer_types"):
        bench.recipe(args)
    args = parse(["--step-rows", "3", "--problem-prefix-rows", "2"])
    with pytest.raises(SystemExit, match="need --step-rows 0"):
        bench.recipe(args)
    cfg, rows, repeats = bench.recipe(parse(["--config", str(CONFIGS / "lessons_cpu.yaml"), "--masked-rows", "0.35,0.7"]))
    assert rows == "masked" and repeats == 2 and not cfg.train_on_last_step_only  # every kept label trains
    assert cfg.solution_rows is None and cfg.step_rows is None  # the benchmark builds the rows itself
    args = parse(["--step-rows", "0", "--masked-rows", "0.3,0.6", "--problem-prefix-rows", "2"])
    with pytest.raises(SystemExit, match="give at most one of"):
        bench.recipe(args)
    cfg, rows, repeats = bench.recipe(parse(["--config", str(CONFIGS / "lessons_cpu.yaml"), "--problem-prefix-rows", "4"]))
    assert rows == "problem_prefix" and cfg.solution_rows is None  # train_prm builds them, as `prmlib train` would
    assert cfg.prefix_rows == {"negative_repeats": 2, "positives_per_negative": 4}


def test_the_splits_come_from_the_library_balanced_and_held_out():
    from prmlib.prm.cli_train import synthetic_solutions

    bench = load_benchmark("learnability")
    train, val, test = bench.draw_data(30, [1, 2], seed=0, val_per_level=5, test_per_level=10)
    # the training data is the library's: the solutions `prmlib train --data synthetic:...` trains on
    same = synthetic_solutions(30, [1, 2], 1, 0)
    assert [(s.problem, s.steps) for s in train] == [(s.problem, s.steps) for s in same]
    seen = {s.problem for s in train}
    val_problems = {r["problem"] for rows in val.values() for r in rows}
    test_problems = {r["problem"] for rows in test.values() for r in rows}
    assert not seen & val_problems and not seen & test_problems and not val_problems & test_problems
    for data, k in ((val, 5), (test, 10)):
        assert set(data) == {"level-1", "level-2"}
        for rows in data.values():
            assert sum(r["label"] >= 0 for r in rows) == sum(r["label"] < 0 for r in rows) == k
    row = next(s for s in train if s.meta["first_error"] >= 0).to_stepwise()
    assert row["labels"][-1] is False and all(row["labels"][:-1])


def test_the_plain_world_diagnostic_keeps_plain_problems_balanced_and_held_out():
    bench = load_benchmark("learnability")
    train, val, test = bench.draw_data(20, [2], seed=0, val_per_level=4, test_per_level=4, world="plain")
    assert any(int(w) > 9 for s in train for w in s.problem.replace(".", " ").split() if w.isdigit())
    assert "Next," not in train[0].steps[0]  # plain steps, not the local surface
    seen = {s.problem for s in train}
    for data in (val, test):
        rows = data["level-2"]
        assert not seen & {r["problem"] for r in rows}
        assert sum(r["label"] >= 0 for r in rows) == sum(r["label"] < 0 for r in rows) == 4
