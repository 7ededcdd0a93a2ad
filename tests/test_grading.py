"""Answer extraction, equivalence, voting keys and the time limits of prmlib.grading."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from prmlib import grading
from prmlib.answer_extraction import find_boxed, normalize_answer
from prmlib.grading import NO_ANSWER_KEY, answer_key, extract_answer, grade, is_equivalent

# An answer whose comparison makes sympy work for minutes: 9^(9^(9^9)) against 2.
PATHOLOGICAL = "9^{9^{9^{9}}}"


# -- extraction -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so $x = \\boxed{\\frac{1}{\\sqrt{2}}}$.", "\\frac{1}{\\sqrt{2}}"),
        ("first \\boxed{1}, then \\boxed{\\{1, \\{2\\}\\}}", "\\{1, \\{2\\}\\}"),
        ("nested \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)} end", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("$\\fbox{12}$", "12"),
        ("$\\framebox{204}$ minutes", "204"),
        ("We get $\\boxed 5$ in the end", "5"),
        ("\\boxed{7}\n\nThe final answer is 8.", "7"),  # a box wins over text
        ("earlier \\boxed{3} and a truncated \\boxed{\\frac{1}{", "3"),  # unclosed box skipped
        ("The answer is (B).", "B"),
        ("Therefore the answer is \\boxed{B}.", "B"),
        ("The answer is $\\frac{1}{2}$ of the cake.", "\\frac{1}{2}"),
        ("Final Answer: The final answer is $-2016$. I hope it is correct.", "-2016"),
        ("so the final answer is: 13520", "13520"),
        ("Answer: 42", "42"),
        ("**Answer:** Verna received $7.00 in change.", "7.00"),
        ("### Final Answer\nThe product of the digits of \\(N\\) is **6**.", "6"),
        ("So the price is 29 cents.\n\n# Answer\n\n29", "29"),
        ("Janet sells 9 eggs.\n#### 1,000", "1,000"),
        ("The answer is 3.5.", "3.5"),
    ],
)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "We could not finish the computation.", "#### Step 2: a markdown heading\nmore text", "\\boxed{}",
     "\\boxed{\\frac{1}{", None, 42, ["\\boxed{1}"]],
)
def test_extract_answer_none(text):
    assert extract_answer(text) is None


def test_find_boxed_keeps_order_and_nesting():
    assert find_boxed("\\boxed{a{b}c} x \\fbox{d} \\boxed{e") == ["a{b}c", "d"]


# -- equivalence ------------------------------------------------------------------------------
EQUIVALENT = [
    ("18", "18"), ("018", "18"), ("-3", "-3"), ("\\dfrac12", "0.5"), ("\\frac{1}{2}", "1/2"), ("1,000", "1000"),
    ("1{,}000", "1000"), ("\\$1,234.50", "1234.5"), ("50\\%", "50"), ("50\\%", "0.5"), ("x = 5", "5"),
    ("30^\\circ", "30"), ("30^{\\circ}", "30"), ("10\\text{ cm}", "10"), ("12 inches", "12"), ("(B)", "B"),
    ("\\text{(C)}", "C"), ("\\textbf{B}", "B"), ("\\frac{\\sqrt2}{2}", "\\frac{1}{\\sqrt{2}}"),
    ("x(x+2)", "x^2+2x"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"), ("3, 2", "2, 3"),
    ("[1,2)", "[1, 2)"), ("\\begin{pmatrix} 1/5 \\\\ -3/5 \\end{pmatrix}",
                          "\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{3}{5} \\end{pmatrix}"),
    ("k < -5", "(-\\infty,-5)"), ("\\infty", "\\infty"), ("\\15", "15"),
]
NOT_EQUIVALENT = [
    ("18", "19"), ("0.33", "\\frac{1}{3}"), ("B", "C"), ("12", "B"), ("B", "12"), ("x^2+2x", "x(x+3)"),
    ("\\sqrt{2}", "2"), ("(1,2)", "(2,1)"), ("50\\%", "5"), ("", "1"), ("1", ""), ("k < -4", "(-\\infty,-5)"),
]


@pytest.mark.parametrize(("pred", "gold"), EQUIVALENT)
def test_equivalent(pred, gold):
    assert is_equivalent(pred, gold) is True


@pytest.mark.parametrize(("pred", "gold"), NOT_EQUIVALENT)
def test_not_equivalent(pred, gold):
    assert is_equivalent(pred, gold) is False


@pytest.mark.parametrize(
    "junk", ["\\frac{1}{", "\\left(", "}{}{", "$$$", "\\begin{pmatrix} 1 \\\\", "\\sqrt[", "^^^", "\\", "\x00\x01",
             "\\frac{\\frac{\\frac{}{}}{}}{}", "x" * 5000],
)
def test_malformed_latex_is_false_without_raising(junk):
    assert is_equivalent(junk, "2") is False
    assert is_equivalent("2", junk) is False


@pytest.mark.parametrize("value", [None, 3, 2.5, ["1"]])
def test_non_string_inputs(value):
    assert is_equivalent(value, "3") is False
    assert is_equivalent("3", value) is False


def test_integer_fast_path_never_reaches_math_verify(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("math-verify called for a fast-path case")

    monkeypatch.setattr(grading, "_math_verify_equal", boom)
    monkeypatch.setattr(grading, "_verify_in_worker", boom)
    cases = [("123", "123"), ("123", "124"), ("-7", "-7"), ("1,000", "1000"), ("\\frac12", "0.5"), ("(A)", "B")]
    for pred, gold in cases:
        expected = (pred, gold) in {("123", "123"), ("-7", "-7"), ("1,000", "1000"), ("\\frac12", "0.5")}
        assert is_equivalent(pred, gold) is expected
    start = time.perf_counter()
    for i in range(20000):
        is_equivalent(str(i), str(i + (i % 2)))
    per_call = (time.perf_counter() - start) / 20000
    assert per_call < 1e-4, f"integer comparison took {per_call * 1e6:.1f} us per call"


# -- time limits ------------------------------------------------------------------------------
def test_pathological_input_returns_within_limit_in_main_thread():
    assert threading.current_thread() is threading.main_thread()
    handler_before = signal.getsignal(signal.SIGALRM)
    foreign_timer = signal.getitimer(signal.ITIMER_REAL)[0] > 0  # e.g. pytest-timeout's
    start = time.perf_counter()
    assert is_equivalent(PATHOLOGICAL, "2", timeout=1.0) is False
    # 1 s limit; with a foreign timer armed the helper process (and its start-up) is used instead
    assert time.perf_counter() - start < (15.0 if foreign_timer else 3.0)
    # the handler is restored, and our timer is disarmed (a foreign one keeps running)
    assert signal.getsignal(signal.SIGALRM) == handler_before
    assert (signal.getitimer(signal.ITIMER_REAL)[0] > 0) == foreign_timer


def test_timeout_works_off_the_main_thread():
    def job(args):
        pred, gold, timeout = args
        start = time.perf_counter()
        return is_equivalent(pred, gold, timeout=timeout), time.perf_counter() - start

    jobs = [(PATHOLOGICAL, "2", 1.0), ("x(x+2)", "x^2+2x", 10.0), ("\\frac{\\sqrt2}{2}", "\\frac{1}{\\sqrt{2}}", 10.0),
            ("x(x+3)", "x^2+2x", 10.0), (PATHOLOGICAL, "2", 1.0), ("7", "7", 1.0)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(job, jobs))
    assert [ok for ok, _ in results] == [False, True, True, False, False, True]
    # 1 s limit plus the one-off start of a helper process (about a second, more on a busy machine)
    assert results[0][1] < 15 and results[4][1] < 15


def test_armed_foreign_timer_is_left_alone():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60.0)
        assert is_equivalent("x(x+2)", "x^2+2x") is True
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining <= 60.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


# -- voting keys and grade --------------------------------------------------------------------
@pytest.mark.parametrize(
    "group",
    [["0.5", "1/2", "\\frac{1}{2}", "\\dfrac12", "$\\frac12$", ".5"], ["1,000", "1000", "1000.0", "\\$1000"],
     ["(B)", "B", "\\text{(B)}", "B."], ["x = 5", "5", "5^\\circ"], ["\\sqrt{2}", "\\sqrt{2} ", "$\\sqrt{2}$"]],
)
def test_answer_key_groups(group):
    assert len({answer_key(a) for a in group}) == 1


def test_answer_key_separates_and_reserves_no_answer():
    assert answer_key("2") != answer_key("3")
    assert answer_key("1/2") != answer_key("2")
    assert answer_key(None) == NO_ANSWER_KEY
    assert answer_key("") == NO_ANSWER_KEY
    assert answer_key("$ $") == NO_ANSWER_KEY
    assert NO_ANSWER_KEY not in {answer_key(a) for a in ["no answer", "<no answer>", "none", "0"]}


def test_grade():
    assert grade("Step 1.\n\nSo the answer is $\\boxed{\\frac{3}{6}}$.", "0.5") is True
    assert grade("Step 1.\n\nSo the answer is $\\boxed{2}$.", "0.5") is False
    assert grade("I could not finish.", "0.5") is False
    assert grade("The answer is (C).", "C") is True


def test_normalize_keeps_words_apart():
    assert normalize_answer("\\sin x") == "\\sin x"
    assert normalize_answer("$x^2 + 1$") == "x^2+1"
