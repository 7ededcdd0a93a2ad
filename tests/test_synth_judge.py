"""Synthetic judges: determinism, kind-dependent misses inferred from the text, false alarms."""

import pytest

from prmlib.interfaces import Judge
from prmlib.synth import JudgeConfig, SyntheticHuman, SyntheticJudge, SyntheticPolicy, make_problems
from prmlib.synth.stats import judge_agreement, sample_solutions

PROBLEM = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 times as many apples as Bob. "
           "Dan has 4 fewer apples than Cara. How many apples does Dan have?")
RIGHT = ["Bob has Ann + 5 = 12 + 5 = 17 apples.", "Cara has Bob * 3 = 17 * 3 = 51 apples.",
         "Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}."]
SLIP = ["Bob has Ann + 5 = 12 + 5 = 18 apples.", "Cara has Bob * 3 = 18 * 3 = 54 apples.",
        "Dan has Cara - 4 = 54 - 4 = 50 apples. The answer is \\boxed{50}."]
WRONG_OP = [RIGHT[0], "Cara has Bob + 3 = 17 + 3 = 20 apples.",
            "Dan has Cara - 4 = 20 - 4 = 16 apples. The answer is \\boxed{16}."]
WRONG_VALUE = [RIGHT[0], "Cara has Ann * 3 = 12 * 3 = 36 apples.",
               "Dan has Cara - 4 = 36 - 4 = 32 apples. The answer is \\boxed{32}."]


@pytest.fixture(scope="module")
def solutions():
    out = []
    for d in (1, 3, 5):
        out += sample_solutions(make_problems(500, d, seed=11), SyntheticPolicy(), n=1, seed=11)
    return out


def test_noiseless_judges_are_exact(solutions):
    exact = [s.meta["first_error"] for s in solutions]
    probs, steps = [s.problem for s in solutions], [s.steps for s in solutions]
    quiet = SyntheticJudge(miss={k: 0.0 for k in JudgeConfig().miss}, false_alarm=0.0)
    assert isinstance(quiet, Judge)
    assert quiet.first_errors(probs, steps) == exact
    assert SyntheticHuman().first_errors(probs, steps) == exact


def test_judge_is_deterministic_and_order_free(solutions):
    judge = SyntheticJudge(seed=3)
    probs, steps = [s.problem for s in solutions], [s.steps for s in solutions]
    a = judge.first_errors(probs, steps)
    assert a == SyntheticJudge(seed=3).first_errors(probs, steps)
    assert judge.first_errors(probs[::-1], steps[::-1]) == a[::-1]
    assert a != SyntheticJudge(seed=4).first_errors(probs, steps)


def test_judge_infers_the_kind_of_error_from_the_text():
    judge = SyntheticJudge(miss={"arithmetic": 1.0, "value": 0.0, "operation": 0.0}, false_alarm=0.0)
    # misses the slip, then trusts Bob = 18, so the steps built on it look right: no error found
    assert judge.first_errors([PROBLEM], [SLIP]) == [-1]
    assert judge.first_errors([PROBLEM] * 3, [RIGHT, WRONG_OP, WRONG_VALUE]) == [-1, 1, 1]
    judge = SyntheticJudge(miss={"arithmetic": 0.0, "value": 1.0, "operation": 1.0}, false_alarm=0.0)
    assert judge.first_errors([PROBLEM] * 3, [SLIP, WRONG_OP, WRONG_VALUE]) == [0, -1, -1]
    # always raises an alarm on the first step
    assert SyntheticJudge(false_alarm=1.0).first_errors([PROBLEM], [RIGHT]) == [0]
    assert SyntheticJudge(unparsed=1.0).first_errors([PROBLEM], [RIGHT]) == [None]


def test_default_judge_error_rates(solutions):
    """Measured on these 1,500 solutions (seed 11): accuracy 0.83; first errors caught: arithmetic
    0.79, operation 0.74, value 0.48; 5.7% of fully correct solutions flagged; accuracy 0.96 at
    difficulty 1 and 0.69 at difficulty 5."""
    stats = judge_agreement(SyntheticJudge(), solutions)
    assert 0.75 <= stats["accuracy"] <= 0.92
    caught = stats["caught"]
    assert caught["arithmetic"] > caught["operation"] > caught["value"]
    assert 0.7 <= caught["arithmetic"] <= 0.95 and 0.4 <= caught["value"] <= 0.75
    assert 0.03 <= stats["false_alarm_on_correct"] <= 0.2
    assert 0.0 < stats["early"] < 0.1 and 0.1 < stats["late"] < 0.4
    # the judge gets worse on harder problems
    by_level = {d: judge_agreement(SyntheticJudge(), [s for s in solutions if s.meta["difficulty"] == d])
                for d in (1, 5)}
    assert by_level[1]["accuracy"] > by_level[5]["accuracy"] + 0.1


def test_human_noise(solutions):
    exact = [s.meta["first_error"] for s in solutions]
    probs, steps = [s.problem for s in solutions], [s.steps for s in solutions]
    noisy = SyntheticHuman(noise=0.2, seed=1).first_errors(probs, steps)
    changed = sum(a != b for a, b in zip(noisy, exact)) / len(exact)
    assert 0.15 < changed < 0.25
    assert noisy == SyntheticHuman(noise=0.2, seed=1).first_errors(probs, steps)
    with pytest.raises(ValueError, match="noise must be in"):
        SyntheticHuman(noise=1.5)
    with pytest.raises(ValueError, match="problems but"):
        SyntheticHuman().first_errors([PROBLEM], [])
