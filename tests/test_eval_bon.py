"""Best-of-N on hand-computed cases."""

import numpy as np
import pytest

from prmlib.eval.bon import (
    BoNProblem,
    GradeCache,
    accuracy_vs_n,
    aggregate_step_scores,
    best_of_n,
    extraction_by_benchmark,
    grade_problems,
    problems_from_records,
    vote_codes,
)


def _given(answers, correct, step_scores=None, scores=None, benchmark="toy"):
    """A problem whose answers, voting keys and correctness are given (no grader involved)."""
    return BoNProblem(problem="p", gold="g", responses=[f"r{i}" for i in range(len(answers))], benchmark=benchmark,
                      step_scores=step_scores, scores=scores, answers=list(answers), keys=list(answers),
                      correct=list(correct))


def test_aggregations_by_hand():
    s = [0.9, 0.5, 0.8]
    assert aggregate_step_scores(s, "product") == pytest.approx(0.36)
    assert aggregate_step_scores(s, "min") == 0.5
    assert aggregate_step_scores(s, "last") == 0.8
    assert aggregate_step_scores(s, "mean") == pytest.approx(2.2 / 3)
    assert aggregate_step_scores([], "min") == float("-inf")
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_step_scores(s, "max")


def test_vote_codes_first_appearance():
    assert vote_codes(["b", None, "a", "b", "a"]).tolist() == [0, -1, 1, 0, 1]


def test_best_of_n_hand_computed():
    # problem 1: answers 5,7,7,5 -> tie 2:2, "5" appears first -> maj picks 5 (wrong; gold 7)
    #   step scores: product = [0.45, 0.72, 0.3, 0.9*0.95=0.855]; min = [0.5, 0.8, 0.3, 0.9]; last = [0.5, 0.9, 0.3, 0.95]
    p1 = _given(["5", "7", "7", "5"], [False, True, True, False],
                step_scores=[[0.9, 0.5], [0.8, 0.9], [1.0, 0.3], [0.9, 0.95]])
    # problem 2: answers 3,3,None,4 (gold 4): maj -> 3 (wrong); None never votes
    #   product = [0.2, 0.1, 0.99, 0.6]; rm(product) picks the no-answer candidate -> wrong
    p2 = _given(["3", "3", None, "4"], [False, False, False, True],
                step_scores=[[0.2], [0.1], [0.99], [0.6]])
    res = best_of_n([p1, p2])
    t = res.table
    assert res.n == 4 and list(t.columns) == ["toy", "Avg."]
    assert t.loc["pass@4", "toy"] == 100.0
    assert t.loc["maj@4", "toy"] == 0.0
    # product: p1 -> candidate 3 (0.855, answer 5, wrong); p2 -> candidate 2 (wrong)
    assert t.loc["rm@4 (product)", "toy"] == 0.0
    # min: p1 -> candidate 3 (0.9) wrong; p2 -> candidate 2 (0.99) wrong
    assert t.loc["rm@4 (min)", "toy"] == 0.0
    # last: p1 -> candidate 3 (0.95) wrong
    assert t.loc["rm@4 (last)", "toy"] == 0.0
    # mean: p1 = [0.7, 0.85, 0.65, 0.925] -> candidate 3, wrong
    assert t.loc["rm@4 (mean)", "toy"] == 0.0
    # weighted majority (product): p1: "5" 0.45+0.855=1.305 vs "7" 0.72+0.3=1.02 -> 5 wrong;
    #   p2: "3" 0.3 vs "4" 0.6 -> 4 right
    assert t.loc["weighted maj@4 (product)", "toy"] == 50.0
    # weighted majority (min): p1: "5" 1.4 vs "7" 1.1 -> wrong; p2: "3" 0.3 vs "4" 0.6 -> right
    assert t.loc["weighted maj@4 (min)", "toy"] == 50.0
    assert res.per_problem.loc[1, "wmaj:product"] and not res.per_problem.loc[0, "maj"]


def test_tie_breaking_rules():
    # equal scores: the lowest candidate index wins rm@N
    p = _given(["1", "2", "3"], [False, True, False], scores=[0.5, 0.5, 0.5])
    assert best_of_n([p]).table.loc["rm@3 (outcome)", "toy"] == 0.0
    p = _given(["1", "2", "3"], [True, False, False], scores=[0.5, 0.5, 0.5])
    assert best_of_n([p]).table.loc["rm@3 (outcome)", "toy"] == 100.0
    # majority tie: the answer that appears first wins, even if its other vote comes later
    p = _given(["2", "1", "1", "2"], [True, False, False, True], scores=[0.1, 0.1, 0.1, 0.1])
    assert best_of_n([p]).table.loc["maj@4", "toy"] == 100.0
    # weighted majority tie (0.3 each): the first-appearing answer wins
    p = _given(["1", "2", "2"], [False, True, True], scores=[0.5, 0.25, 0.25])
    assert best_of_n([p]).table.loc["weighted maj@3 (outcome)", "toy"] == 0.0
    # nothing extracted: majority is wrong, pass@N is wrong
    p = _given([None, None], [False, False], scores=[0.1, 0.2])
    t = best_of_n([p]).table
    assert t.loc["maj@2", "toy"] == 0.0 and t.loc["pass@2", "toy"] == 0.0


