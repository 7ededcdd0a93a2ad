"""prmlib.lessons.evaluate: Best-of-N problems reuse the verdicts stored with the candidate sets."""

from prmlib.eval.bon import best_of_n, bon_record
from prmlib.lessons.evaluate import bon_problems


def _record(correct=None):
    rec = bon_record("What is 2 + 3?", "5", "level-1", ["2 + 3 = 5. The answer is 5.", "2 + 3 = 6. The answer is 6."],
                     [True, False], extraction="strict")
    if correct is None:
        del rec["answer_correct"]
    else:
        rec["answer_correct"] = correct
    return rec


def test_stored_verdicts_are_used_without_grading_again():
    # a stored verdict that the grader would not give shows that nothing was regraded
    (p,) = bon_problems([_record(correct=[False, True])], [[[0.9], [0.1]]])
    assert p.correct == [False, True]
    assert p.answers == ["5", "6"]  # answers are still extracted, for majority voting
    result = best_of_n([p], aggs=["product"])
    assert result.average("rm:product") == 0.0  # picks the first candidate, stored as wrong


def test_records_without_verdicts_are_graded():
    (p,) = bon_problems([_record()], [[[0.9], [0.1]]])
    assert p.correct == [True, False]
    assert best_of_n([p], aggs=["product"]).average("rm:product") == 100.0
