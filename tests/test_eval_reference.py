"""The papers' tables as DataFrames, and paper-vs-ours comparison."""

import json
from importlib import resources

import pytest

from prmlib.eval.processbench import results_table
from prmlib.eval.reference import (
    canonical_column,
    compare_with_paper,
    reference_keys,
    reference_notes,
    reference_table,
)


def test_resource_keeps_notes_and_cites_both_papers():
    raw = json.loads(resources.files("prmlib").joinpath("resources/reference_tables.json").read_text())
    notes = reference_notes()
    assert raw["_notes"] == notes
    assert "2501.07301" in notes["citation"] and "2412.06559" in notes["citation"]
    assert {"sources", "table7_fixes", "metrics"} <= set(notes)
    assert "lessons_table7_processbench_all" in reference_keys()


def test_table7_columns_and_numbers():
    t7 = reference_table("lessons_table7_processbench_all")
    assert list(t7.columns[2:5]) == ["GSM8K err", "GSM8K cor", "GSM8K F1"]
    assert "Omni F1" in t7.columns and t7.columns[-1] == "Avg. F1"
    row = t7.set_index("Model").loc["Qwen2.5-Math-PRM-7B"]
    assert row["GSM8K F1"] == 82.4 and row["Avg. F1"] == 73.5
    # the table's own F1 is the harmonic mean of its accuracies (to rounding)
    err, cor = row["MATH err"], row["MATH cor"]
    assert 2 * err * cor / (err + cor) == pytest.approx(row["MATH F1"], abs=0.06)


def test_blank_first_column_is_filled_and_percent_parsed():
    t13 = reference_table("lessons_table13_bon_scoring_last_product_min")
    assert (t13["PRM"] != "").all()
    assert t13.loc[2, "PRM"] == "Math-Shepherd-PRM-7B" and t13.loc[2, "scoring"] == "min"
    fig6 = reference_table("lessons_fig6_correct_answer_wrong_process_rate")
    assert fig6.loc[0, "Omni-MATH"] == 43.4
    with pytest.raises(KeyError, match="no reference table"):
        reference_table("table99")


def test_canonical_columns_match_across_spellings():
    assert canonical_column("Olym. cor") == canonical_column("OlympiadBench cor") == "olympiadbench|cor"
    assert canonical_column("Minerva") == canonical_column("Minerva Math")
    assert canonical_column("Average") == canonical_column("Avg.")


def test_compare_with_paper_processbench_and_bon():
    metrics = {s: {"error_acc": 50.0, "correct_acc": 90.0, "f1": 2 * 50 * 90 / 140}
               for s in ("gsm8k", "math", "olympiadbench", "omnimath")}
    ours = results_table(metrics, "mine")
    cmp = compare_with_paper(ours, "lessons_table7_processbench_all", row="Qwen2.5-Math-PRM-7B")
    assert len(cmp) == 13
    assert cmp.loc["GSM8K err", "paper"] == 72.0 and cmp.loc["GSM8K err", "ours"] == 50.0
    assert cmp.loc["GSM8K err", "ours - paper"] == pytest.approx(-22.0)
    assert cmp.loc["Avg. F1", "ours"] == pytest.approx(2 * 50 * 90 / 140)
    assert cmp.attrs["note"] == ""
    # our Avg. over 2 of the paper's 7 benchmarks is another number: left out, with a warning and a note
    with pytest.warns(UserWarning, match="Avg. left out"):
        bon = compare_with_paper({"GSM8K": 97.0, "Minerva Math": 40.0, "Avg.": 65.0},
                                 "lessons_table13_bon_scoring_last_product_min",
                                 row={"PRM": "Skywork-PRM-7B", "scoring": "min"})
    assert list(bon.index) == ["GSM8K", "Minerva"]
    assert "missing: MATH, GaoKao23En" in bon.attrs["note"]
    assert bon.loc["Minerva", "paper"] == 39.7
    # an average alone cannot be checked for coverage: compared, as before
    only = compare_with_paper({"Avg.": 65.0}, "lessons_table13_bon_scoring_last_product_min",
                              row={"PRM": "Skywork-PRM-7B", "scoring": "min"})
    assert list(only.index) == ["Avg."] and only.attrs["note"] == ""
    # ProcessBench: every subset's F1 and the average, without err / cor columns: the average is comparable
    f1s = {f"{s} F1": 50.0 for s in ("GSM8K", "MATH", "Olym.", "Omni")} | {"Avg. F1": 50.0}
    full = compare_with_paper(f1s, "lessons_table7_processbench_all", row="Qwen2.5-Math-PRM-7B")
    assert "Avg. F1" in full.index and full.attrs["note"] == ""
    assert compare_with_paper({"GSM8K": 1.0}, "lessons_table6_bon_released_prms", "maj@8").loc["GSM8K", "paper"] == 96.7
    with pytest.raises(KeyError, match="matches"):
        compare_with_paper({"GSM8K": 1.0}, "lessons_table13_bon_scoring_last_product_min", row="Skywork-PRM-7B")
    with pytest.raises(ValueError, match="no column of ours"):
        compare_with_paper({"foo": 1.0}, "lessons_table6_bon_released_prms", "maj@8")
