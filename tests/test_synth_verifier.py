"""The exact verifier on hand-written correct, wrong and unreadable solutions."""

import importlib.util

import pytest

from prmlib.solution import join_steps
from prmlib.synth import (
    check_steps,
    final_answer,
    first_error,
    first_error_kind,
    is_correct_answer,
    parse_problem,
    step_labels,
)

PROBLEM = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 times as many apples as Bob. "
           "Dan has 4 fewer apples than Cara. How many apples does Dan have?")
S0 = "Bob has Ann + 5 = 12 + 5 = 17 apples."
S1 = "Cara has Bob * 3 = 17 * 3 = 51 apples."
S2 = "Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}."
CORRECT = [S0, S1, S2]


def test_correct_solution():
    assert parse_problem(PROBLEM).gold == "47"
    assert first_error(PROBLEM, CORRECT) == -1
    assert first_error(PROBLEM, join_steps(CORRECT)) == -1  # text form, split on blank lines
    assert check_steps(PROBLEM, CORRECT) == [None, None, None]
    assert step_labels(PROBLEM, CORRECT) == [True, True, True]
    # commutative operands in either order; a bare answer step after the computation
    alt = ["Bob has 5 + Ann = 5 + 12 = 17 apples.", "Cara has 3 * Bob = 3 * 17 = 51 apples.",
           "Dan has Cara - 4 = 51 - 4 = 47 apples.", "The answer is \\boxed{47}."]
    assert first_error(PROBLEM, alt) == -1
    # a solution that never answers has no wrong step (the answer is graded separately)
    assert first_error(PROBLEM, [S0, S1]) == -1


@pytest.mark.parametrize(
    "index, step, kind",
    [
        (0, "Bob has Ann + 5 = 12 + 5 = 18 apples.", "arithmetic"),
        (1, "Cara has Bob + 3 = 17 + 3 = 20 apples.", "operation"),
        (1, "Cara has Ann * 3 = 12 * 3 = 36 apples.", "value"),  # the wrong person
        (1, "Cara has Bob * 3 = 12 * 3 = 36 apples.", "value"),  # a wrong number for the right person
        (1, "Cara has Bob * 4 = 17 * 4 = 68 apples.", "value"),  # a misread constant
        (2, "Dan has 4 - Cara = 4 - 51 = -47 apples. The answer is \\boxed{-47}.", "value"),  # order of -
        (2, "Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{46}.", "answer"),
        (2, "Dan has Cara - 4 = 51 - 4 = 47 pears. The answer is \\boxed{47}.", "format"),
        (1, "Cara has Bob * 3 = 17 + 3 = 20 apples.", "format"),  # two different operations
        (1, "Zoe has Bob * 3 = 17 * 3 = 51 apples.", "format"),  # nobody called Zoe
        (0, "Ann has Bob - 5 = 17 - 5 = 12 apples.", "format"),  # a given count is not computed
        (1, "So Cara has 51 apples.", "format"),
        (1, "Cara has Bob * 3 = 17 * 3 = 51 apples", "format"),  # no final period
        (1, "", "format"),
    ],
)
def test_single_wrong_step(index, step, kind):
    steps = list(CORRECT)
    steps[index] = step
    assert first_error_kind(PROBLEM, steps) == (index, kind)
    assert first_error(PROBLEM, steps) == index
    assert step_labels(PROBLEM, steps) == [i < index for i in range(3)]


def test_carried_error_and_later_correction():
    wrong = ["Bob has Ann + 5 = 12 + 5 = 18 apples.",  # slip
             "Cara has Bob * 3 = 18 * 3 = 54 apples.",  # consistent with the slip: uses a wrong value
             "Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.",  # locally correct recomputation
             S1, S2]
    assert check_steps(PROBLEM, wrong) == ["arithmetic", "value", None, None, None]
    # ProcessBench convention: the first error decides, even though the answer is right in the end
    assert first_error(PROBLEM, wrong) == 0
    assert step_labels(PROBLEM, wrong) == [False] * 5
    assert is_correct_answer(wrong, "47")


def test_second_slip_cancelling_the_first():
    steps = ["Bob has Ann + 5 = 12 + 5 = 18 apples.", "Cara has Bob * 3 = 18 * 3 = 51 apples.", S2]
    assert check_steps(PROBLEM, steps) == ["arithmetic", "arithmetic", None]
    assert first_error(PROBLEM, steps) == 0 and is_correct_answer(steps, 47)


def test_bare_answer_steps():
    assert first_error(PROBLEM, [S0, S1, "Dan has Cara - 4 = 51 - 4 = 47 apples.", "The answer is \\boxed{48}."]) == 3
    assert first_error(PROBLEM, ["The answer is \\boxed{47}."]) == -1
    # boxing the answer on someone else's step is wrong even with the right number
    assert first_error_kind(PROBLEM, [S0, "Cara has Bob * 3 = 17 * 3 = 51 apples. The answer is \\boxed{51}."]) == (1, "answer")


def test_final_answer_helpers():
    assert final_answer(join_steps(CORRECT)) == 47
    assert final_answer("no box") is None
    assert final_answer("\\boxed{x}") is None
    assert final_answer("\\boxed{1} then \\boxed{ 2 }") == 2
    assert is_correct_answer(CORRECT, "47") and not is_correct_answer(CORRECT, 46)


@pytest.mark.skipif(importlib.util.find_spec("math_verify") is None, reason="math-verify is not installed")
def test_integer_grading_agrees_with_prmlib_grading():
    grading = pytest.importorskip("prmlib.grading")
    for text, gold in [(join_steps(CORRECT), "47"), (join_steps(CORRECT), "46"), ("\\boxed{-3}", "-3"),
                       ("nothing", "3")]:
        assert grading.grade(text, gold) == is_correct_answer(text, gold)
