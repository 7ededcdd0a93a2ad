"""The ``local`` surface of the synthetic world: small numbers, steps that restate what they use."""

from collections import Counter

import pytest

from prmlib.solution import split_steps
from prmlib.synth import (
    SyntheticPolicy,
    check_steps,
    first_error,
    first_error_kind,
    make_problems,
    parse_problem,
)
from prmlib.synth.problems import LEVELS, SMALL_LEVELS
from prmlib.synth.surface import parse_local_step, render_local_step


def test_local_problems_are_small_and_parse_back():
    for d in LEVELS:
        for p in make_problems(30, d, seed=3, surface="local"):
            assert max(p.values.values()) <= SMALL_LEVELS[d].cap
            back = parse_problem(p.text)
            assert back.difficulty == d and back.gold == p.gold and back.values == p.values


def test_local_is_the_default_surface():
    assert [p.text for p in make_problems(5, 3, seed=1)] == [p.text for p in make_problems(5, 3, seed=1, surface="local")]
    assert make_problems(5, 3, seed=1) != make_problems(5, 3, seed=1, surface="plain")
    assert SyntheticPolicy().config.surface == "local"
    with pytest.raises(ValueError, match="surface"):
        make_problems(1, 1, surface="nope")


def test_render_and_parse_round_trip():
    s = render_local_step("Leo", "together", ("Hana", "Tara"), ("Hana", "Tara"), "+", 5, 7, 12)
    assert s == "Next, Leo has as many as Hana and Tara together; Hana has 5 and Tara has 7; 12 = 5 + 7, so Leo has 12."
    got = parse_local_step(s)
    assert got[1] == "Leo" and got[2] == ("together", ("Hana", "Tara")) and got[3] == [("Hana", 5), ("Tara", 7)]
    assert got[4:8] == (5, "+", 7, 12)
    # every operation is written as a sum or a product and read back with the person's value as result
    for kind, args, op, a, b, c, eq in [("fewer", ("Tara", 3), "-", 9, 3, 6, "9 = 6 + 3"),
                                        ("times", ("Tara", 2), "*", 4, 2, 8, "8 = 4 * 2"),
                                        ("fraction", ("Tara", 3), "/", 9, 3, 3, "9 = 3 * 3")]:
        s = render_local_step("Hana", kind, args, args, op, a, b, c, final=True)
        assert eq in s and s.endswith(f"so Hana has \\boxed{{{c}}}.")
        got = parse_local_step(s)
        assert got[4:8] == (a, op, b, c) and got[10] == c
    fix = render_local_step("Hana", "more", ("Tara", 3), ("Tara", 3), "+", 9, 3, 12, correction=True, old=13)
    assert fix == "Wait, Hana has 3 more than Tara; Tara has 9; 12 = 9 + 3, so Hana has 12, not 13."
    assert parse_local_step(fix)[0] is True
    # a result that is in neither place of the equation is not a readable step
    assert parse_local_step("Next, Hana has 3 more than Tara; Tara has 9; 12 = 9 + 3, so Hana has 13.") is None


PROBLEM = "Tara has 9 apples. Hana has 3 more apples than Tara. Leo has 2 times as many apples as Hana. How many apples does Leo have?"
GOOD = ["Next, Hana has 3 more than Tara; Tara has 9; 12 = 9 + 3, so Hana has 12.",
        "Next, Leo has 2 times as many as Hana; Hana has 12; 24 = 12 * 2, so Leo has \\boxed{24}."]


