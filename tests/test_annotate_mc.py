"""MC estimation: labels, the three strategies, exactness of early stopping, costs."""

from __future__ import annotations

import random

import pytest

from prmlib.annotate.mc import MCResult, decide, hard_labels, mc_estimate, soft_labels
from prmlib.interfaces import Completion, Generator
from prmlib.solution import Solution


class ScriptedPolicy(Generator):
    """Continuations reach the gold answer 7 with a per-step probability written in the problem.

    Problem text ``"probs:0.9,0.0,..."``; the continuation of ``steps[:i+1]`` is right with
    probability ``probs[i]``, deterministically given the seed.
    """

    def __init__(self):
        self.completions = 0

    def sample(self, problems, n, seed=None):
        return self.continue_steps(problems, [[] for _ in problems], n, seed)

    def continue_steps(self, problems, prefixes, k, seed=None):
        out = []
        for p, pre in zip(problems, prefixes):
            probs = [float(x) for x in p.split(":")[1].split(",")]
            rng = random.Random(f"{seed}|{p}|{len(pre)}")
            row = []
            for _ in range(k):
                right = rng.random() < probs[len(pre) - 1]
                row.append(Completion(f"So \\boxed{{{7 if right else 8}}}.", 4, "stop"))
            self.completions += k
            out.append(row)
        return out


def scripted(probs, answer_right):
    steps = [f"step {i}." for i in range(len(probs) - 1)] + [f"\\boxed{{{7 if answer_right else 8}}}"]
    return Solution(problem="probs:" + ",".join(str(p) for p in probs), steps=steps, gold="7")


def test_hard_and_soft_labels():
    assert hard_labels([8, 3, 0, 5], 8) == [True, True, False]
    assert hard_labels([8, 3, 1, 5], 8, threshold=2) == [True, True, False]
    assert hard_labels([8, 8], 8) == [True, True]
    assert soft_labels([8, 2, 0, 5], 8) == [1.0, 0.25, 0.0]
    assert soft_labels([8, 2, 1], 8, threshold=2) == [1.0, 0.25]
    with pytest.raises(ValueError, match="threshold"):
        hard_labels([1], 8, threshold=8)
    with pytest.raises(ValueError, match="not sampled"):
        hard_labels([8, None, 0], 8)
    assert hard_labels([0, None], 8) == [False]


def test_decide_is_exact():
    assert decide(1, 1, 8, 0) is True
    assert decide(0, 7, 8, 0) is None
    assert decide(0, 8, 8, 0) is False
    assert decide(2, 6, 8, 3) is None
    assert decide(1, 6, 8, 3) is False  # at most 3 right: not more than 3
    assert decide(4, 4, 8, 3) is True


def test_exact_costs_on_a_known_solution():
    # steps 0..3 always recoverable, 4..6 never; final answer wrong
    sol = scripted([1, 1, 1, 1, 0, 0, 0, 0], answer_right=False)
    pol = ScriptedPolicy()
    ex, = mc_estimate([sol], pol, k=8, strategy="exhaustive", show_progress=False)
    assert ex.counts == [8, 8, 8, 8, 0, 0, 0, 0] and ex.rollouts == 7 * 8 and pol.completions == 56
    assert ex.labels == [True] * 4 + [False] and ex.first_error == 4 and ex.tokens == 56 * 4
    assert ex.soft_labels() == [1.0] * 4 + [0.0] and not ex.answer_correct
    es, = mc_estimate([sol], pol, k=8, strategy="early_stop", show_progress=False)
    assert es.labels == ex.labels and es.rollouts == 4 + 8
    assert es.drawn == [1, 1, 1, 1, 8, 0, 0, 0] and es.counts[5] is None
    with pytest.raises(ValueError, match="soft labels need complete counts"):
        es.soft_labels()
    bs, = mc_estimate([sol], pol, k=8, strategy="binary_search", show_progress=False)
    # probes step 3 (positive, 1 completion), 5 (negative, 8), 4 (negative, 8)
    assert bs.first_error == 4 and bs.labels == ex.labels and bs.rollouts == 17
    # a right final answer: binary search assumes every step is fine and samples nothing
    good = scripted([1, 0.5, 1, 1], answer_right=True)
    bg, = mc_estimate([good], pol, k=8, strategy="binary_search", show_progress=False)
    assert bg.first_error == -1 and bg.rollouts == 0 and bg.labels == [True] * 4
    # final step by rollouts instead of grading
    ro, = mc_estimate([sol], pol, k=8, strategy="exhaustive", final_step="rollout", show_progress=False)
    assert ro.rollouts == 64 and ro.drawn[-1] == 8


