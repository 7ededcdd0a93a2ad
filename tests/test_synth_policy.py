"""The synthetic policy: determinism, continuation from the text, mistakes, recovery, speed.

Written against the ``plain`` surface, whose steps are short to spell out in a test; the policy's
logic is the same on the default ``local`` surface (tests/test_synth_surface.py).
"""

import time
from functools import partial

import pytest

from prmlib.annotate.mc import mc_estimate
from prmlib.generation.base import continue_seeded
from prmlib.interfaces import Completion, Generator
from prmlib.solution import split_steps
from prmlib.synth import (
    LEVELS,
    PolicyConfig,
    SyntheticPolicy,
    check_steps,
    first_error,
    is_correct_answer,
    make_problems,
    parse_problem,
)
from prmlib.synth.stats import sample_solutions

PlainPolicy = partial(SyntheticPolicy, surface="plain")  # the tests below spell out plain steps

PROBLEM = ("Ann has 12 apples. Bob has 5 more apples than Ann. Cara has 3 times as many apples as Bob. "
           "Dan has 4 fewer apples than Cara. How many apples does Dan have?")


def test_sample_shapes_tokens_and_determinism():
    policy = PlainPolicy()
    assert isinstance(policy, Generator)
    texts = [p.text for p in make_problems(10, 3, seed=0, surface="plain")]
    out = policy.sample(texts, 4, seed=7)
    assert len(out) == 10 and all(len(row) == 4 for row in out)
    for row in out:
        for c in row:
            assert isinstance(c, Completion)
            assert c.num_tokens == len(c.text.split())  # tokens = whitespace pieces
            assert c.finish_reason == "stop" and "\\boxed{" in split_steps(c.text)[-1]
    assert out == PlainPolicy().sample(texts, 4, seed=7)  # same seed, same text
    assert out != policy.sample(texts, 4, seed=8)
    # independent of batch composition: each item is seeded by its own text
    assert PlainPolicy().sample(texts[3:5], 4, seed=7) == out[3:5]
    # unseeded calls are deterministic per instance (config seed + call counter)
    assert PlainPolicy().sample(texts, 1) == PlainPolicy().sample(texts, 1)


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_every_step_is_readable(difficulty):
    problems = make_problems(60, difficulty, seed=1, surface="plain")
    for p, row in zip(problems, PlainPolicy().sample([p.text for p in problems], 3, seed=1)):
        for c in row:
            assert "format" not in check_steps(p, c.text)


def test_continuation_carries_the_wrong_value_of_the_prefix():
    prefix = ["Bob has Ann + 5 = 12 + 5 = 18 apples."]  # a slip: Bob has 17
    # no fresh mistakes and no noticing: the continuation is exactly the consequence of the prefix
    blind = PlainPolicy(error_scale=0.0, notice={"arithmetic": 0.0}, review={"arithmetic": 0.0}, compensate=0.0)
    [conts] = blind.continue_steps([PROBLEM], [prefix], 5, seed=0)
    for c in conts:
        assert split_steps(c.text) == ["Cara has Bob * 3 = 18 * 3 = 54 apples.",
                                       "Dan has Cara - 4 = 54 - 4 = 50 apples. The answer is \\boxed{50}."]
    # the default policy: most continuations build on the 18 and fail; a few notice and recover
    [conts] = PlainPolicy().continue_steps([PROBLEM], [prefix], 200, seed=0)
    carried = sum(c.text.startswith("Cara has Bob * 3 = 18 * 3 = 54") for c in conts)
    noticed = sum(c.text.startswith("Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.") for c in conts)
    assert carried > 100 and noticed > 20 and carried + noticed > 180
    # a policy that always notices its slips corrects Bob first
    always = PlainPolicy(notice={"arithmetic": 1.0})
    [conts] = always.continue_steps([PROBLEM], [prefix], 5, seed=0)
    assert all(c.text.startswith("Wait, Bob has Ann + 5 = 12 + 5 = 17 apples, not 18.") for c in conts)


def test_continuation_of_correct_and_finished_prefixes():
    policy = PlainPolicy(error_scale=0.0)  # never makes a mistake
    [[c]] = policy.continue_steps([PROBLEM], [["Bob has Ann + 5 = 12 + 5 = 17 apples."]], 1, seed=0)
    assert split_steps(c.text) == ["Cara has Bob * 3 = 17 * 3 = 51 apples.",
                                   "Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}."]
    done = ["Bob has Ann + 5 = 12 + 5 = 17 apples.", "Cara has Bob * 3 = 17 * 3 = 51 apples.",
            "Dan has Cara - 4 = 51 - 4 = 47 apples. The answer is \\boxed{47}."]
    [[c]] = policy.continue_steps([PROBLEM], [done], 1, seed=0)
    assert c == Completion("", 0, "stop")
    # everything computed but not boxed: it boxes what it has
    [[c]] = policy.continue_steps([PROBLEM], [done[:2] + ["Dan has Cara - 4 = 51 - 4 = 48 apples."]], 1, seed=0)
    assert c.text == "The answer is \\boxed{48}."


