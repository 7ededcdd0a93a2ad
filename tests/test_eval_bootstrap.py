"""Paired bootstrap intervals of ProcessBench F1 and Best-of-N differences (hand-made cases)."""

from __future__ import annotations

import numpy as np
import pytest

from prmlib.eval.bootstrap import (
    average_accuracy,
    average_f1,
    class_stratified_indices,
    paired_bon_accuracy,
    paired_processbench_f1,
    stratified_indices,
)
from prmlib.eval.processbench import processbench_f1

RNG = np.random.default_rng(0)
LABELS = {"level-1": RNG.integers(-1, 4, size=120), "level-2": RNG.integers(-1, 6, size=80)}


def _noisy(labels, p_right, seed):
    """Predictions that are right with probability ``p_right`` per row, else off by one step."""
    rng = np.random.default_rng(seed)
    return {g: np.where(rng.random(len(y)) < p_right, y, y + 1) for g, y in labels.items()}


def test_full_sample_f1_is_the_mean_of_processbench_f1():
    pred = _noisy(LABELS, 0.7, 1)
    expected = np.mean([processbench_f1(pred[g], LABELS[g])["f1"] for g in LABELS])
    assert average_f1(pred, LABELS)[0] == pytest.approx(expected)


def test_each_resamples_f1_is_processbench_f1_on_those_rows():
    pred = _noisy(LABELS, 0.7, 6)
    idx = class_stratified_indices(LABELS, n_boot=5, seed=1)
    samples = average_f1(pred, LABELS, idx)
    for i in range(5):
        expected = np.mean([processbench_f1(pred[g][idx[g][i]], LABELS[g][idx[g][i]])["f1"] for g in LABELS])
        assert samples[i] == pytest.approx(expected)


def test_resamples_keep_each_class_count():
    idx = class_stratified_indices(LABELS, n_boot=20, seed=2)
    for g, y in LABELS.items():
        assert idx[g].shape == (20, len(y))
        assert ((y[idx[g]] >= 0).sum(axis=1) == (y >= 0).sum()).all()  # erroneous rows stay erroneous


def test_undefined_cases_are_said_not_guessed():
    only_correct = {"a": np.array([-1, -1, -1])}
    assert np.isnan(average_f1({"a": np.array([-1, -1, -1])}, only_correct)[0])  # as processbench_f1: NaN
    with pytest.raises(ValueError, match="lack erroneous or correct rows"):
        paired_processbench_f1(only_correct, only_correct, only_correct)
    with pytest.raises(ValueError, match="have no problems"):
        paired_bon_accuracy({"L1": np.array([], dtype=bool)}, {"L1": np.array([], dtype=bool)})


def test_resamples_keep_each_groups_size_and_are_seeded():
    idx = stratified_indices({"a": 5, "b": 3}, n_boot=4, seed=7)
    assert idx["a"].shape == (4, 5) and idx["b"].shape == (4, 3) and idx["a"].max() < 5
    again = stratified_indices({"a": 5, "b": 3}, n_boot=4, seed=7)
    assert all(np.array_equal(idx[g], again[g]) for g in idx)
    with pytest.raises(ValueError, match="n_boot"):
        stratified_indices({"a": 5}, n_boot=0)


def test_same_predictions_differ_by_exactly_zero():
    pred = _noisy(LABELS, 0.6, 2)
    ci = paired_processbench_f1(pred, pred, LABELS, n_boot=300)
    assert ci["diff"] == 0.0 and ci["lo"] == 0.0 and ci["hi"] == 0.0 and ci["n_boot"] == 300


def test_a_clearly_better_prm_is_beyond_noise_and_a_one_row_difference_is_not():
    good, bad = _noisy(LABELS, 0.95, 3), _noisy(LABELS, 0.4, 4)
    ci = paired_processbench_f1(good, bad, LABELS, n_boot=500)
    assert ci["diff"] > 30 and ci["lo"] > 0 and ci["lo"] <= ci["diff"] <= ci["hi"] and ci["beyond"]
    almost = {g: v.copy() for g, v in good.items()}
    y0 = LABELS["level-1"][0]
    almost["level-1"][0] = y0 + 1 if good["level-1"][0] == y0 else y0  # one row of 200 changes
    ci = paired_processbench_f1(good, almost, LABELS, n_boot=500)
    assert ci["lo"] <= 0.0 <= ci["hi"] and abs(ci["diff"]) < 2 and not ci["beyond"]


def test_bon_accuracy_difference():
    a = {"L1": np.array([1, 1, 1, 0] * 25, dtype=bool), "L2": np.array([1, 0] * 50, dtype=bool)}
    b = {"L1": np.array([0, 0, 1, 0] * 25, dtype=bool), "L2": np.array([0, 0] * 50, dtype=bool)}
    assert average_accuracy(a)[0] == pytest.approx((75 + 50) / 2)
    ci = paired_bon_accuracy(a, b, n_boot=500, confidence=0.9)
    assert ci["diff"] == pytest.approx((75 + 50) / 2 - 25 / 2) and ci["lo"] > 0 and ci["confidence"] == 0.9
    with pytest.raises(ValueError, match="same benchmarks and problems"):
        paired_bon_accuracy(a, {"L1": b["L1"]})


def test_missing_predictions_are_an_error():
    pred = _noisy(LABELS, 0.5, 5)
    with pytest.raises(ValueError, match="level-2"):
        paired_processbench_f1(pred, {"level-1": pred["level-1"]}, LABELS)


def test_one_prms_interval_brackets_its_value():
    from prmlib.eval.bootstrap import bon_accuracy_interval, processbench_f1_interval

    pred = _noisy(LABELS, 0.7, 8)
    value, lo, hi = processbench_f1_interval(pred, LABELS, n_boot=300)
    assert value == pytest.approx(average_f1(pred, LABELS)[0]) and lo < value < hi and hi - lo < 30
    correct = {"L1": np.array([1, 0, 1, 1] * 20, dtype=bool)}
    value, lo, hi = bon_accuracy_interval(correct, n_boot=300)
    assert value == 75.0 and lo < 75.0 < hi


def test_clustered_share_resamples_whole_clusters():
    from prmlib.eval.bootstrap import clustered_share_interval

    # every problem has the same share (3 of 8): any resample of whole problems gives it exactly
    value, lo, hi = clustered_share_interval(np.full(40, 3.0), np.full(40, 8.0), n_boot=200)
    assert value == lo == hi == pytest.approx(37.5)
    # the point value pools items (sum / sum), not problems' shares; clusters that differ widen it
    hits, counts = np.array([8, 0] * 20, dtype=float), np.array([8, 2] * 20, dtype=float)
    value, lo, hi = clustered_share_interval(hits, counts, n_boot=500)
    assert value == pytest.approx(80.0) and lo < 80.0 < hi
    # items treated as independent would give a narrower interval than clusters do
    wide = clustered_share_interval(np.array([8, 0] * 20, float), np.full(40, 8.0), n_boot=500)
    flat = clustered_share_interval(np.array([1, 0] * 160, float), np.ones(320), n_boot=500)
    assert wide[0] == flat[0] == 50.0 and wide[2] - wide[1] > 2 * (flat[2] - flat[1])
    assert np.isnan(clustered_share_interval(np.zeros(3), np.zeros(3))).all()
    with pytest.raises(ValueError, match="one length"):
        clustered_share_interval(np.zeros(3), np.ones(4))
