"""``prmlib eval ...`` commands: last line is JSON, clear errors on bad input (toy data, no files needed)."""

import json

import pytest

from prmlib.cli import main
from prmlib.eval import cli as eval_cli

TOY = {
    "gsm8k": [{"id": "gsm8k-0", "steps": ["a", "b"], "label": 1, "final_answer_correct": False},
              {"id": "gsm8k-1", "steps": ["a", "b"], "label": -1, "final_answer_correct": True}],
    "math": [{"id": "math-0", "steps": ["a", "b", "c"], "label": 0, "final_answer_correct": True},
             {"id": "math-1", "steps": ["a"], "label": -1, "final_answer_correct": True}],
}


@pytest.fixture
def toy_processbench(monkeypatch):
    monkeypatch.setattr(eval_cli, "_load_processbench", lambda subsets, data_dir=None: {s: TOY[s] for s in subsets})


def _write(path, lines):
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(path)


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_processbench_scores_and_predictions(tmp_path, capsys, toy_processbench):
    scores = _write(tmp_path / "s.jsonl", [{"id": "gsm8k-0", "step_scores": [0.9, 0.2]},
                                           {"id": "gsm8k-1", "step_scores": [0.8, 0.7]},
                                           {"id": "math-0", "step_scores": [0.4, 0.9, 0.9]},
                                           {"id": "math-1", "step_scores": [0.3]}])
    assert main(["eval", "processbench", "--predictions", scores, "--subsets", "gsm8k,math"]) == 0
    out = _last_json(capsys)
    # GSM8K is perfect for thresholds in (0.2, 0.7]; the lowest grid point there is 0.21
    assert out["threshold"] == 0.21 and out["tuned_on"] == "gsm8k"
    assert out["subsets"]["gsm8k"]["f1"] == 100.0
    # MATH at 0.21: math-0 -> -1 (wrong), math-1 -> -1 (right)
    assert out["subsets"]["math"]["error_acc"] == 0.0 and out["subsets"]["math"]["correct_acc"] == 100.0
    assert out["extracted_accuracy"]["MATH"] == 0.0
    preds = _write(tmp_path / "p.jsonl", [{"id": "gsm8k-0", "pred": 1}, {"id": "gsm8k-1", "pred": -1},
                                          {"id": "math-0", "pred": 0}, {"id": "math-1", "pred": -1}])
    assert main(["eval", "processbench", "--predictions", preds, "--subsets", "gsm8k,math"]) == 0
    out = _last_json(capsys)
    assert out["average_f1"] == 100.0 and out["threshold"] is None


