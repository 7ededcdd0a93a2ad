"""ProcessBench metrics on hand-computed cases (no data files needed)."""

import numpy as np
import pytest

from prmlib.eval.processbench import (
    align_by_id,
    baseline_predictions,
    evaluate_baselines,
    evaluate_processbench,
    harmonic_f1,
    pad_step_scores,
    predictions_from_scores,
    processbench_f1,
    threshold_sweep,
    tune_threshold,
)


def _row(id_, n_steps, label, final_answer_correct=None):
    if final_answer_correct is None:
        final_answer_correct = label == -1
    return {"id": id_, "steps": [f"s{i}" for i in range(n_steps)], "label": label,
            "final_answer_correct": final_answer_correct}


def test_predictions_from_scores_first_step_strictly_below():
    scores = [[0.9, 0.4, 0.8], [0.9, 0.9], [0.2], [0.5, 0.1]]
    assert predictions_from_scores(scores, 0.5).tolist() == [1, -1, 0, 1]  # 0.5 itself is not below 0.5
    matrix, lengths = pad_step_scores(scores)
    assert matrix.shape == (4, 3) and lengths.tolist() == [3, 2, 1, 2]
    assert predictions_from_scores(matrix, 0.95).tolist() == [0, 0, 0, 0]


def test_pad_rejects_nan():
    with pytest.raises(ValueError, match="row 1"):
        pad_step_scores([[0.1], [0.2, float("nan")]])


def test_processbench_f1_hand_computed():
    labels = [-1, -1, 2, 0, 1]
    preds = [-1, 0, 2, 1, 1]
    m = processbench_f1(preds, labels)
    # correct rows: 1 of 2 right; erroneous rows: 2 of 3 exact
    assert m["correct_acc"] == pytest.approx(50.0)
    assert m["error_acc"] == pytest.approx(200 / 3)
    assert m["f1"] == pytest.approx(2 * 50 * (200 / 3) / (50 + 200 / 3))
    assert (m["n_error"], m["n_correct"]) == (3, 2)
    assert harmonic_f1(0.0, 0.0) == 0.0


def test_threshold_sweep_matches_a_naive_loop():
    rng = np.random.default_rng(1)
    scores, labels = [], []
    for _ in range(300):
        n = int(rng.integers(1, 9))
        s = np.round(rng.random(n), 2)  # rounded so scores hit thresholds exactly (tie handling)
        scores.append(list(s))
        labels.append(int(rng.integers(-1, n)))
    thresholds = np.round(np.linspace(0, 1, 21), 2)
    sweep = threshold_sweep(scores, labels, thresholds)
    for t, f1, err, cor in zip(thresholds, sweep["f1"], sweep["error_acc"], sweep["correct_acc"]):
        naive = [next((i for i, x in enumerate(s) if x < t), -1) for s in scores]
        m = processbench_f1(naive, labels)
        assert (err, cor, f1) == pytest.approx((m["error_acc"], m["correct_acc"], m["f1"]))


def test_tune_threshold_hand_case_and_tie_rule():
    scores = [[0.9, 0.3], [0.8, 0.7]]
    labels = [1, -1]
    # t=0.2: both -1 -> F1 0; t=0.5: both right -> 100; t=0.75: row 2 flagged -> 0; t=0.95: row 1 -> 0
    assert tune_threshold(scores, labels, [0.2, 0.5, 0.75, 0.95]) == (0.5, pytest.approx(100.0))
    # 0.4 and 0.5 both give F1 100: the lowest wins
    assert tune_threshold(scores, labels, [0.75, 0.5, 0.4])[0] == 0.4


def _toy_data():
    data = {
        "gsm8k": [_row("g0", 2, 1), _row("g1", 2, -1), _row("g2", 3, 0)],
        "math": [_row("m0", 2, 1), _row("m1", 3, -1), _row("m2", 2, 0, final_answer_correct=True)],
    }
    scores = {
        "gsm8k": [[0.9, 0.3], [0.8, 0.7], [0.1, 0.9, 0.9]],
        "math": [[0.9, 0.62], [0.9, 0.9, 0.65], [0.55, 0.9]],
    }
    return data, scores