@pytest.mark.parametrize("threshold", [0, 1, 3, 7])
def test_early_stop_labels_identical_to_exhaustive(threshold):
    rng = random.Random(threshold)
    sols = []
    for _ in range(60):
        n = rng.randint(1, 9)
        probs = [round(rng.choice([0.0, 0.1, 0.3, 0.5, 0.8, 0.95, 1.0]), 2) for _ in range(n)]
        sols.append(scripted(probs, answer_right=rng.random() < 0.5))
    pol = ScriptedPolicy()
    kw = {"k": 8, "threshold": threshold, "seed": 3, "show_progress": False}
    ex = mc_estimate(sols, pol, strategy="exhaustive", **kw)
    for window in (1, 3):
        es = mc_estimate(sols, pol, strategy="early_stop", window=window, **kw)
        assert [r.labels for r in es] == [r.labels for r in ex]
        assert [r.first_error for r in es] == [r.first_error for r in ex]
        assert sum(r.rollouts for r in es) < sum(r.rollouts for r in ex)
    # exhaustive counts give every other threshold afterwards: the labels of a run made at that threshold
    other = (threshold + 3) % 8
    at_other = mc_estimate(sols, pol, strategy="exhaustive", **{**kw, "threshold": other})
    assert [r.hard_labels(other) for r in ex] == [r.labels for r in at_other]
    assert [r.first_error_at(other) for r in ex] == [r.first_error for r in at_other]
    assert [r.hard_labels(other) for r in ex] != [r.labels for r in ex]  # the threshold does change some labels


def test_binary_search_exact_when_monotone_and_breaks_otherwise():
    pol = ScriptedPolicy()
    mono = [scripted([1] * i + [0] * (6 - i), answer_right=False) for i in range(6)]
    ex = mc_estimate(mono, pol, strategy="exhaustive", show_progress=False)
    bs = mc_estimate(mono, pol, strategy="binary_search", show_progress=False)
    assert [r.first_error for r in bs] == [r.first_error for r in ex] == [0, 1, 2, 3, 4, 5]
    # a dead step followed by a recoverable one, and a right answer after a dead step
    broken = [scripted([1, 0, 1, 1, 1, 0], answer_right=False), scripted([1, 0, 1, 1], answer_right=True)]
    ex = mc_estimate(broken, pol, strategy="exhaustive", show_progress=False)
    bs = mc_estimate(broken, pol, strategy="binary_search", show_progress=False)
    assert [r.first_error for r in ex] == [1, 1]
    assert [r.first_error for r in bs] == [5, -1]


def test_synthetic_world_strategies():
    from prmlib.annotate.inputs import synthetic_solutions
    from prmlib.synth import SyntheticPolicy

    pol = SyntheticPolicy()
    sols = synthetic_solutions(40, seed=2, per_problem=2)
    res = {s: mc_estimate(sols, pol, strategy=s, show_progress=False)
           for s in ("exhaustive", "early_stop", "binary_search")}
    assert [r.labels for r in res["early_stop"]] == [r.labels for r in res["exhaustive"]]
    cost = {s: sum(r.rollouts for r in v) for s, v in res.items()}
    assert cost["early_stop"] * 2 < cost["exhaustive"] and cost["binary_search"] < cost["early_stop"]
    agree = sum(a.first_error == b.first_error for a, b in zip(res["exhaustive"], res["binary_search"]))
    assert agree >= 0.7 * len(sols)
    # a different seed draws other completions
    other = mc_estimate(sols, pol, strategy="exhaustive", seed=1, show_progress=False)
    assert [r.counts for r in other] != [r.counts for r in res["exhaustive"]]


def test_errors_and_round_trip():
    pol = ScriptedPolicy()
    with pytest.raises(ValueError, match=r"solutions\[0\] has no gold"):
        mc_estimate([Solution(problem="probs:1", steps=["a"])], pol, show_progress=False)
    with pytest.raises(ValueError, match="strategy"):
        mc_estimate([scripted([1], True)], pol, strategy="greedy", show_progress=False)
    with pytest.raises(ValueError, match="threshold"):
        mc_estimate([scripted([1], True)], pol, k=4, threshold=4, show_progress=False)
    r, = mc_estimate([scripted([1, 0.5, 1], True)], pol, k=4, show_progress=False)
    assert MCResult.from_dict(r.to_dict()) == r
    assert r.counts[-1] == 4 and r.drawn[-1] == 0 and r.complete
