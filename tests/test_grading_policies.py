"""Extraction policies (strict, flexible, choice, auto), the one cached Grader, default_extraction."""

from __future__ import annotations

import pytest

from prmlib.answer_extraction import extract_answer
from prmlib.answer_forms import EXTRACTION_POLICIES, is_numeric_answer, resolve_policy
from prmlib.data import default_extraction
from prmlib.grading import Grader, grade

# -- flexible: the forms real models write ------------------------------------------------------
FLEXIBLE_FORMS = [
    # answer lines
    ("Q: How many eggs?\nA: 18", "18"),
    ("She sells 16 - 3 - 4 = 9 eggs. A: 18", "18"),
    ("Some work first.\nAnswer 18", "18"),
    ("Some work first.\nAnswer = 18 eggs", "18"),
    # "the result is X"
    ("So the result is 18.", "18"),
    ("Therefore, the value of \\(f(9)\\) is \\(33\\).", "33"),
    ("Therefore, the measure of angle $BAE$ is $30^\\circ$.", "30^\\circ"),
    ("Thus, the probability is \\(\\frac{11}{36}\\).", "\\frac{11}{36}"),
    # a final bold value
    ("Therefore, the remainder is **0**.", "0"),
    ("Therefore, Freda used **12 tomatoes** to make her sauce.", "12"),
    ("There are **1680 distinct** cubes.", "1680"),
    ("So the answer is **five integers**.", "5"),
    # math that ends the sentence, display math
    ("Hence, \\(AC = 25\\) cm.", "25"),
    ("Since \\(x = \\frac{2}{k}\\):\n\\[x^3 = \\frac{8}{\\frac{2}{3}} = 12\\]", "12"),
    ("Thus, there are $2$ solutions.", "2"),
    ("Total_distance_climbed = 80.", "80"),
    # OlympiadBench's bold math, and an expression stated as the result
    ("With $T=27 / 2$, it follows that $n=\\mathbf{1 7}$.", "17"),
    ("The greatest value occurs when $c=\\mathbf{3 9}$ and $b+d=1$.", "39"),
    ("it follows that $B_{2017}=$ $2^{1009}$", "2^{1009}"),
    # the last number of the last sentence
    ("So, after all his transactions, Raymond has $8 left.", "8"),
    ("So, it took James 2 hours to walk to the store.", "2"),
    ("Therefore, Alice ran 108 meters.", "108"),
    # several numbers: the one after "=" or "is", then one not after a preposition
    ("Thus, there are a total of 9 + 6 = 15 liters of water out of the 24 liters.", "15"),
    ("So, Charisma spends a total of 34 hours on yoga in 4 weeks.", "34"),
    ("Therefore, 20 workers are needed to produce \\(\\frac{720}{K}\\) widgets in 4 hours.", "20"),
    ("In summary, the values are \\(2\\) and \\(4\\), giving a total of \\(2 + 1 = 3\\) values for \\(n\\).", "3"),
    # currency dollars are not math, GSM8K calculator annotations are ignored
    ("He had $21 + $11 = $32.\n\nHe spent $5 + $19 = $24, so he has $32 - $24 = $8.", "8"),
    ("She makes 9 * 2 = $<<9*2=18>>18 every day.", "18"),
    # a sentence that only comments on the result defers to the conclusion before it
    ("Therefore, the largest n is 9. This means 2007 divides 2007! up to 9 times.", "9"),
    # a fraction written with a slash
    ("So she ate 1/2 of the pie.", "1/2"),
    # a count of walking steps stated as the result is an answer; "not working" denies nothing
    ("He took 8,000 total steps - 6,000 steps on walks = 2,000 steps.", "2,000"),
    ("If 20 streetlights are not working, the number of working ones is 96-20=76", "76"),
]


@pytest.mark.parametrize(("text", "expected"), FLEXIBLE_FORMS)
def test_flexible_reads_unboxed_answers(text, expected):
    assert extract_answer(text, policy="flexible") == expected


@pytest.mark.parametrize(("text", "expected"), FLEXIBLE_FORMS)
def test_strict_reads_none_of_them_as_this_answer(text, expected):
    assert extract_answer(text) != expected
    assert extract_answer(text, policy="strict") == extract_answer(text)