def test_average_is_plain_mean_over_benchmarks():
    probs = [_given(["1"], [True], benchmark="gsm8k"),
             _given(["1"], [False], benchmark="math"), _given(["1"], [False], benchmark="math"),
             _given(["1"], [True], benchmark="math"), _given(["1"], [True], benchmark="math")]
    t = best_of_n(probs).table
    assert list(t.columns) == ["GSM8K", "MATH", "Avg."]
    assert t.loc["pass@1", "MATH"] == 50.0
    assert t.loc["pass@1", "Avg."] == 75.0  # (100 + 50) / 2, not 3/5


def test_accuracy_vs_n():
    rng = np.random.default_rng(0)
    probs = []
    for _ in range(40):
        correct = rng.random(6) < 0.3
        answers = [("g" if c else str(int(rng.integers(3)))) for c in correct]
        probs.append(_given(answers, correct, scores=list(rng.random(6))))
    curve = accuracy_vs_n(probs, num_subsets=400, seed=3)
    avg = curve[curve["benchmark"] == "Avg."].set_index(["metric", "n"])["accuracy"]
    full = best_of_n(probs).table
    for metric, label in [("pass", "pass@6"), ("maj", "maj@6"), ("rm:outcome", "rm@6 (outcome)")]:
        assert avg[(metric, 6)] == pytest.approx(full.loc[label, "toy"])  # n = N is the full set
    # n = 1: every rule picks the single candidate
    assert avg[("pass", 1)] == avg[("maj", 1)] == avg[("rm:outcome", 1)]
    # pass@2 has a closed form: 1 - C(N - k, 2) / C(N, 2) per problem
    exact = np.mean([1 - (6 - sum(p.correct)) * (5 - sum(p.correct)) / 30 for p in probs]) * 100
    assert avg[("pass", 2)] == pytest.approx(exact, abs=2.0)
    again = accuracy_vs_n(probs, num_subsets=400, seed=3)
    assert again.equals(curve)


def test_grading_votes_equivalent_answers_together_and_caches():
    calls = []

    def grader(answer, gold):
        calls.append((answer, gold))
        return answer.replace(" ", "") in {"1/2", "\\frac{1}{2}", "0.5"}

    responses = ["x\n\nSo \\boxed{0.5}", "y\n\nThe answer is $\\frac{1}{2}$.", "z\n\n\\boxed{3}",
                 "w\n\n\\boxed{3}", "v\n\n\\boxed{0.5}"]
    p = BoNProblem(problem="q", gold="1/2", responses=responses, scores=[0.1, 0.2, 0.3, 0.4, 0.0])
    cache = GradeCache(grader)
    grade_problems([p], cache=cache, progress=False)
    assert p.answers == ["0.5", "\\frac{1}{2}", "3", "3", "0.5"]
    assert p.correct == [True, True, False, False, True]
    # "0.5" and "\frac{1}{2}" share a voting key, so the right answer has 3 votes against 2
    assert p.keys[0] == p.keys[1] == p.keys[4] != p.keys[2]
    assert best_of_n([p]).table.loc["maj@5", "default"] == 100.0
    assert len(calls) == 3 and cache.calls == 3  # "0.5" graded once


def test_problems_from_records_errors():
    good = {"problem": "p", "gold": "1", "responses": ["a", "b"], "step_scores": [[0.1], [0.2, 0.3]]}
    assert problems_from_records([good])[0].benchmark == "default"
    with pytest.raises(ValueError, match="record 1: missing field 'gold'"):
        problems_from_records([{"problem": "p", "responses": ["a"]}])
    with pytest.raises(ValueError, match="record 2: 1 step_scores for 2 responses"):
        problems_from_records([good, {**good, "step_scores": [[0.1]]}])
    with pytest.raises(ValueError, match=r"step_scores\[1\] must be a list of numbers"):
        problems_from_records([{**good, "step_scores": [[0.1], "x"]}])


# -- answers read with each benchmark's extraction policy ----------------------------------------
UNBOXED = ["Step 1.\n\nSo she has 3 + 4 = 7 eggs.", "Step 1.\n\nA: 7", "Step 1.\n\nSo she has 8 eggs."]