def test_seeded_batch_matches_single_calls_and_mc_estimate_runs():
    policy = PlainPolicy()
    problems = [PROBLEM, PROBLEM]
    prefixes = [["Bob has Ann + 5 = 12 + 5 = 18 apples."], []]
    batched = policy.continue_steps_seeded(problems, prefixes, [3, 2], [11, 40])
    singles = [[policy.continue_steps([p], [pre], 1, seed=s + j)[0][0] for j in range(k)]
               for p, pre, k, s in zip(problems, prefixes, [3, 2], [11, 40])]
    assert batched == singles
    class OnlyContinueSteps:  # a generator without the batched method: continue_seeded's fallback path
        def continue_steps(self, *args, **kwargs):
            return policy.continue_steps(*args, **kwargs)

    assert continue_seeded(OnlyContinueSteps(), problems, prefixes, [3, 2], [11, 40]) == batched
    sols = sample_solutions(make_problems(5, 2, seed=0, surface="plain"), policy, n=1, seed=0)
    res = mc_estimate(sols, policy, k=4, seed=0, show_progress=False,
                      grade_fn=lambda text, gold: is_correct_answer(text, gold))
    assert [len(r.counts) for r in res] == [len(s.steps) for s in sols]


def test_mistakes_grow_with_difficulty_and_have_all_kinds():
    policy = PlainPolicy()
    err, kinds = {}, {}
    for d in (1, 3, 5):
        sols = sample_solutions(make_problems(300, d, seed=2, surface="plain"), policy, n=1, seed=2)
        wrong_steps = sum(k is not None for s in sols for k in check_steps(s.problem, s.steps))
        err[d] = wrong_steps / sum(len(s.steps) for s in sols)
        kinds[d] = {s.meta["error_kind"] for s in sols if s.meta["first_error"] >= 0}
    assert err[1] < err[3] < err[5]
    assert kinds[5] == {"arithmetic", "value", "operation"}


def test_recovery_right_answers_through_wrong_steps():
    policy = PlainPolicy()
    sols = sample_solutions(make_problems(400, 4, seed=5, surface="plain"), policy, n=1, seed=5)
    recovered = [s for s in sols if s.meta["answer_correct"] and s.meta["first_error"] >= 0]
    assert len(recovered) >= 20
    # both kinds of recovery: an explicit correction, and none (a cancelling slip or a distractor)
    assert any(any(st.startswith("Wait, ") for st in s.steps) for s in recovered)
    assert any(not any(st.startswith("Wait, ") for st in s.steps) for s in recovered)
    # corrections come after the first error; they recompute from the values written before them,
    # so most are right (one that redoes a later step on top of an unnoticed earlier error is not)
    verdicts = []
    for s in recovered:
        kinds = check_steps(s.problem, s.steps)
        for i, st in enumerate(s.steps):
            if st.startswith("Wait, "):
                assert i > s.meta["first_error"]
                verdicts.append(kinds[i] is None)
    assert sum(verdicts) > 0.8 * len(verdicts)


def test_correct_prefixes_of_hard_problems_often_fail():
    policy = PlainPolicy()
    mean_success = {}
    for d in (1, 5):
        problems = make_problems(60, d, seed=4, surface="plain")
        ok, total = 0, 0
        for p, row in zip(problems, policy.sample([p.text for p in problems], 1, seed=4)):
            steps = split_steps(row[0].text)
            fe = first_error(p, steps)
            if fe != -1 and fe < 1:
                continue
            [conts] = policy.continue_steps([p.text], [steps[:1]], 16, seed=9)  # a correct first step
            ok += sum(is_correct_answer(steps[:1] + split_steps(c.text), p.gold) for c in conts)
            total += len(conts)
        mean_success[d] = ok / total
    assert mean_success[1] > 0.8
    assert mean_success[5] < 0.5


def test_config_validation_and_problem_objects():
    with pytest.raises(TypeError):
        PlainPolicy(no_such_knob=1)
    with pytest.raises(ValueError, match="problems but"):
        PlainPolicy().continue_steps([PROBLEM], [], 1)
    p = parse_problem(PROBLEM)
    assert PlainPolicy().sample([p], 1, seed=0) == PlainPolicy().sample([PROBLEM], 1, seed=0)
    cfg = PolicyConfig()
    assert cfg.step_error("times", "*", 456, 7, 8) > cfg.step_error("more", "+", 12, 5, 2)


def test_speed_of_continuations():
    """MC estimation calls continue_steps a lot; the target is >= 20k continuations/s (see
    ``prmlib synth speed``). Asserted loosely here because CI machines are shared."""
    policy = PlainPolicy()
    problems = make_problems(100, 5, seed=0, surface="plain")
    items = []
    for p, row in zip(problems, policy.sample([p.text for p in problems], 1, seed=0)):
        steps = split_steps(row[0].text)
        items += [(p.text, steps[: i + 1]) for i in range(len(steps))]
    t0 = time.perf_counter()
    policy.continue_steps([a for a, _ in items], [b for _, b in items], 8, seed=1)
    rate = 8 * len(items) / (time.perf_counter() - t0)
    assert rate > 3000, f"{rate:.0f} continuations/s"