# -- numbers that are not answers -----------------------------------------------------------------
NOT_ANSWERS = [
    "This took 3 steps.",
    "We reach the result in 3 steps.",
    "Step 3: Simplify the expression.",
    "We now turn to Case 2.",
    "This problem appeared in 2019.",
    "It was posed at the 2021 AMC contest.",
    "The identity is proved in [2].",
    "See the discussion in [3, 4].",
    "So, \\( x = 14 \\) and \\( y = 15 \\) is not a solution.",
    "Without another equation, x + y cannot be determined from 2x + y = 6.",
    "The cake must be finished by 5:00 pm.",
    "We look at the 3rd term.",
    "Now consider x_2 and a^3.",
    "Putting it together, we get -1-\\sqrt{3}.",
    "This gives the factor (x+3).",
    "We could not finish the computation.",
]


@pytest.mark.parametrize("text", NOT_ANSWERS)
def test_flexible_skips_numbers_that_are_not_answers(text):
    assert extract_answer(text, policy="flexible") is None


def test_a_step_number_in_the_last_sentence_does_not_hide_the_answer():
    assert extract_answer("So the total is 12 apples.\n\nStep 3: done.", policy="flexible") == "12"
    assert extract_answer("So she pays 3 * 6 = $18 in total [1].", policy="flexible") == "18"
    assert extract_answer("In 2019 the shop sold 45 bikes.", policy="flexible") == "45"


# -- precedence and no regression ----------------------------------------------------------------
STRICT_CASES = [
    ("so $x = \\boxed{\\frac{1}{\\sqrt{2}}}$.", "\\frac{1}{\\sqrt{2}}"),
    ("\\boxed{7}\n\nSo she has 8 left.", "7"),  # a box wins over any later number
    ("The answer is $\\frac{1}{2}$ of the cake.", "\\frac{1}{2}"),
    ("Final Answer: The final answer is $-2016$. I hope it is correct.", "-2016"),
    ("**Answer:** Verna received $7.00 in change.", "7.00"),
    ("So the price is 29 cents.\n\n# Answer\n\n29", "29"),
    ("Janet sells 9 eggs.\n#### 1,000", "1,000"),
    ("The answer is 3.5.", "3.5"),
    ("The answer is (B).", "B"),
]


@pytest.mark.parametrize(("text", "expected"), STRICT_CASES)
def test_flexible_keeps_every_strict_answer(text, expected):
    assert extract_answer(text) == expected
    assert grade(text, expected) and grade(text, expected, policy="flexible")
    if is_numeric_answer(expected) or "boxed" in text:
        assert extract_answer(text, policy="flexible") == expected


def test_flexible_reads_the_number_of_an_answer_phrase_in_words():
    assert extract_answer("The answer is 18 eggs in 2 baskets") == "18 eggs in 2 baskets"
    assert extract_answer("The answer is 18 eggs in 2 baskets", policy="flexible") == "18"
    assert extract_answer("the answer is therefore $\\mathbf{2 6 2}$.", policy="flexible") == "262"


# -- choice ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The correct option is (C).", "C"),
        ("So the answer: B", "B"),
        ("\\boxed{(B) 12}", "B"),
        ("Therefore the answer is \\boxed{D}.", "D"),
        ("Options A and D fail.\n\nC", "C"),
        ("Putting it together, we get $C$.", "C"),
    ],
)
def test_choice_reads_letters(text, expected):
    assert extract_answer(text, policy="choice") == expected
    assert grade(text, expected, policy="choice")


def test_choice_never_turns_a_word_into_a_letter():
    assert extract_answer("The answer is a car.", policy="choice") == "a car"
    assert not grade("The answer is a car.", "A", policy="choice")
    assert extract_answer("We found that 12 works.", policy="choice") is None


