"""Loaders on small hand-written fixtures (data/fixtures): validation errors, skip counts,
PRM800K regrouping, source resolution. No real data needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prmlib.data import (
    DataError,
    DataUnavailableError,
    LoadReport,
    load_bon_benchmark,
    load_math_shepherd,
    load_prm800k,
    load_prm800k_raw,
    load_processbench,
)
from prmlib.data.benchmarks import split_leaked_answer
from prmlib.data.sources import ENV_VAR, read_rows

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"


@pytest.fixture(autouse=True)
def _no_data_dir(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


# -- ProcessBench -----------------------------------------------------------------------------
def test_processbench_valid_fixture():
    report = LoadReport()
    ds = load_processbench("gsm8k", path=FIXTURES / "processbench_valid.json", report=report)
    assert ds.column_names == ["id", "generator", "problem", "steps", "final_answer_correct", "label", "split"]
    assert ds["label"] == [-1, 0, 0]
    assert set(ds["split"]) == {"gsm8k"}
    assert report.notes == {"erroneous": 2, "right_answer_wrong_process": 1, "final_answer_correct": 2}


def test_processbench_error_names_file_row_field():
    path = FIXTURES / "processbench_malformed.json"
    with pytest.raises(DataError) as info:
        load_processbench("math", path=path)
    err = info.value
    assert (err.file, err.row, err.field) == (str(path), 1, "label")
    assert "processbench_malformed.json: row 1: field 'label': out of range" in str(err)


def test_processbench_skip_counts_every_reason():
    report = LoadReport()
    ds = load_processbench("math", path=FIXTURES / "processbench_malformed.json", on_error="skip", report=report)
    assert ds["id"] == ["ok-0"]
    assert report.rows_read == 6 and report.rows_loaded == 1
    assert dict(report.skipped) == {"label: out of range": 1, "steps: not a list of strings": 1,
                                    "problem: empty": 1, "final_answer_correct: missing field": 1,
                                    "label: not an integer": 1}
    assert "row 2: field 'steps'" in report.examples[1]


def test_processbench_unknown_split_and_bad_on_error():
    with pytest.raises(ValueError, match="unknown ProcessBench split"):
        load_processbench("mmlu", path=FIXTURES / "processbench_valid.json")
    with pytest.raises(ValueError, match="on_error"):
        load_processbench("gsm8k", path=FIXTURES / "processbench_valid.json", on_error="ignore")


# -- PRM800K ----------------------------------------------------------------------------------
def test_prm800k_regroups_episodes_and_alternatives():
    report = LoadReport()
    ds = load_prm800k(path=FIXTURES / "prm800k_flat.jsonl", report=report)
    rows = ds.to_list()
    chains = [r for r in rows if not r["is_alternative"]]
    alts = [r for r in rows if r["is_alternative"]]
    assert report.notes["problems"] == 2 and report.notes["episodes"] == 3
    assert [c["steps"] for c in chains] == [
        ["Multiply 6 by 7.", "6 * 7 = 42.", "So the answer is 42.\n\n# Answer\n\n42"],
        ["Six sevens make forty-two."],
        ["2 ** 5 = 32.", "The answer is 32.\n\n# Answer\n\n32"],
    ]
    assert [c["ratings"] for c in chains] == [[1, 1, 1], [None], [1, 1]]
    assert chains[1]["is_human"] == [True] and chains[1]["labels"] == [True] and not chains[1]["finished"]
    assert [c["answer"] for c in chains] == ["42", None, "32"]
    assert [(a["steps"], a["ratings"], a["labels"], a["first_error"]) for a in alts] == [
        (["Multiply 6 by 7.", "6 * 7 = 48."], [1, -1], [True, False], 1),
        (["Multiply 6 by 7.", "6 * 7 is a product."], [1, 0], [True, True], -1),
        (["Add 6 seven times."], [0], [True], -1),
    ]
    assert report.unused == {"candidate neither rated nor chosen": 2}


def test_prm800k_neutral_label_and_chosen_only():
    ds = load_prm800k(path=FIXTURES / "prm800k_flat.jsonl", neutral_is_positive=False)
    neutral = [r for r in ds.to_list() if r["ratings"][-1] == 0]
    assert len(neutral) == 2 and all(r["labels"][-1] is False for r in neutral)
    report = LoadReport()
    chosen = load_prm800k(path=FIXTURES / "prm800k_flat.jsonl", include_alternatives=False, report=report)
    assert len(chosen) == 3 and not any(chosen["is_alternative"])
    assert report.unused["rated candidate not chosen (alternative)"] == 3
    raw_text = load_prm800k(path=FIXTURES / "prm800k_flat.jsonl", restore_answer_line=False)
    assert raw_text[0]["steps"][-1] == "So the answer is 42."


def test_prm800k_orphan_row_and_bad_rating():
    path = FIXTURES / "prm800k_flat_orphan.jsonl"
    with pytest.raises(DataError) as info:
        load_prm800k(path=path)
    assert (info.value.row, info.value.field) == (2, "responses")
    report = LoadReport()
    ds = load_prm800k(path=path, on_error="skip", report=report)
    assert dict(report.skipped) == {"responses: earlier steps continue no solution read so far": 1,
                                    "rating: not one of 1, 0, -1 or null": 1}
    assert ds[0]["steps"] == ["Multiply 6 by 7.", "6 * 7 = 42."]


def test_prm800k_raw_back_to_back_objects():
    report = LoadReport()
    ds = load_prm800k_raw(FIXTURES / "prm800k_raw_examples.json", report=report)
    one, two = ds.to_list()
    assert one["steps"][-1].endswith("# Answer\n\n42") and one["ratings"] == [1, 1, 0]
    assert one["labels"] == [True, True, True] and one["first_error"] == -1 and one["gold"] == "42"
    assert two["phase"] == 2 and two["finish_reason"] == "found_error"
    assert two["steps"] == ["2 ** 5 = 2 * 2 * 2 * 2 * 2.", "That is 16."] and two["first_error"] == 1
    assert report.unused["rated candidate not chosen (alternative)"] == 2
    strict = load_prm800k_raw(FIXTURES / "prm800k_raw_examples.json", neutral_is_positive=False)
    assert strict[0]["first_error"] == 2


def test_concatenated_json_error_names_the_object(tmp_path):
    bad = tmp_path / "two.json"
    bad.write_text('{"a": 1}\n{"a": 2,,}\n')
    with pytest.raises(DataError) as info:
        read_rows(bad)
    assert info.value.row == 1 and "invalid JSON" in str(info.value)


def test_jsonl_error_names_row_and_line(tmp_path):
    bad = tmp_path / "rows.jsonl"
    bad.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(DataError, match=r"rows.jsonl: row 1: invalid JSON \(line 3"):
        read_rows(bad)


# -- Math-Shepherd ----------------------------------------------------------------------------
def test_math_shepherd_parsing_and_bad_mark():
    path = FIXTURES / "math_shepherd.jsonl"
    with pytest.raises(DataError) as info:
        load_math_shepherd(path)
    assert (info.value.row, info.value.field) == (2, "label")
    report = LoadReport()
    ds = load_math_shepherd(path, on_error="skip", report=report)
    assert report.num_skipped == 1
    first = ds[0]
    assert first["problem"] == "Tom has 3 apples and buys 4 more. How many apples does he have?"
    assert first["steps"] == ["Tom starts with 3 apples.", "He has 3 + 4 = 8 apples. The answer is: 8"]
    assert first["labels"] == [True, False] and first["first_error"] == 1 and first["answer"] == "8"
    numbered = load_math_shepherd(path, on_error="skip", keep_step_numbers=True)
    assert numbered[0]["steps"][0].startswith("Step 1:")


# -- benchmarks -------------------------------------------------------------------------------
def test_bon_gold_errors():
    with pytest.raises(DataError, match=r"row 1: field 'answer': no '####' gold line"):
        load_bon_benchmark("gsm8k", path=FIXTURES / "bon_malformed.jsonl")
    report = LoadReport()
    ds = load_bon_benchmark("gsm8k", path=FIXTURES / "bon_malformed.jsonl", on_error="skip", report=report)
    assert ds["gold"] == ["6"] and report.num_skipped == 1
    with pytest.raises(DataError, match=r"row 1: field 'answer': not an index into 'choices'"):
        load_bon_benchmark("mmlu_stem", path=FIXTURES / "mmlu_malformed.jsonl")
    ds = load_bon_benchmark("mmlu_stem", path=FIXTURES / "mmlu_malformed.jsonl", on_error="skip")
    assert ds["gold"] == ["C"] and "(C) 7" in ds[0]["problem"]


def test_split_leaked_answer():
    assert split_leaked_answer("Compute the probability.answers: $\\frac{3}{10}$") == (
        "Compute the probability.", "\\frac{3}{10}")
    assert split_leaked_answer("Which one? (A) 1 (B) 2Answer: A") == ("Which one? (A) 1 (B) 2", "A")
    assert split_leaked_answer("No answer leaked here.") is None


# -- resolution -------------------------------------------------------------------------------
def test_missing_everything_explains_prmlib_data_dir(monkeypatch):
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataUnavailableError, match=ENV_VAR) as info:
        load_processbench("gsm8k")
    assert "Qwen/ProcessBench" in str(info.value)
    with pytest.raises(DataUnavailableError, match="no Hub id is known"):
        load_bon_benchmark("college_math")
    with pytest.raises(DataUnavailableError, match=ENV_VAR):
        load_prm800k_raw()


def test_data_dir_layout_and_missing_file(monkeypatch, tmp_path):
    (tmp_path / "processbench").mkdir()
    rows = json.loads((FIXTURES / "processbench_valid.json").read_text())
    (tmp_path / "processbench" / "math.json").write_text(json.dumps(rows))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert len(load_processbench("math")) == 3
    with pytest.raises(FileNotFoundError, match="omnimath.json does not exist"):
        load_processbench("omnimath")
    # an explicit folder that holds the file directly
    assert len(load_processbench("math", path=tmp_path / "processbench")) == 3
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_processbench("math", path=tmp_path / "nowhere")
