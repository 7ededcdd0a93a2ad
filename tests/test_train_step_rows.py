"""Step rows (one training row per step) and the tiny model's number sense and window options."""

import os

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from prmlib.prm.step_rows import step_rows

ROWS = [
    {"prompt": "P1", "completions": ["a", "b", "c"], "labels": [True, True, False]},
    {"prompt": "P2", "completions": ["d", "e"], "labels": [True, True]},
]


def test_one_row_per_step_with_context_and_repeats():
    out = step_rows(ROWS, context_steps=1, negative_repeats=3, seed=0)
    assert len(out) == 4 + 3  # four right steps, the wrong one three times
    assert all(r["prompt"] == "" for r in out)
    by_last = {}
    for r in out:
        by_last.setdefault(r["completions"][-1], []).append(r)
    assert by_last["a"][0]["completions"] == ["a"]  # nothing before the first step
    assert by_last["c"][0] == {"prompt": "", "completions": ["b", "c"], "labels": [True, False]}
    assert len(by_last["c"]) == 3 and len(by_last["e"]) == 1
    alone = step_rows(ROWS, context_steps=0)
    assert sorted(r["completions"][0] for r in alone) == ["a", "b", "c", "d", "e"]
    assert all(len(r["completions"]) == 1 for r in alone)


def test_positive_subsampling_and_bad_input():
    out = step_rows(ROWS, context_steps=0, positives_per_negative=2, seed=1)
    assert sum(r["labels"][-1] for r in out) == 2 and sum(not r["labels"][-1] for r in out) == 1
    soft = [{"prompt": "", "completions": ["x", "y"], "labels": [0.8, 0.2]}]
    assert [r["labels"][-1] for r in step_rows(soft, negative_repeats=2)].count(0.2) == 2
    with pytest.raises(ValueError, match="labels"):
        step_rows([{"prompt": "", "completions": ["x"], "labels": [True, False]}])
    with pytest.raises(ValueError, match="negative_repeats >= 1"):
        step_rows(ROWS, negative_repeats=0)


