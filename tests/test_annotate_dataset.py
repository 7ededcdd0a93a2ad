"""TRL stepwise rows from results in memory, and the same rows through the JSONL records."""

from __future__ import annotations

import pytest

from prmlib.annotate.dataset import stepwise_rows, stepwise_rows_from_results, to_dataset
from prmlib.annotate.inputs import synthetic_solutions
from prmlib.annotate.jobs import run_judge_job, run_mc_job
from prmlib.annotate.mc import MCConfig, MCResult, mc_estimate
from prmlib.annotate.store import read_records, solution_id
from prmlib.solution import Solution
from prmlib.synth import SyntheticJudge, SyntheticPolicy


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The same solutions annotated twice: by the jobs (JSONL records) and in memory."""
    sols, seen = [], set()
    for s in synthetic_solutions(30, seed=11, per_problem=2):
        if (s.problem, tuple(s.steps)) not in seen:
            seen.add((s.problem, tuple(s.steps)))
            sols.append(s)
    judge = SyntheticJudge(unparsed=0.1)
    out = tmp_path_factory.mktemp("ann")
    run_mc_job(sols, SyntheticPolicy(), out, k=8, strategy="exhaustive", show_progress=False)
    run_judge_job(sols, judge, out, show_progress=False)
    mc, jd = read_records(out, "mc"), read_records(out, "judge")
    results = mc_estimate(sols, SyntheticPolicy(), config=MCConfig(k=8), show_progress=False)
    indices = judge.first_errors([s.problem for s in sols], [s.steps for s in sols])
    assert None in indices and -1 in indices and any(i is not None and i >= 0 for i in indices)
    return sols, results, indices, mc, jd


def _by_id(rows):
    return {r["solution_id"]: r for r in rows}


@pytest.mark.parametrize(("labels", "consensus", "threshold"), [
    ("hard", True, None), ("hard", False, None), ("hard", False, 2), ("soft", False, None),
    ("soft", True, 1), ("judge", False, None), ("judge", True, None),
])
def test_in_memory_rows_equal_record_rows(world, labels, consensus, threshold):
    sols, results, indices, mc, jd = world
    from_records, rep_records = stepwise_rows(mc, jd, labels=labels, threshold=threshold, consensus=consensus)
    in_memory, rep_memory = stepwise_rows_from_results(sols, results, indices, labels=labels, threshold=threshold,
                                                       consensus=consensus)
    assert len(from_records) == len(in_memory) > 0
    assert _by_id(from_records) == _by_id(in_memory)
    assert rep_records["mc_records"] == rep_memory["solutions"] == len(sols)
    assert {k: v for k, v in rep_records.items() if k != "mc_records"} == {
        k: v for k, v in rep_memory.items() if k != "solutions"}


def test_missing_judgements_match_the_record_path(world):
    sols, results, indices, mc, jd = world
    present = {r["solution_id"] for r in jd[: len(jd) // 2]}
    from_records, rep_records = stepwise_rows(mc, jd[: len(jd) // 2], labels="hard")
    judged = [solution_id(s.problem, s.steps) in present for s in sols]
    in_memory, rep_memory = stepwise_rows_from_results(
        sols, results, [i if j else None for i, j in zip(indices, judged)], labels="consensus", judged=judged)
    assert rep_memory["consensus"] == rep_records["consensus"]
    assert rep_records["consensus"]["reasons"]["judge_missing"] == len(sols) - len(present)
    assert len(from_records) == len(in_memory) > 0
    assert _by_id(from_records) == _by_id(in_memory)


def _one():
    sol = Solution(problem="Q", steps=["a", "b", "c", "d"], labels=[True, False, False, False], gold="5",
                   meta={"source": "s", "difficulty": 2, "answer_correct": False})
    res = MCResult(counts=[8, 3, 0, 5], drawn=[8, 8, 8, 8], k=8, threshold=0, strategy="exhaustive",
                   final_step="rollout", labels=[True, True, False], first_error=2, rollouts=32, tokens=100,
                   answer_correct=False)
    return sol, res


def test_label_kinds_on_one_solution():
    sol, res = _one()

    def rows(**kw):
        return stepwise_rows_from_results([sol], [res], **kw)[0]

    hard, = rows(labels="hard")
    assert hard["completions"] == ["a", "b", "c"] and hard["labels"] == [True, True, False]  # cut after 1st negative
    assert (hard["mc_first_error"], hard["k"], hard["threshold"], hard["consensus"]) == (2, 8, 0, None)
    soft, = rows(labels="soft")
    assert soft["labels"] == [1.0, 0.375, 0.0]  # c / K
    assert rows(labels="hard", threshold=3)[0]["labels"] == [True, False]
    assert rows(labels="soft", threshold=3)[0]["labels"] == [1.0, 0.375]
    exact, = rows(labels="exact")
    assert exact["completions"] == ["a", "b"] and exact["labels"] == [True, False]
    for index, expected in ((-1, [True] * 4), (0, [False]), (2, [True, True, False])):
        judge_rows, _ = stepwise_rows_from_results([sol], [res], [index], labels="judge")
        assert judge_rows[0]["labels"] == expected and judge_rows[0]["judge_index"] == index
    none, report = stepwise_rows_from_results([sol], [res], [None], labels="judge")
    assert none == [] and report["skipped_unparseable_judge"] == 1
    kept, report = stepwise_rows_from_results([sol], [res], [2], labels="consensus")
    assert kept[0]["labels"] == [True, True, False] and kept[0]["consensus"] == "agree_error"
    assert report["consensus_filter"] and report["consensus"]["kept"] == 1
    dropped, report = stepwise_rows_from_results([sol], [res], [1], labels="consensus")
    assert dropped == [] and report["consensus"]["reasons"]["judge_earlier"] == 1


def test_rows_without_mc_results():
    sol, _ = _one()
    rows, _ = stepwise_rows_from_results([sol], labels="exact")
    assert rows[0]["labels"] == [True, False] and rows[0]["answer_correct"] is False
    assert all(rows[0][c] is None for c in ("mc_counts", "mc_first_error", "strategy", "k", "threshold"))
    judge_rows, _ = stepwise_rows_from_results([sol], judge_indices=[1], labels="judge")
    assert judge_rows[0]["labels"] == [True, False]
    ds = to_dataset(rows + judge_rows, labels="exact")
    assert ds["labels"] == [[True, False], [True, False]] and ds["mc_counts"] == [None, None]


def test_errors():
    sol, res = _one()
    with pytest.raises(ValueError, match="labels must be one of"):
        stepwise_rows_from_results([sol], [res], labels="majority")
    with pytest.raises(ValueError, match="needs mc_results"):
        stepwise_rows_from_results([sol], labels="hard")
    with pytest.raises(ValueError, match="needs mc_results"):
        stepwise_rows_from_results([sol], judge_indices=[0], labels="judge", consensus=True)
    with pytest.raises(ValueError, match="judge_indices"):
        stepwise_rows_from_results([sol], [res], labels="consensus")
    with pytest.raises(ValueError, match="judge_indices"):
        stepwise_rows_from_results([sol], [res], labels="judge")
    with pytest.raises(ValueError, match="parallel"):
        stepwise_rows_from_results([sol, sol], [res], labels="hard")
    with pytest.raises(ValueError, match="consensus=False"):
        stepwise_rows_from_results([sol], [res], [2], labels="consensus", consensus=False)
    with pytest.raises(ValueError, match="has no labels"):
        stepwise_rows_from_results([Solution(problem="Q", steps=["a"])], labels="exact")
    with pytest.raises(TypeError, match="not a Solution"):
        stepwise_rows_from_results([{"problem": "Q"}], [res])  # type: ignore[list-item]
    early = MCResult(**{**res.to_dict(), "strategy": "early_stop", "counts": [1, 1, 0, None], "drawn": [1, 1, 8, 0]})
    with pytest.raises(ValueError, match="soft labels need complete counts"):
        stepwise_rows_from_results([sol], [early], labels="soft")


def test_first_error_at_any_threshold():
    _, res = _one()  # counts 8, 3, 0, 5 of 8
    assert res.first_error_at() == res.first_error == 2
    assert res.first_error_at(3) == 1  # 3 of 8 is not more than 3
    assert res.first_error_at(7) == 1  # 8 of 8 is more than 7; 3 of 8 is not
    clean = MCResult(**{**res.to_dict(), "counts": [8, 8, 8, 8], "labels": [True] * 4, "first_error": -1})
    assert clean.first_error_at() == -1 and clean.first_error_at(7) == -1
    early = MCResult(**{**res.to_dict(), "strategy": "early_stop", "counts": [1, 1, 0, None], "drawn": [1, 1, 8, 0]})
    with pytest.raises(ValueError, match="only decide labels at threshold 0"):
        early.first_error_at(2)