def test_grade_problems_reads_answers_with_the_benchmark_policy():
    gsm = BoNProblem(problem="q", gold="7", responses=UNBOXED, benchmark="gsm8k", scores=[0.1, 0.2, 0.9])
    mmlu = BoNProblem(problem="q", gold="C", responses=["So the correct option is (C).", "\\boxed{(B) 4}"],
                      benchmark="mmlu_stem", scores=[0.9, 0.1])
    math = BoNProblem(problem="q", gold="\\sqrt{2}", responses=["So the side is $\\sqrt{2}$.", "So the side is 1.41."],
                      benchmark="math500", scores=[1.0, 0.5])
    grader = grade_problems([gsm, mmlu, math], progress=False)
    assert gsm.answers == ["7", "7", "8"] and gsm.correct == [True, True, False]
    assert mmlu.answers == ["C", "B"] and mmlu.correct == [True, False]
    # auto, a non-numeric gold: an unboxed answer of the gold's form is read, a lone number is not
    assert math.answers == ["\\sqrt{2}", None] and math.correct == [True, False]
    assert extraction_by_benchmark([gsm, mmlu, math]) == {"gsm8k": "flexible", "mmlu_stem": "choice",
                                                          "math500": "auto"}
    assert grader.calls == 5  # ("7","7"), ("8","7"), ("C","C"), ("B","C"), (sqrt 2, sqrt 2)
    assert best_of_n([gsm]).table.loc["maj@3", "GSM8K"] == 100.0
    assert best_of_n([mmlu]).table.loc["rm@2 (outcome)", "MMLU STEM"] == 100.0


def test_grade_problems_extraction_override_and_problem_field():
    strict = BoNProblem(problem="q", gold="7", responses=UNBOXED, benchmark="gsm8k")
    grade_problems([strict], progress=False, extraction="strict")
    assert strict.answers == [None, None, None] and strict.extraction == "strict"
    own = BoNProblem(problem="q", gold="7", responses=UNBOXED, benchmark="gsm8k", extraction="strict")
    grade_problems([own], progress=False)
    assert own.correct == [False, False, False]
    assert problems_from_records([{"problem": "p", "gold": "7", "responses": UNBOXED,
                                   "extraction": "flexible"}])[0].extraction == "flexible"
    with pytest.raises(ValueError, match="record 1: unknown extraction 'loose'"):
        problems_from_records([{"problem": "p", "gold": "7", "responses": ["a"], "extraction": "loose"}])


def test_grade_cache_is_the_library_grader():
    from prmlib.grading import Grader

    cache = GradeCache(lambda answer, gold: answer == gold)
    assert isinstance(cache, Grader) and cache.policy == "strict"
    assert cache.check("7", "7") and not cache.check("8", "7") and cache.calls == 2


def test_bon_command_states_and_overrides_the_extraction(tmp_path, capsys):
    import json

    from prmlib.cli import main

    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"problem": "q", "gold": "7", "benchmark": "gsm8k", "responses": UNBOXED,
                                "scores": [0.9, 0.1, 0.2]}) + "\n")
    assert main(["eval", "bon", "--candidates", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "answer extraction: gsm8k flexible" in out
    last = json.loads(out.strip().splitlines()[-1])
    assert last["extraction"] == {"gsm8k": "flexible"} and last["benchmarks"]["GSM8K"]["rm@3 (outcome)"] == 100.0
    assert main(["eval", "bon", "--candidates", str(path), "--quiet", "--extraction", "strict"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["extraction"] == {"gsm8k": "strict"} and last["benchmarks"]["GSM8K"]["pass@3"] == 0.0


def test_result_average_by_metric_key():
    probs = [BoNProblem(problem="q", gold="7", responses=["\\boxed{7}", "\\boxed{8}"], benchmark="gsm8k",
                        step_scores=[[0.9, 0.2], [0.8, 0.7]]),
             BoNProblem(problem="r", gold="1", responses=["\\boxed{1}", "\\boxed{1}"], benchmark="math500",
                        step_scores=[[0.5], [0.6]])]
    grade_problems(probs, progress=False)
    res = best_of_n(probs, aggs=["product", "min"])
    # gsm8k: product picks 8 (0.56 > 0.18), min picks 8 too; math500: both right
    assert res.average("rm:product") == res.average("rm:min") == 50.0
    assert res.average("pass") == 100.0 and res.average("maj") == pytest.approx(res.table.loc["maj@2", "Avg."])
    with pytest.raises(KeyError, match="rm:last"):
        res.average("rm:last")
