"""MC estimation and the synthetic world grade with the library's one cached Grader and the
extraction policy of each solution's benchmark."""

from __future__ import annotations

import json

from prmlib.annotate.mc import mc_estimate, solution_extraction
from prmlib.grading import Grader
from prmlib.interfaces import Completion, Generator
from prmlib.solution import Solution


class UnboxedPolicy(Generator):
    """Every continuation ends with the right answer 7, written without a box."""

    def __init__(self) -> None:
        self.completions = 0

    def sample(self, problems, n, seed=None):
        return self.continue_steps(problems, [[] for _ in problems], n, seed)

    def continue_steps(self, problems, prefixes, k, seed=None):
        self.completions += k * len(problems)
        return [[Completion("So she has 3 + 4 = 7 eggs left.", 9, "stop") for _ in range(k)] for _ in problems]


def _solution(**meta) -> Solution:
    return Solution(problem="How many eggs?", steps=["She had 10 eggs.", "She ate 3.", "\\boxed{7}"], gold="7",
                    meta=meta)


def test_rollouts_are_graded_with_the_benchmark_policy():
    sols = [_solution(benchmark="gsm8k"), _solution(source="synthetic"), _solution(benchmark="gsm8k",
                                                                                    extraction="strict")]
    assert [solution_extraction(s) for s in sols] == ["flexible", "strict", "strict"]
    results = mc_estimate(sols, UnboxedPolicy(), k=4, show_progress=False)
    # flexible reads "... = 7 eggs left." as 7: every step reaches the answer
    assert results[0].counts == [4, 4, 4] and results[0].first_error == -1
    # strict reads no answer in the rollouts: the first step already looks hopeless
    assert results[1].counts[0] == 0 and results[1].first_error == 0
    assert results[2].counts[0] == 0
    # the final step is graded on the solution's own (boxed) answer under every policy
    assert all(r.answer_correct for r in results)


def test_unknown_source_defaults_to_auto():
    assert solution_extraction(_solution()) == "auto"
    assert solution_extraction(_solution(source="my_data")) == "auto"
    results = mc_estimate([_solution()], UnboxedPolicy(), k=2, show_progress=False)
    assert results[0].counts == [2, 2, 2]  # the gold 7 is a number: auto reads like flexible


def test_a_grader_can_be_passed_as_grade_fn():
    grader = Grader(policy="strict")
    results = mc_estimate([_solution(benchmark="gsm8k")], UnboxedPolicy(), k=2, grade_fn=grader, show_progress=False)
    assert results[0].counts[0] == 0
    assert ("7", "7", "strict") in grader.cache  # the final step's boxed answer, graded once


def test_synthetic_world_grader_matches_its_verifier():
    from prmlib.synth.policy import SyntheticPolicy
    from prmlib.synth.problems import make_problems
    from prmlib.synth.stats import sample_solutions, synthetic_grader
    from prmlib.synth.verifier import is_correct_answer

    grader = synthetic_grader()
    assert grader.policy == "strict"
    problems = make_problems(30, 4, seed=3) + make_problems(30, 5, seed=3)
    sols = sample_solutions(problems, SyntheticPolicy(), n=2, seed=5)
    texts = ["\n\n".join(s.steps) for s in sols]
    assert [grader(t, s.gold) for t, s in zip(texts, sols)] == [is_correct_answer(t, s.gold) for t, s in zip(texts, sols)]
    assert any(s.meta["answer_correct"] for s in sols) and not all(s.meta["answer_correct"] for s in sols)


def test_annotate_mc_states_the_extraction(tmp_path, capsys):
    from prmlib.cli import main

    out = str(tmp_path / "ann")
    assert main(["annotate", "mc", "--synthetic", "4", "--k", "2", "--out", out, "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["extraction"] == "strict"  # the synthetic world's default
    out2 = str(tmp_path / "ann2")
    assert main(["annotate", "mc", "--synthetic", "4", "--k", "2", "--out", out2, "--quiet",
                 "--extraction", "flexible"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["extraction"] == "flexible"
    from pathlib import Path

    records = [json.loads(line) for line in Path(summary["output"]).read_text(encoding="utf-8").splitlines()]
    assert records and all(r["meta"]["extraction"] == "flexible" for r in records)
