"""The form check that lets ``auto`` read unboxed answers to golds that are not plain numbers."""

import pytest

from prmlib.answer_extraction import extract_answer
from prmlib.answer_shapes import answer_shape, extract_matching, shapes_match
from prmlib.grading import grade


@pytest.mark.parametrize(("answer", "shape"), [
    ("12", ("number", 1)),
    ("\\frac{3}{4}", ("number", 1)),
    ("5,15", ("list", 2)),
    ("-1,2,-2", ("list", 3)),
    ("(1000, 10)", ("list", 2)),
    ("\\{-1, 0, 1\\}", ("list", 3)),
    ("1,000", ("number", 1)),  # a thousands separator, not a list
    ("6 \\sqrt{2}", ("expression", 1)),
    ("f(z)=z", ("expression", 1)),
    ("\\frac{x+1}{2}", ("expression", 1)),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", ("matrix", 1)),
    ("The first two plaintext blocks are (8,5),(12,12)", ("prose", 1)),
    ("\\text{Since the matrix has two equal rows, } \\det A = 0", ("prose", 1)),
])
def test_answer_shape(answer, shape):
    assert answer_shape(answer) == shape


def test_shapes_match_never_pairs_a_lone_number_with_another_form():
    assert shapes_match("6\\sqrt{2}", "6 \\sqrt{2}")
    assert shapes_match("5, 15", "15,5")
    assert not shapes_match("3", "\\sqrt{3}")
    assert not shapes_match("5", "5,15")
    assert not shapes_match("1, 2, 3", "5,15")
    assert not shapes_match("1", "The first two plaintext blocks are (8,5),(12,12)")
    assert not shapes_match("1", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}")
    assert not shapes_match("12", "12")  # number golds have the flexible policy, not this check


@pytest.mark.parametrize(("text", "gold", "expected"), [
    # the values of a list, collected from the last sentence
    ("Therefore, the values of \\(x\\) are \\(x = -1\\), \\(x = 2\\), and \\(x = -2\\).", "-1,2,-2", "-1, 2, -2"),
    ("So the values of \\(n\\) for which the \\(n\\)th terms agree are \\(n = 5\\) and \\(n = 15\\).", "5,15",
     "5, 15"),
    ("Thus, the integer values of \\(x\\) are \\(-1, 0,\\) and \\(1\\).", "-1,0,1", "-1, 0, 1"),
    ("The solution to the system is \\((x, y) = (1000, 10)\\).", "10^{3},10", "(1000, 10)"),
    # an expression stated as the result
    ("The length of \\(AB\\) is \\(6\\sqrt{2}\\).", "6 \\sqrt{2}", "6\\sqrt{2}"),
    # forms that must not be read
    ("So the answer is 3.", "\\sqrt{3}", None),  # a lone number for an expression
    ("The values are \\(n = 5\\) and \\(n = 15\\) and \\(n = 20\\).", "5,15", None),  # 3 values for 2
    ("We get 1.", "The first two plaintext blocks are (8,5),(12,12)", None),  # prose gold
    ("We get 1.", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", None),  # matrix gold
    ("The function is \\(f(x) = 0\\) for every \\(x\\).", "0,1", None),  # an equation states no value
    ("I could not finish the problem.", "6 \\sqrt{2}", None),
])
def test_extract_matching(text, gold, expected):
    assert extract_matching(text, gold) == expected


def test_auto_reads_matching_forms_only_with_the_gold_and_only_when_strict_finds_nothing():
    text = "The length of \\(AB\\) is \\(6\\sqrt{2}\\)."
    assert extract_answer(text, "auto") is None  # without a gold, auto is strict
    assert extract_answer(text, "auto", gold="6\\sqrt{2}") == "6\\sqrt{2}"
    assert extract_answer(text, "strict", gold="6\\sqrt{2}") is None  # only auto looks further
    boxed = "So \\(AB = \\boxed{5\\sqrt{2}}\\). In words: \\(6\\sqrt{2}\\) was a slip."
    assert extract_answer(boxed, "auto", gold="6\\sqrt{2}") == "5\\sqrt{2}"  # a box always wins
    assert grade(text, "6\\sqrt{2}", policy="auto") and not grade(text, "6\\sqrt{2}", policy="strict")
    assert not grade("So the answer is 3.", "\\sqrt{3}", policy="auto")
    assert grade("Thus the values are \\(x = 1\\) and \\(x = 2\\).", "2,1", policy="auto")  # any order


def test_extract_matching_never_raises():
    for text, gold in [(None, "1,2"), ("x", None), ("", ""), ("\\(", "\\{1,2"), ("$$$", "(")]:
        assert extract_matching(text, gold) is None


@pytest.mark.parametrize(("text", "gold", "expected"), [
    ("So the values of \\(k\\) are \\(\\boxed{-1}\\) and \\(\\boxed{-9}\\).", "-1,-9", "-1, -9"),
    ("The maximum is \\(\\boxed{3}\\), and the minimum is \\(\\boxed{1}\\).", "1,3", "3, 1"),
    ("**Final Answer:** The values of \\(x\\) for which \\(f(x) = g(x)\\) are \\(x = 5\\) and \\(x = -2\\).", "5,-2",
     "5, -2"),
    # only read when the gold lists as many values
    ("So the values are \\(\\boxed{-1}\\) and \\(\\boxed{-9}\\).", "-9", "-9"),  # a number gold: the last box
    ("So the values are \\(\\boxed{1}\\), \\(\\boxed{2}\\) and \\(\\boxed{3}\\).", "1,2", "3"),  # 3 boxes for 2
    ("The answer is \\(\\boxed{(1, 2)}\\).", "1,2", "(1, 2)"),  # the box already lists both
    ("Boxes: \\(\\boxed{1}\\)\n\nSo the other one is \\(\\boxed{2}\\).", "1,2", "2"),  # one box on the last line
])
def test_auto_reads_every_value_of_a_list_gold(text, gold, expected):
    assert extract_answer(text, "auto", gold=gold) == expected


def test_list_answers_grade_in_any_order_and_strict_is_unchanged():
    text = "The maximum is \\(\\boxed{3}\\), and the minimum is \\(\\boxed{1}\\)."
    assert grade(text, "1,3", policy="auto")
    assert not grade(text, "1,3", policy="strict")  # strict keeps the last box
    assert extract_answer(text, "strict", gold="1,3") == "1"
