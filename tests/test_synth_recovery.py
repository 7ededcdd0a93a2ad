"""Routes from a wrong step to the right answer (prmlib.synth.recovery), on hand-written plain steps
and on the policy's own completions."""

from functools import partial

import pytest

from prmlib.synth import SyntheticPolicy, make_problems, parse_problem
from prmlib.synth.recovery import ROUTES, answer_with, recovery_route, recovery_routes
from prmlib.synth.stats import sample_solutions

PlainPolicy = partial(SyntheticPolicy, surface="plain")

CHAIN = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 times as many apples as Bob. "
         "Dan has 4 fewer apples than Cara. How many apples does Dan have?")  # 17, 51, 47
HALF = ("Ann has 12 apples. Bob has 4 more apples than Ann. Cara has half as many apples as Bob. "
        "How many apples does Cara have?")  # 16, 8
DISTRACTOR = ("Ann has 12 apples. Bob has 5 more apples than Ann. Eve has 2 more apples than Ann. "
              "Cara has 3 times as many apples as Bob. How many apples does Cara have?")
CANCEL = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 more apples than Bob. "
          "Dan has as many apples as Cara has more than Bob. How many apples does Dan have?")  # 3 whatever Bob is


def test_answer_with_recomputes_the_chain_and_flags_inexact_divisions():
    chain, half, cancel = parse_problem(CHAIN), parse_problem(HALF), parse_problem(CANCEL)
    assert answer_with(chain, "Bob", 17) == (47, False)
    assert answer_with(chain, "Bob", 18) == (50, False)  # 3 * 18 - 4
    assert answer_with(chain, "Dan", 46) == (46, False)  # the target itself
    assert answer_with(half, "Bob", 17) == (8, True)  # 17 // 2: the slip is rounded away
    assert answer_with(half, "Bob", 18) == (9, False)
    assert answer_with(cancel, "Bob", 40) == (3, False)


def test_each_route_on_hand_written_steps():
    chain = parse_problem(CHAIN)
    wrong = "Bob has Ann + 5 = 12 + 5 = 18 apples."
    fixed = ("Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.\n\nCara has 3 * Bob = 3 * 17 = 51 apples."
             "\n\nDan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}.")
    assert recovery_route(chain, wrong, fixed) == "correction"
    slip_back = "Cara has 3 * Bob = 3 * 18 = 51 apples.\n\nDan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}."
    assert recovery_route(chain, wrong, slip_back) == "second slip"
    distractor = parse_problem(DISTRACTOR)
    assert "Eve" not in distractor.needed
    assert recovery_route(distractor, "Eve has Ann + 2 = 12 + 2 = 15 apples.",
                          "Cara has 3 * Bob = 3 * 17 = 51 apples. The answer is \\boxed{51}.") == "distractor"
    half = parse_problem(HALF)
    assert recovery_route(half, "Bob has Ann + 4 = 12 + 4 = 17 apples.",
                          "Cara has Bob / 2 = 17 / 2 = 8 apples. The answer is \\boxed{8}.") == "rounded away"
    # a correction of a later step is not a correction of the wrong one: here the rounding absorbs it
    assert recovery_route(half, "Bob has Ann + 4 = 12 + 4 = 17 apples.",
                          "Cara has Bob / 2 = 17 / 2 = 9 apples.\n\nWait, Cara has Bob / 2 = 17 / 2 = 8 apples, "
                          "not 9. The answer is \\boxed{8}.") == "rounded away"
    cancel = parse_problem(CANCEL)
    assert recovery_route(cancel, "Bob has Ann + 5 = 12 + 5 = 18 apples.",
                          "Cara has Bob + 3 = 18 + 3 = 21 apples.\n\nDan has Cara - Bob = 21 - 18 = 3 apples. "
                          "The answer is \\boxed{3}.") == "cancels"


@pytest.fixture(scope="module")
def problems():
    return [p for d in (3, 4, 5) for p in make_problems(40, d, seed=1, surface="plain")]


def _counts_are_consistent(per_kind, k):
    assert per_kind, "no erroneous solution in the sample"
    for c in per_kind.values():
        assert c["completions"] == k * c["solutions"]
        assert c["prefixes right"] <= c["solutions"] and c["right"] <= c["completions"]
        assert sum(c[r] for r in ROUTES) == c["right"]  # every right completion gets exactly one route


def test_recovery_routes_follow_the_policy_knobs(problems):
    k = 4
    never = {"arithmetic": 0.0, "value": 0.0, "operation": 0.0}
    # a policy that always notices the slip it just wrote: every right completion after a slip corrects it
    eager = PlainPolicy(notice={"arithmetic": 1.0, "value": 0.0, "operation": 0.0})
    sols = sample_solutions(problems, eager, n=2, seed=0)
    per_kind = recovery_routes(eager, sols, k=k, seed=3)
    _counts_are_consistent(per_kind, k)
    slips = per_kind["arithmetic"]
    assert slips["right"] > 0 and slips["correction"] == slips["right"]
    # a policy with no way back but the problem's own structure: no corrections, no distractors
    stubborn = PlainPolicy(notice=never, review=never, compensate=0.0, skip_distractor=1.0)
    sols = sample_solutions(problems, stubborn, n=2, seed=0)
    per_kind = recovery_routes(stubborn, sols, k=k, seed=3)
    _counts_are_consistent(per_kind, k)
    assert sum(c["correction"] + c["distractor"] for c in per_kind.values()) == 0
    # the calibrated policy corrects some of its slips
    calibrated = PlainPolicy()
    per_kind = recovery_routes(calibrated, sample_solutions(problems, calibrated, n=2, seed=0), k=k, seed=3)
    _counts_are_consistent(per_kind, k)
    assert per_kind["arithmetic"]["correction"] > 0
    with pytest.raises(ValueError, match="k must be"):
        recovery_routes(calibrated, sols, k=0)