def test_train_prm_with_step_rows_and_a_windowed_number_sense_model(tmp_path):
    """The tiny config switches build the tokenizer and model the learnability benchmark uses, and
    ``step_rows`` trains on one label per row (eval still reads whole solutions)."""
    from prmlib.prm.train import train_prm
    from prmlib.solution import split_steps
    from prmlib.synth import SyntheticPolicy, first_error, make_problems
    from prmlib.tiny import number_tokens

    rows = []
    problems = make_problems(40, 2, seed=0)
    for p, [c] in zip(problems, SyntheticPolicy().sample([p.text for p in problems], 1, seed=0)):
        steps = split_steps(c.text)
        fe = first_error(p.text, steps)
        n = len(steps) if fe < 0 else fe + 1
        rows.append({"prompt": p.text, "completions": steps[:n], "labels": [i != fe for i in range(n)]})
    labelled = sum(len(r["labels"]) for r in rows)
    wrong = sum(not x for r in rows for x in r["labels"])
    res = train_prm(rows, "tiny", output_dir=str(tmp_path / "run"), num_train_epochs=1, learning_rate=1e-3,
                    per_device_train_batch_size=16, eval_fraction=0.2, seed=0, torch_num_threads=1,
                    tiny={"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                          "number_sense": True, "sliding_window": 24},
                    step_rows={"context_steps": 1, "negative_repeats": 2})
    m = res.metrics
    assert res.model.config.sliding_window == 24 and set(res.model.config.layer_types) == {"sliding_attention"}
    assert len(number_tokens(res.tokenizer)) == 100
    held = m["num_eval_rows"]
    assert 0 < held < len(rows)
    # one label per training row; the rows cover the training solutions' steps, wrong ones twice
    assert m["num_train_labels"] < labelled + wrong
    assert m["num_train_labels"] >= (labelled + wrong) * 0.6
    assert m["eval_num_step_labels"] > held  # eval rows keep all their steps


def test_train_prm_with_prefix_rows_trains_one_label_per_row_with_the_problem(tmp_path):
    """``prefix_rows`` in the config: one row per step with the problem, only that step supervised."""
    from prmlib.prm.config import PRMTrainConfig
    from prmlib.prm.train import train_prm

    rows = [{"prompt": f"Ann has {i} apples and Bob has 3 more.", "completions": [f"Next, {i} + 3 = {i + 3}.",
             f"So Bob has {i + 3 + (i % 3 == 0)}."], "labels": [True, i % 3 != 0]} for i in range(2, 14)]
    wrong = sum(not x for r in rows for x in r["labels"])
    right = sum(x for r in rows for x in r["labels"])
    res = train_prm(rows, "tiny", output_dir=str(tmp_path / "run"), num_train_epochs=1, learning_rate=1e-3,
                    per_device_train_batch_size=8, eval_fraction=0.0, seed=0, torch_num_threads=1,
                    tiny={"hidden_size": 64, "num_attention_heads": 2, "sliding_window": 8,
                          "layer_types": ["sliding_attention", "full_attention"]},
                    prefix_rows={"negative_repeats": 3})
    assert res.model.config.layer_types == ["sliding_attention", "full_attention"]
    assert res.metrics["num_train_rows"] == right + 3 * wrong  # one row per step, wrong ones three times
    assert res.metrics["num_train_labels"] == right + 3 * wrong  # ... and one label in each
    with pytest.raises(ValueError, match="at most one of"):
        PRMTrainConfig(prefix_rows={"negative_repeats": 2}, solution_rows={"error_repeats": 2})


def test_prefix_rows_keep_the_problem_and_every_earlier_step():
    from prmlib.prm.step_rows import prefix_rows

    out = prefix_rows(ROWS, negative_repeats=2, seed=0)
    assert len(out) == 4 + 2  # four right steps, the wrong one twice
    assert {r["prompt"] for r in out} == {"P1", "P2"}  # never a row without the problem
    by_last = {}
    for r in out:
        by_last.setdefault(r["completions"][-1], []).append(r)
    assert by_last["c"][0] == {"prompt": "P1", "completions": ["a", "b", "c"], "labels": [True, True, False]}
    assert len(by_last["c"]) == 2
    assert by_last["e"] == [{"prompt": "P2", "completions": ["d", "e"], "labels": [True, True]}]
    assert by_last["a"][0]["completions"] == ["a"]
    sub = prefix_rows(ROWS, positives_per_negative=1, seed=3)
    assert sum(r["labels"][-1] for r in sub) == 1 and sum(not r["labels"][-1] for r in sub) == 1
    assert prefix_rows(ROWS, seed=5) == prefix_rows(ROWS, seed=5)  # deterministic
    with pytest.raises(ValueError, match="labels"):
        prefix_rows([{"prompt": "P", "completions": ["x"], "labels": [True, False]}])
    with pytest.raises(ValueError, match="negative_repeats must be >= 1"):
        prefix_rows(ROWS, negative_repeats=0)


def test_solution_rows_repeat_erroneous_solutions_and_subsample_correct_ones():
    from prmlib.prm.step_rows import solution_rows

    rows = ROWS + [{"prompt": f"Q{i}", "completions": ["s", "t"], "labels": [True, True]} for i in range(10)]
    out = solution_rows(rows, error_repeats=3, seed=0)
    assert len(out) == 3 + 11
    assert sum(r["prompt"] == "P1" for r in out) == 3
    assert next(r for r in out if r["prompt"] == "P1") == ROWS[0]  # unchanged, every step labelled
    half = solution_rows(rows, error_repeats=1, correct_share=0.5, seed=1)
    assert sum(r["prompt"] == "P1" for r in half) == 1
    assert sum(r["prompt"] != "P1" for r in half) == round(0.5 * 11)
    with pytest.raises(ValueError, match=r"correct_share in \(0, 1\]"):
        solution_rows(rows, correct_share=0.0)
    with pytest.raises(ValueError, match="error_repeats must be >= 1"):
        solution_rows(rows, error_repeats=0)


def test_masked_solution_rows_keep_every_wrong_label_and_mask_right_ones_at_random():
    from prmlib.prm.step_rows import UNSUPERVISED, is_unsupervised, masked_solution_rows, solution_rows

    wrong = [{"prompt": f"W{i}", "completions": ["a", "b", "c", "d"], "labels": [True, True, True, False]}
             for i in range(400)]
    right = [{"prompt": f"R{i}", "completions": ["a", "b", "c"], "labels": [True, True, True]} for i in range(400)]
    out = masked_solution_rows(wrong + right, error_repeats=2, keep_right_erroneous=0.25, keep_right_correct=0.6,
                               seed=0)
    w_rows = [r for r in out if r["prompt"].startswith("W")]
    r_rows = [r for r in out if r["prompt"].startswith("R")]
    assert len(w_rows) == 800 and all(r["labels"][-1] == 0.0 for r in w_rows)  # every wrong label, twice
    assert all(r["completions"] == ["a", "b", "c", "d"] for r in w_rows)  # the text is never cut
    kept_w = sum(x == 1.0 for r in w_rows for x in r["labels"]) / (3 * 800)
    kept_r = sum(x == 1.0 for r in r_rows for x in r["labels"]) / (3 * 400)
    assert 0.21 < kept_w < 0.29 and 0.55 < kept_r < 0.65
    assert all(x in (0.0, 1.0, UNSUPERVISED) for r in out for x in r["labels"])
    assert [is_unsupervised(x) for x in (UNSUPERVISED, -100.0, 0.0, 1, True, False, 0.5)] == [
        True, True, False, False, False, False, False]
    copies = {}
    for r in w_rows:
        copies.setdefault(r["prompt"], []).append(r["labels"])
    differ = sum(a != b for a, b in copies.values())  # each copy draws its own mask: P(same) = 0.625^3
    assert 250 < differ < 350
    assert len(r_rows) < 400  # correct rows whose every label was masked are dropped
    full = masked_solution_rows(ROWS, error_repeats=2, keep_right_erroneous=1.0, keep_right_correct=1.0, seed=3)
    plain = solution_rows(ROWS, error_repeats=2, seed=3)
    assert sorted((r["prompt"], r["labels"]) for r in full) == sorted((r["prompt"], [float(x) for x in r["labels"]])
                                                                     for r in plain)
    none = masked_solution_rows(ROWS, keep_right_erroneous=0.0, keep_right_correct=0.0)
    assert [r["labels"] for r in none] == [[UNSUPERVISED, UNSUPERVISED, 0.0]] * 2
    assert masked_solution_rows(ROWS, seed=5) == masked_solution_rows(ROWS, seed=5)
    with pytest.raises(ValueError, match="keep probabilities"):
        masked_solution_rows(ROWS, keep_right_correct=1.5)
    with pytest.raises(ValueError, match="labels"):
        masked_solution_rows([{"prompt": "P", "completions": ["x"], "labels": [True, False]}])


@pytest.mark.parametrize("name,types,rows_key", [
    ("lessons_cpu.yaml", ["sliding_attention", "sliding_attention", "full_attention"], "solution_rows"),
    ("lessons_long_cpu.yaml", ["sliding_attention", "sliding_attention", "full_attention"], "prefix_rows"),
    ("lessons_windowed_cpu.yaml", ["sliding_attention", "sliding_attention"], "step_rows"),
])
def test_lessons_recipes_load_and_build_their_models(name, types, rows_key):
    from pathlib import Path

    from prmlib.prm.train import PRMTrainConfig, build_tiny_base

    path = Path(__file__).resolve().parents[1] / "prmlib" / "configs" / name
    cfg = PRMTrainConfig.from_yaml(path)
    assert cfg.torch_num_threads == 1 and cfg.label_type == "hard"
    rows = {k: getattr(cfg, k) for k in ("step_rows", "solution_rows", "prefix_rows")}
    assert [k for k, v in rows.items() if v is not None] == [rows_key]  # the rows each recipe names
    model, _ = build_tiny_base(["Bob has 7 apples.", "Next, Ann has 3 more than Bob; Bob has 7; 10 = 7 + 3."],
                                 cfg.tiny, seed=0)
    assert model.config.layer_types == types and model.config.sliding_window == 32
