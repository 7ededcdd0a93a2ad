"""Bias analyses and label-quality metrics on hand-computed cases."""

import pytest

from prmlib.eval.analysis import (
    correct_answer_wrong_process_rate,
    extracted_accuracy,
    extracted_baselines,
    extracted_counts,
    lowest_score_positions,
)
from prmlib.eval.label_quality import first_error_agreement, first_errors, label_quality, step_label_agreement


def _row(n, label, right):
    return {"id": "x", "steps": ["s"] * n, "label": label, "final_answer_correct": right}


DATA = {
    "gsm8k": [_row(3, -1, True), _row(3, 1, True), _row(3, 2, False), _row(2, 0, True)],
    "math": [_row(4, 3, True), _row(4, -1, True)],
}


def test_extracted_subset_and_accuracy():
    assert extracted_counts(DATA) == {"gsm8k": 2, "math": 1}
    rate = correct_answer_wrong_process_rate(DATA)
    assert rate.loc["GSM8K", "share"] == pytest.approx(200 / 3)  # 2 of 3 right answers have a wrong step
    assert rate.loc["MATH", "share"] == 50.0
    preds = {"gsm8k": [-1, 1, 0, 1], "math": [3, 0]}
    acc = extracted_accuracy(DATA, preds, name="m")
    # GSM8K extracted rows: labels 1 (pred 1, hit) and 0 (pred 1, miss) -> 50; MATH: label 3 hit -> 100
    assert acc.loc["m", "GSM8K"] == 50.0 and acc.loc["m", "MATH"] == 100.0
    assert acc.loc["m", "Avg."] == 75.0
    base = extracted_baselines(DATA)
    assert base.loc["outcome_first_step", "Avg."] == 0.0  # an outcome-only judge never finds these errors
    assert base.loc["always_first_step", "GSM8K"] == 50.0


def test_lowest_score_positions():
    scores = [
        [0.9, 0.8, 0.1],  # last (position 1.0)
        [0.2, 0.9, 0.9],  # first (0.0)
        [0.9, 0.5, 0.9, 0.9, 0.9],  # 1/4 = 0.25
        [0.3],  # one step: counts as last
        [0.5, 0.9, 0.5],  # tie: first occurrence -> first, not last
    ]
    out = lowest_score_positions(scores)
    assert out["n"] == 5
    assert out["share_last"] == pytest.approx(40.0)
    assert out["share_first"] == pytest.approx(60.0)  # [0.2..], [0.3] (one step is also first), tie
    hist = out["histogram"].set_index("bin")
    assert hist.loc["0-0.1", "count"] == 2
    assert hist.loc["0.2-0.3", "count"] == 1
    assert hist.loc["0.9-1", "count"] == 2
    assert hist["share"].sum() == pytest.approx(100.0)
    out2 = lowest_score_positions(scores, min_steps=2, bins=4)
    assert out2["n"] == 4 and out2["share_last"] == 25.0
    assert out2["histogram"]["count"].tolist() == [2, 1, 0, 1]  # 0.25 sits on an edge -> upper bin


def test_step_label_agreement_with_truncation():
    truth = [[True, True, False, False], [True, True, True], [False, False]]
    # source truncated after its first error; second solution wrongly flagged at step 1
    pred = [[True, False], [True, False], [False]]
    m = step_label_agreement(pred, truth)
    # compared steps: sol0 first 2 (T/T, F/T), sol1 first 2 (T/T, F/T), sol2 first 1 (F/F)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 2, 0, 2)
    assert m["steps_compared"] == 5 and m["steps_skipped"] == 2 + 1 + 1
    assert m["precision"] == pytest.approx(100 / 3) and m["recall"] == 100.0
    assert m["f1"] == pytest.approx(50.0)
    soft = step_label_agreement([[0.9, 0.2]], [[1.0, 0.0]], threshold=0.5)
    assert soft["tp"] == 1 and soft["tn"] == 1
    with pytest.raises(ValueError, match="2 predicted label lists for 1"):
        step_label_agreement([[True], [True]], [[True]])


def test_first_error_agreement():
    assert first_errors([[True, False], [True, True], [0.2]]) == [1, -1, 0]
    m = first_error_agreement([1, -1, 0, 2, 3], [1, 2, -1, 3, 1])
    assert m["agreement"] == 20.0 and m["n"] == 5
    assert m["missed_error"] == 20.0 and m["false_alarm"] == 20.0
    assert m["too_early"] == 20.0 and m["too_late"] == 20.0
    assert m["error_agreement"] == 25.0 and m["correct_agreement"] == 0.0
    both = label_quality([[True, False]], [[True, True, False]])
    assert both["first_error"]["agreement"] == 0.0 and both["steps"]["fp"] == 1
