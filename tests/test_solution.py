import pytest

from prmlib.solution import (
    Solution,
    first_error_from_labels,
    join_steps,
    labels_from_first_error,
    split_steps,
)


def test_split_keeps_step_text_exactly_and_drops_empty_steps():
    text = "Step one: 2 + 2 = 4.\n\n  indented step\n\n\n\n \n\nThe answer is \\boxed{4}."
    steps = split_steps(text)
    assert steps == ["Step one: 2 + 2 = 4.", "  indented step", "The answer is \\boxed{4}."]
    # round trip on text without empty steps
    clean = "a\n\nb c\n\n d"
    assert join_steps(split_steps(clean)) == clean


def test_split_custom_separator_and_bad_input():
    assert split_steps("a ки b ки ", separator=" ки ") == ["a", "b"]
    with pytest.raises(ValueError):
        split_steps("a", separator="")
    with pytest.raises(TypeError):
        split_steps(None)  # type: ignore[arg-type]


def test_first_error_helpers():
    assert labels_from_first_error(3, -1) == [True, True, True]
    assert labels_from_first_error(4, 1) == [True, False, False, False]
    with pytest.raises(ValueError):
        labels_from_first_error(3, 3)
    assert first_error_from_labels([1.0, 0.75, 0.0]) == 2
    assert first_error_from_labels([True, True]) == -1
    assert first_error_from_labels([0.9, 0.4], threshold=0.5) == 1


def test_stepwise_round_trip_truncates_after_first_error():
    sol = Solution("p", ["s0", "s1", "s2", "s3"], labels=[True, False, True, False])
    row = sol.to_stepwise()
    assert row == {"prompt": "p", "completions": ["s0", "s1"], "labels": [True, False]}
    full = sol.to_stepwise(truncate_after_first_error=False)
    assert full["labels"] == [True, False, True, False]
    back = Solution.from_stepwise(full)
    assert back.steps == sol.steps and back.labels == sol.labels and back.first_error == 1


def test_processbench_round_trip():
    row = {"id": "gsm8k-3", "problem": "q", "steps": ["a", "b", "c"], "label": 1, "final_answer_correct": True}
    sol = Solution.from_processbench(row)
    assert sol.labels == [True, False, False]
    assert sol.meta["final_answer_correct"] is True
    assert sol.to_processbench() == {"id": "gsm8k-3", "problem": "q", "steps": ["a", "b", "c"], "label": 1}
    clean = Solution.from_processbench({"id": "x", "problem": "q", "steps": ["a"], "label": -1})
    assert clean.first_error == -1


def test_bad_solutions_raise():
    with pytest.raises(TypeError):
        Solution("p", "not a list")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Solution("p", ["a"], labels=[True, False])
    with pytest.raises(ValueError):
        Solution("p", ["a"], labels=[1.5])
    with pytest.raises(KeyError):
        Solution.from_processbench({"problem": "q", "steps": ["a"]})