def test_evaluate_processbench_tunes_on_gsm8k_and_reuses_threshold():
    data, scores = _toy_data()
    thresholds = [0.2, 0.5, 0.6, 0.75, 0.95]
    res = evaluate_processbench(data, step_scores=scores, thresholds=thresholds)
    # GSM8K: t=0.5 and t=0.6 both give F1 100 (the lowest, 0.5, is chosen)
    assert res.threshold == 0.5 and res.tuned_on == "gsm8k"
    # MATH at 0.5: m0 -> -1 (wrong), m1 -> -1 (right), m2 -> -1 (wrong): err 0, cor 100, F1 0
    assert res.metrics["math"]["error_acc"] == 0.0 and res.metrics["math"]["correct_acc"] == 100.0
    assert res.table["Avg. F1"].iloc[0] == pytest.approx(50.0)
    assert list(res.table.columns) == ["GSM8K err", "GSM8K cor", "GSM8K F1", "MATH err", "MATH cor", "MATH F1",
                                       "Avg. F1"]
    # per-subset optimum for MATH: t=0.6 flags m2 (0.55) at 0, m0 stays -1, m1 stays -1 -> err 50, cor 100
    assert res.oracle["math"]["threshold"] == 0.6
    assert res.oracle["math"]["f1"] == pytest.approx(2 * 50 * 100 / 150)
    assert res.oracle_table()["Avg. F1"].iloc[0] >= res.average_f1
    # a fixed threshold is used as given, not tuned
    fixed = evaluate_processbench(data, step_scores=scores, threshold=0.95)
    assert fixed.threshold == 0.95 and fixed.tuned_on is None
    assert fixed.predictions["gsm8k"].tolist() == [0, 0, 0]


def test_evaluate_processbench_input_errors():
    data, scores = _toy_data()
    bad = {"gsm8k": scores["gsm8k"], "math": [[0.9], *scores["math"][1:]]}
    with pytest.raises(ValueError, match="'m0': 1 step scores for 2 steps"):
        evaluate_processbench(data, step_scores=bad)
    with pytest.raises(ValueError, match="out of range"):
        evaluate_processbench(data, predictions={"gsm8k": [0, 5, 0], "math": [0, 0, 0]})
    with pytest.raises(ValueError, match="cannot tune"):
        evaluate_processbench({"math": data["math"]}, step_scores={"math": scores["math"]})
    with pytest.raises(ValueError, match="exactly one"):
        evaluate_processbench(data)


def test_align_by_id_reports_unknown_and_missing():
    data, _ = _toy_data()
    with pytest.raises(KeyError, match="1 predictions have ids that are not in ProcessBench"):
        align_by_id(data, {"g0": 0, "g1": -1, "g2": 0, "m0": 1, "m1": -1, "m2": 0, "zzz": 0}, what="predictions")
    with pytest.raises(KeyError, match=r"2 ProcessBench rows have no predictions: math: 2 \(e.g. m1, m2\)"):
        align_by_id(data, {"g0": 0, "g1": -1, "g2": 0, "m0": 1}, what="predictions")
    aligned = align_by_id(data, {"m2": 0, "m1": -1, "m0": 1, "g2": 0, "g1": -1, "g0": 1})
    assert aligned == {"gsm8k": [1, -1, 0], "math": [1, -1, 0]}


def test_baselines_hand_computed():
    data, _ = _toy_data()
    math_rows = data["math"]
    assert baseline_predictions(math_rows, "always_correct").tolist() == [-1, -1, -1]
    assert baseline_predictions(math_rows, "always_first_step").tolist() == [0, 0, 0]
    # m2 has a right final answer but label 0: the outcome-only predictor calls it correct
    assert baseline_predictions(math_rows, "outcome_first_step").tolist() == [0, -1, -1]
    assert baseline_predictions(math_rows, "outcome_last_step").tolist() == [1, -1, -1]
    table = evaluate_baselines(data)
    assert table.loc["always_correct", "MATH cor"] == 100.0 and table.loc["always_correct", "Avg. F1"] == 0.0
    assert table.loc["outcome_last_step", "MATH err"] == 50.0
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_predictions(math_rows, "always_two")
