"""Consensus filtering between MC first errors and judge first errors."""

from __future__ import annotations

import pytest

from prmlib.annotate.consensus import consensus_filter, consensus_reason


def test_reasons():
    assert consensus_reason(-1, -1) == "agree_clean"
    assert consensus_reason(2, 2) == "agree_error"
    assert consensus_reason(2, None) == "judge_unparseable"
    assert consensus_reason(None, 1) == "mc_missing"
    assert consensus_reason(3, -1) == "judge_clean_mc_error"
    assert consensus_reason(-1, 0) == "mc_clean_judge_error"
    assert consensus_reason(3, 1) == "judge_earlier"
    assert consensus_reason(1, 3) == "judge_later"


def test_filter_summary_and_select():
    mc = [-1, 2, 2, -1, 4, 1, 0, 3]
    jd = [-1, 2, None, 1, -1, 3, 0, 1]
    res = consensus_filter(mc, jd, judged=[True] * 7 + [False])
    assert res.keep == [True, True, False, False, False, False, True, False]
    assert res.kept_indices == [0, 1, 6]
    assert res.select(list("abcdefgh")) == ["a", "b", "g"]
    s = res.summary()
    assert (s["total"], s["kept"], s["dropped"]) == (8, 3, 5)
    assert s["kept_share"] == pytest.approx(3 / 8)
    assert s["reasons"] == {
        "agree_clean": 1, "agree_error": 2, "judge_unparseable": 1, "judge_missing": 1, "mc_missing": 0,
        "judge_clean_mc_error": 1, "mc_clean_judge_error": 1, "judge_earlier": 0, "judge_later": 1,
    }
    with pytest.raises(ValueError, match="parallel"):
        consensus_filter([1], [1, 2])
    with pytest.raises(ValueError, match="items for"):
        res.select([1])


def test_synthetic_consensus_is_cleaner_than_mc():
    """On the synthetic world (exact truth known), kept solutions agree with the truth more often."""
    from prmlib.annotate.inputs import synthetic_solutions
    from prmlib.annotate.mc import mc_estimate
    from prmlib.synth import SyntheticJudge, SyntheticPolicy, first_error

    sols = synthetic_solutions(100, seed=4)
    mc = mc_estimate(sols, SyntheticPolicy(), strategy="early_stop", show_progress=False)
    jd = SyntheticJudge().first_errors([s.problem for s in sols], [s.steps for s in sols])
    res = consensus_filter([r.first_error for r in mc], jd)
    truth = [first_error(s.problem, s.steps) for s in sols]
    acc_all = sum(r.first_error == t for r, t in zip(mc, truth)) / len(sols)
    kept = res.kept_indices
    acc_kept = sum(mc[i].first_error == truth[i] for i in kept) / len(kept)
    assert 0 < len(kept) < len(sols)
    assert acc_kept > acc_all
