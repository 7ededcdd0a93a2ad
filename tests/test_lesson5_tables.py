"""Lesson 5's "right answers with a wrong step" table, from labelled candidates or from the test set."""

from types import SimpleNamespace

from prmlib.lessons.lesson5_bon_bias import checker_ceiling_table, wrong_process_table


def _run(first_errors):
    bon = [{"benchmark": "level 1", "answer_correct": [True, True, False], "first_errors": first_errors},
           {"benchmark": "level 5", "answer_correct": [True], "first_errors": [0]}]
    test = {"level 1": [{"final_answer_correct": True, "label": -1}, {"final_answer_correct": True, "label": 3},
                        {"final_answer_correct": False, "label": 0}],
            "level 5": [{"final_answer_correct": True, "label": 1}]}
    return SimpleNamespace(sets={"bon": bon, "test": test})


def test_share_from_labelled_candidates():
    t = wrong_process_table(_run([-1, 2, 1]))
    assert t.loc["level 1"].tolist() == [2, 1, 50.0]  # the wrong-answer candidate is not counted
    assert t.loc["level 5"].tolist() == [1, 1, 100.0]


def test_share_from_the_test_set_when_candidates_have_no_labels():
    t = wrong_process_table(_run([None, 2, 1]))
    assert t.loc["level 1"].tolist() == [2, 1, 50.0]  # right answers: labels -1 and 3
    assert t.loc["level 5"].tolist() == [1, 1, 100.0]


def test_perfect_checker_ceiling_per_level_and_overall():
    run = _run([-1, 2, 1])
    run.sets["bon"].append({"benchmark": "level 5", "answer_correct": [True, False, True], "first_errors": [0, 2, 1]})
    t = checker_ceiling_table(run)
    assert list(t.index) == ["level 1", "level 5", "all"]
    assert t.loc["level 1"].tolist() == [1, 100.0, 100.0, 100.0]  # one clean candidate, right answer
    # level 5: no clean candidate in either problem; the latest first error is picked (right, then wrong)
    assert t.loc["level 5"].tolist() == [2, 0.0, 0.0, 50.0]
    assert t.loc["all"].tolist() == [3, 100.0 / 3, 100.0, 200.0 / 3]


def test_perfect_checker_ceiling_is_empty_without_candidate_labels():
    from prmlib.lessons.display import Skipped

    t = checker_ceiling_table(_run([None, 2, 1]))
    assert isinstance(t, Skipped) and "exact step labels" in t.reason