# -- auto and policy resolution ------------------------------------------------------------------
def test_auto_is_flexible_for_numeric_golds_only():
    text = "Therefore, the area of the ellipse is 5 square units."
    assert grade(text, "5", policy="auto")
    assert not grade(text, "5", policy="strict")
    # a non-numeric gold keeps the strict policy: an unboxed "x + 1" is not read
    assert resolve_policy("auto", "x + 1") == "strict"
    assert not grade("So the value is x + 1.", "x + 1", policy="auto")
    assert resolve_policy("auto", "-\\frac{24}{25}") == "flexible"
    assert resolve_policy("auto", "30^\\circ") == "flexible"
    assert resolve_policy("auto") == "strict"
    assert extract_answer(text, policy="auto") is None  # no gold: strict


@pytest.mark.parametrize(("answer", "numeric"), [
    ("18", True), ("-3.5", True), ("\\frac{1}{2}", True), ("1,000", True), ("50\\%", True), ("10 cm", True),
    ("\\sqrt{2}", False), ("x + 1", False), ("(1, 2)", False), ("B", False), (None, False),
])
def test_is_numeric_answer(answer, numeric):
    assert is_numeric_answer(answer) is numeric


def test_unknown_policy_raises():
    with pytest.raises(ValueError, match="unknown extraction policy"):
        extract_answer("\\boxed{1}", policy="loose")
    with pytest.raises(ValueError, match="unknown extraction policy"):
        Grader(policy="loose")
    assert set(EXTRACTION_POLICIES) == {"strict", "flexible", "choice", "auto"}


def test_extraction_never_raises_on_odd_input():
    # nothing to extract from any of these, except that "A:" names choice A for the choice policy
    for policy in EXTRACTION_POLICIES:
        for text in (None, 42, "", "   ", "$", "\\(", "**", "$$ $$", "A:", "Answer", "=" * 50):
            expected = "A" if (policy, text) == ("choice", "A:") else None
            assert extract_answer(text, policy=policy) == expected, (policy, text)


# -- the one cached grader -----------------------------------------------------------------------
def test_grader_caches_by_answer_gold_and_policy():
    calls = []

    def equal(answer, gold):
        calls.append((answer, gold))
        return answer == gold

    g = Grader(policy="flexible", equivalent=equal)
    assert g("So she has 3 + 4 = 7 eggs.", "7") is True
    assert g("Thus the answer is $7$.", "7") is True  # same answer: cached
    assert g("I give up.", "7") is False  # no answer: never compared
    assert g.calls == 1 and calls == [("7", "7")]
    assert g.cache == {("7", "7", "flexible"): True}
    # a per-call policy: strict reads no answer in the first text
    assert g.grade("So she has 3 + 4 = 7 eggs.", "7", policy="strict") is False
    assert g.grade("\\boxed{7}", "7", policy="strict") is True
    assert g.calls == 2 and ("7", "7", "strict") in g.cache


def test_grader_resolves_auto_with_the_gold():
    g = Grader(policy="auto")
    assert g.policy_for("12") == "flexible" and g.policy_for("\\sqrt{2}") == "strict"
    assert g("Hence the answer is 12 apples.", "12")
    # a gold that is not a number: an unboxed answer only when its form matches the gold's
    assert g.extract("The ratio is \\(\\sqrt{2}\\).", "\\sqrt{2}") == "\\sqrt{2}"
    assert g.extract("The ratio is 1.41.", "\\sqrt{2}") is None
    assert g.check(None, "12") is False


def test_grader_uses_is_equivalent_by_default():
    g = Grader(policy="flexible")
    assert g("Thus, the probability is \\(0.5\\).", "\\frac{1}{2}")
    assert not g("Thus, the probability is \\(0.4\\).", "\\frac{1}{2}")
    assert g.calls == 2


# -- default policy of each benchmark ------------------------------------------------------------
def test_default_extraction():
    assert default_extraction("gsm8k") == "flexible"
    assert default_extraction("aime24") == default_extraction("amc23") == "flexible"
    assert default_extraction("mmlu_stem") == "choice"
    for name in ("math", "math500", "minerva_math", "gaokao2023en", "olympiadbench", "college_math", "omnimath"):
        assert default_extraction(name) == "auto"
    assert default_extraction("processbench/gsm8k") == "flexible"
    assert default_extraction("processbench/omnimath") == "auto"
    assert default_extraction("synthetic") == "strict"
    assert default_extraction("GSM8K") == "flexible"
    assert default_extraction("my_data") == default_extraction(None) == "auto"