def test_processbench_null_step_scores_are_never_the_first_error(tmp_path, capsys, toy_processbench):
    """``prmlib score`` writes null for a step beyond the PRM's length limit: counted, said, never flagged."""
    scores = _write(tmp_path / "s.jsonl", [{"id": "gsm8k-0", "step_scores": [0.9, None]},
                                           {"id": "gsm8k-1", "step_scores": [0.8, 0.7]},
                                           {"id": "math-0", "step_scores": [0.9, 0.1, None]},
                                           {"id": "math-1", "step_scores": [0.3]}])
    assert main(["eval", "processbench", "--predictions", scores, "--subsets", "gsm8k,math",
                 "--threshold", "0.5"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out.strip().splitlines()[-1])
    assert "2 step(s) in 2 row(s) have no score" in captured.err
    assert out["unscored_steps"] == {"steps": 2, "rows": 2}
    # gsm8k-0's error sits on its unscored step: predicted -1, so GSM8K's error accuracy is 0
    assert out["subsets"]["gsm8k"]["error_acc"] == 0.0 and out["subsets"]["gsm8k"]["correct_acc"] == 100.0
    # math-0: the first scored step below 0.5 is step 1 (label 0), a miss; math-1 (0.3) is a false alarm
    assert out["subsets"]["math"]["error_acc"] == 0.0 and out["subsets"]["math"]["correct_acc"] == 0.0


def test_processbench_subsets_leave_other_subsets_predictions_out(tmp_path, capsys, toy_processbench):
    """A file covering every subset, evaluated with --subsets gsm8k: the math rows are left out, said so."""
    scores = _write(tmp_path / "s.jsonl", [{"id": "gsm8k-0", "step_scores": [0.9, 0.2]},
                                           {"id": "gsm8k-1", "step_scores": [0.8, 0.7]},
                                           {"id": "math-0", "step_scores": [0.4, 0.9, 0.9]},
                                           {"id": "math-1", "step_scores": [0.3]}])
    assert main(["eval", "processbench", "--predictions", scores, "--subsets", "gsm8k"]) == 0
    captured = capsys.readouterr()
    assert "2 predictions of subsets not selected by --subsets (math) are left out" in captured.err
    out = json.loads(captured.out.strip().splitlines()[-1])
    assert list(out["subsets"]) == ["gsm8k"] and out["subsets"]["gsm8k"]["f1"] == 100.0
    only_math = _write(tmp_path / "m.jsonl", [{"id": "math-0", "pred": 0}])
    assert main(["eval", "processbench", "--predictions", only_math, "--subsets", "gsm8k"]) == 2
    assert "no predictions for the selected subsets (gsm8k)" in capsys.readouterr().err


def test_steps_after_a_null_score_are_unscored_too(tmp_path):
    path = _write(tmp_path / "n.jsonl", [{"id": "x", "step_scores": [0.9, None, 0.1]}])
    _, values = eval_cli.read_processbench_predictions(path)
    assert values["x"] == [0.9, eval_cli.UNSCORED, eval_cli.UNSCORED]


@pytest.mark.parametrize("lines, message", [
    ([{"id": "gsm8k-0", "pred": 1}, {"id": "nope", "pred": 0}], "1 predictions have ids that are not in ProcessBench"),
    ([{"id": "gsm8k-0", "pred": 1}], "3 ProcessBench rows have no predictions: gsm8k: 1 (e.g. gsm8k-1); math: 2"),
    ([{"id": "gsm8k-0", "pred": 1}, {"id": "gsm8k-1", "step_scores": [0.1, 0.2]}], ":2: mixes"),
    ([{"id": "gsm8k-0", "pred": "1"}], "'pred' must be an integer"),
    ([{"id": "gsm8k-0", "step_scores": [0.5, "0.1"]}], "'step_scores' must be a list of finite numbers"),
    ([{"id": "gsm8k-0", "step_scores": [0.5, True]}], "'step_scores' must be a list of finite numbers"),
    ([{"id": "gsm8k-0", "pred": 1}, {"id": "gsm8k-0", "pred": 1}], "appears twice"),
    ([{"pred": 1}], ":1: missing field 'id'"),
    ([{"id": "gsm8k-0", "step_scores": [0.1]}, {"id": "gsm8k-1", "step_scores": [0.1, 0.2]},
      {"id": "math-0", "step_scores": [0.1, 0.2, 0.3]}, {"id": "math-1", "step_scores": [0.5]}],
     "'gsm8k-0': 1 step scores for 2 steps"),
    ([{"id": "gsm8k-0", "pred": 7}, {"id": "gsm8k-1", "pred": -1}, {"id": "math-0", "pred": 0},
      {"id": "math-1", "pred": -1}], "prediction 7 out of range"),
])
def test_processbench_input_errors(tmp_path, capsys, toy_processbench, lines, message):
    path = _write(tmp_path / "bad.jsonl", lines)
    assert main(["eval", "processbench", "--predictions", path, "--subsets", "gsm8k,math"]) == 2
    err = capsys.readouterr().err
    assert message in err and "bad.jsonl" in err


def test_processbench_unknown_subset_and_missing_file(tmp_path, capsys, toy_processbench):
    assert main(["eval", "processbench", "--predictions", str(tmp_path / "none.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    path = _write(tmp_path / "p.jsonl", [{"id": "gsm8k-0", "pred": 1}])
    assert main(["eval", "processbench", "--predictions", path, "--subsets", "gsm8k,aime"]) == 2
    assert "unknown subsets ['aime']" in capsys.readouterr().err


def test_bon_command(tmp_path, capsys):
    lines = [
        {"problem": "1+1", "gold": "2", "benchmark": "gsm8k",
         "responses": ["a\n\n\\boxed{2}", "b\n\n\\boxed{3}", "c\n\n\\boxed{3}"],
         "step_scores": [[0.9, 0.9], [0.2, 0.95], [0.5, 0.5]], "scores": [0.1, 0.9, 0.3]},
        {"problem": "x", "gold": "\\frac{1}{2}", "benchmark": "math",
         "responses": ["\\boxed{0.5}", "\\boxed{1}", "no answer"],
         "step_scores": [[0.3], [0.6], [0.9]], "scores": [0.8, 0.1, 0.2]},
    ]
    path = _write(tmp_path / "c.jsonl", lines)
    assert main(["eval", "bon", "--candidates", path, "--quiet", "--curve"]) == 0
    out = _last_json(capsys)
    assert out["n"] == 3 and out["problems"] == 2
    assert out["benchmarks"]["GSM8K"]["pass@3"] == 100.0
    assert out["benchmarks"]["GSM8K"]["maj@3"] == 0.0  # "3" has two votes
    # product: gsm8k [0.81, 0.19, 0.25] -> right; math [0.3, 0.6, 0.9] -> the no-answer one, wrong
    assert out["benchmarks"]["GSM8K"]["rm@3 (product)"] == 100.0
    assert out["benchmarks"]["MATH"]["rm@3 (product)"] == 0.0
    # last: gsm8k [0.9, 0.95, 0.5] -> "3", wrong
    assert out["benchmarks"]["GSM8K"]["rm@3 (last)"] == 0.0
    # outcome scores: gsm8k picks 0.9 -> wrong; math picks 0.8 -> "0.5" = 1/2, right
    assert out["average"]["rm@3 (outcome)"] == 50.0
    assert out["average"]["maj@3"] == 50.0  # math: "0.5" 1 vote vs "1" 1 vote -> first wins, right
    assert out["accuracy_vs_n"]["pass"]["3"] == 100.0  # JSON object keys are strings
    assert out["accuracy_vs_n"]["maj"]["3"] == out["average"]["maj@3"]
    assert main(["eval", "bon", "--candidates", path, "--quiet", "--agg", "min"]) == 0
    out = _last_json(capsys)
    assert set(out["average"]) == {"pass@3", "maj@3", "rm@3 (min)", "weighted maj@3 (min)",
                                   "rm@3 (outcome)", "weighted maj@3 (outcome)"}


def test_bon_null_step_scores_end_a_candidates_scored_steps(tmp_path, capsys):
    """``prmlib score`` writes null past the length limit: the steps before the first null count."""
    lines = [{"problem": "1+1", "gold": "2", "benchmark": "gsm8k",
              "responses": ["a\n\n\\boxed{2}", "b\n\n\\boxed{3}", "c\n\n\\boxed{3}"],
              # min: [0.6, 0.5 (the 0.1 after a null is not read), 0.0 (nothing scored)] -> the right one
              "step_scores": [[0.9, 0.6], [0.5, None, 0.1], [None, 0.99]]}]
    path = _write(tmp_path / "c.jsonl", lines)
    with pytest.warns(UserWarning, match="2 candidate"):
        assert main(["eval", "bon", "--candidates", path, "--quiet", "--agg", "min"]) == 0
    assert _last_json(capsys)["average"]["rm@3 (min)"] == 100.0


def test_bon_command_errors(tmp_path, capsys):
    path = _write(tmp_path / "c.jsonl", [{"problem": "p", "gold": "1", "responses": ["\\boxed{1}", "x"],
                                          "step_scores": [[0.1]]}])
    assert main(["eval", "bon", "--candidates", path, "--quiet"]) == 2
    assert "record 1: 1 step_scores for 2 responses" in capsys.readouterr().err
    path = _write(tmp_path / "d.jsonl", [{"problem": "p", "gold": "1", "responses": ["\\boxed{1}"]}])
    assert main(["eval", "bon", "--candidates", path, "--quiet", "--agg", "min"]) == 2
    assert "needs 'step_scores'" in capsys.readouterr().err
    (tmp_path / "e.jsonl").write_text("{not json\n")
    assert main(["eval", "bon", "--candidates", str(tmp_path / "e.jsonl"), "--quiet"]) == 2
    assert "e.jsonl:1: not valid JSON" in capsys.readouterr().err