@pytest.mark.parametrize("step0, kind", [
    (GOOD[0], None),
    ("Next, Hana has 3 more than Tara; Tara has 9; 13 = 9 + 3, so Hana has 13.", "arithmetic"),
    ("Next, Hana has 3 more than Tara; Tara has 9; 9 = 6 + 3, so Hana has 6.", "operation"),  # subtracted
    ("Next, Hana has 3 more than Tara; Tara has 9; 13 = 9 + 4, so Hana has 13.", "value"),  # misread constant
    ("Next, Hana has 3 more than Tara; Tara has 8; 11 = 8 + 3, so Hana has 11.", "value"),  # wrong value
    ("Next, Hana has 3 more than Tara; Tara has 9; 11 = 8 + 3, so Hana has 11.", "value"),  # miscopied
    ("Next, Hana has 3 more than Tara; Leo has 9; 12 = 9 + 3, so Hana has 12.", "value"),  # wrong person
    ("Next, Hana has 3 fewer than Tara; Tara has 9; 12 = 9 + 3, so Hana has 12.", "operation"),  # misstated
    ("Next, Hana has 3 more than Tara; Tara has 9; 12 = 9 + 3, so Hana has 13.", "format"),
    ("Next, Hana has 3 more than Tara.", "format"),
])
def test_verifier_reads_local_steps(step0, kind):
    assert check_steps(PROBLEM, [step0, GOOD[1]])[0] == kind
    assert first_error(PROBLEM, [step0, GOOD[1]]) == (-1 if kind is None else 0)


def test_carried_value_is_wrong_and_correction_is_locally_right():
    steps = ["Next, Hana has 3 more than Tara; Tara has 9; 13 = 9 + 3, so Hana has 13.",
             "Wait, Hana has 3 more than Tara; Tara has 9; 12 = 9 + 3, so Hana has 12, not 13.",
             "Next, Leo has 2 times as many as Hana; Hana has 13; 26 = 13 * 2, so Leo has \\boxed{26}."]
    assert check_steps(PROBLEM, steps) == ["arithmetic", None, "value"]


def test_local_policy_keeps_the_phenomena():
    """Every solution is readable; all three kinds of mistake occur; right answers through wrong
    steps become more common with difficulty."""
    policy = SyntheticPolicy(surface="local")
    share = {}
    for d in (1, 5):
        problems = make_problems(300, d, seed=0, surface="local")
        kinds, right, right_wrong = Counter(), 0, 0
        for p, [c] in zip(problems, policy.sample([p.text for p in problems], 1, seed=0)):
            steps = split_steps(c.text)
            assert all(s.startswith(("Next, ", "Wait, ")) for s in steps)
            fe, kind = first_error_kind(p.text, steps)
            kinds[kind] += 1
            ok = c.text.endswith(f"\\boxed{{{p.gold}}}.")
            right += ok
            right_wrong += ok and fe >= 0
        assert kinds["format"] == 0
        share[d] = right_wrong / right
        if d == 5:
            assert min(kinds["arithmetic"], kinds["value"], kinds["operation"]) > 10
    assert share[1] < 0.08 and share[5] > 0.3


def test_local_value_mistakes_show_inside_the_step():
    """On the local surface a value mistake is visible in the step itself: the restated person is
    not the relation's, the constant is not the relation's, or the restated value (what the
    solution wrote for that person) is not the operand used."""
    policy = SyntheticPolicy(surface="local", kind_weights={"value": 1.0})
    problems = make_problems(300, 4, seed=2, surface="local")
    seen = Counter()
    for p, [c] in zip(problems, policy.sample([p.text for p in problems], 1, seed=2)):
        steps = split_steps(c.text)
        fe, kind = first_error_kind(p.text, steps)
        if kind != "value":
            continue
        _, _name, (rel_kind, rel_args), named, a, _op, b, _, _, _, _ = parse_local_step(steps[fe])
        rel_names = [x for x in rel_args if isinstance(x, str)]
        used = dict(zip(rel_names, (a, b))) if rel_kind in ("together", "difference") else {rel_names[0]: a}
        if [n for n, _ in named] != rel_names:
            seen["person"] += 1
        elif any(v != used[n] for n, v in named):
            seen["miscopied"] += 1
        else:
            assert rel_kind in ("more", "fewer", "times", "fraction") and b != rel_args[1]
            seen["constant"] += 1
    assert min(seen.values()) > 5 and len(seen) == 3, seen
