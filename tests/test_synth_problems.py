"""Synthetic problems: generation, rendering and re-reading from text."""

import pytest

from prmlib.synth import LEVELS, SynthProblem, make_problems, parse_problem
from prmlib.synth.problems import apply_op


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_problems_round_trip_and_structure(difficulty):
    level = LEVELS[difficulty]
    problems = make_problems(40, difficulty, seed=3)
    assert len(problems) == 40
    for p in problems:
        assert isinstance(p, SynthProblem)
        assert parse_problem(p.text) == p  # everything is recoverable from the text alone
        assert p.difficulty == difficulty and p.id.startswith(f"d{difficulty}-")
        assert len(p.derived) == level.derived + level.distractors
        assert sum(not q.derived for q in p.quantities) == level.givens
        assert p.gold == str(p.values[p.target])
        assert p.derived[-1].name == p.target
        for q in p.quantities:
            assert isinstance(q.value, int) and 1 <= q.value <= max(level.cap, level.given_range[1])
            assert q.kind == "given" or q.kind in level.kinds
        # distractors: derived people the answer does not depend on
        assert len([q for q in p.derived if q.name not in p.needed]) == level.distractors
        assert p.text.endswith(f"How many {p.item} does {p.target} have?")


def test_make_problems_is_deterministic_and_seeded():
    a = make_problems(20, 4, seed=0)
    assert a == make_problems(20, 4, seed=0)
    assert [p.text for p in a] != [p.text for p in make_problems(20, 4, seed=1)]


def test_difficulty_grows_in_steps_sizes_and_operations():
    for surface in ("local", "plain"):
        ops = {d: {q.op for p in make_problems(60, d, seed=0, surface=surface) for q in p.derived} for d in LEVELS}
        assert ops[1] == {"+", "-"}
        assert ops[2] >= {"+", "-", "*"} and "/" not in ops[2]
        assert ops[5] == {"+", "-", "*", "/"}
    # the plain surface also grows its numbers; the local one keeps every count from 2 to 9
    biggest = {d: max(q.value for p in make_problems(60, d, seed=0, surface="plain") for q in p.quantities)
               for d in LEVELS}
    assert biggest[1] < biggest[3] < biggest[5]
    assert max(q.value for p in make_problems(60, 5, seed=0) for q in p.quantities) <= 9


def test_parse_problem_rejects_inexact_division():
    text = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 times as many apples as Bob. "
            "Dan has a quarter as many apples as Cara. How many apples does Dan have?")
    with pytest.raises(ValueError, match="not exact"):  # 51 apples cannot be split in 4
        parse_problem(text)


def test_parse_problem_values():
    text = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 4 times as many apples as Bob. "
            "Dan has a quarter as many apples as Cara. Eve has as many apples as Dan and Ann together. "
            "Finn has as many apples as Eve has more than Bob. How many apples does Finn have?")
    p = parse_problem(text)
    assert p.values == {"Ann": 12, "Bob": 17, "Cara": 68, "Dan": 17, "Eve": 29, "Finn": 12}
    assert p.gold == "12" and p.target == "Finn" and p.item == "apples"
    assert [q.args for q in p.derived] == [("Ann", 5), ("Bob", 4), ("Cara", 4), ("Dan", "Ann"), ("Eve", "Bob")]
    assert p.difficulty == 0  # five derived people fits no level


@pytest.mark.parametrize(
    "text, message",
    [
        ("Ann has 12 apples. Bob has 5 more apples than Ann.", "question"),
        ("Ann has 12 apples. Bob likes Ann. How many apples does Bob have?", "outside the synthetic grammar"),
        ("Ann has 12 apples. Bob has 5 more pears than Ann. How many apples does Bob have?", "pears"),
        ("Bob has 5 more apples than Ann. How many apples does Bob have?", "used before it is defined"),
        ("Ann has 12 apples. How many apples does Zoe have?", "Zoe"),
        ("", "no sentences"),
    ],
)
def test_parse_problem_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=message):
        parse_problem(text)


def test_bad_arguments():
    with pytest.raises(ValueError, match="difficulty must be one of"):
        make_problems(1, 6)
    with pytest.raises(ValueError, match="n must be >= 0"):
        make_problems(-1, 1)
    assert apply_op("/", 7, 2) is None and apply_op("/", 8, 2) == 4
