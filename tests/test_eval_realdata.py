"""ProcessBench evaluation on the real data (needs PRMLIB_DATA_DIR).

The expected values of the trivial predictors are computed here, independently, from the raw
JSON files; the library's numbers go through ``prmlib.data.load_processbench``.
"""

import json
import os
from pathlib import Path

import pytest

from prmlib.cli import main
from prmlib.eval import (
    evaluate_baselines,
    evaluate_processbench,
    extracted_baselines,
    extracted_counts,
    reference_table,
)
from prmlib.eval.processbench import SUBSET_ABBREV, SUBSET_NAMES, SUBSETS

pytestmark = pytest.mark.realdata
DATA_DIR = os.environ.get("PRMLIB_DATA_DIR")
if not DATA_DIR:
    pytest.skip("PRMLIB_DATA_DIR is not set (point it at a local copy of the data sets)", allow_module_level=True)


@pytest.fixture(scope="module")
def raw():
    return {s: json.loads((Path(DATA_DIR) / "processbench" / f"{s}.json").read_text()) for s in SUBSETS}


@pytest.fixture(scope="module")
def data():
    from prmlib.data import load_processbench

    return {s: load_processbench(s) for s in SUBSETS}


def _pct(num, den):
    return 100.0 * num / den


def test_extracted_counts_match_the_paper(raw, data):
    counts = {s: sum(r["final_answer_correct"] and r["label"] != -1 for r in rows) for s, rows in raw.items()}
    assert counts == {"gsm8k": 7, "math": 94, "olympiadbench": 161, "omnimath": 259}
    assert extracted_counts(data) == counts
    paper = reference_table("lessons_table5_extracted_processbench").set_index("Model").loc["# samples"]
    assert [paper[SUBSET_NAMES[s]] for s in SUBSETS] == [counts[s] for s in SUBSETS]


def test_trivial_baselines_exact(raw, data):
    table = evaluate_baselines(data)
    for s, rows in raw.items():
        a = SUBSET_ABBREV[s]
        err = [r for r in rows if r["label"] != -1]
        ok = [r for r in rows if r["label"] == -1]
        # always -1: every correct row right, every erroneous row wrong
        assert table.loc["always_correct", [f"{a} err", f"{a} cor", f"{a} F1"]].tolist() == [0.0, 100.0, 0.0]
        # always 0: error acc = share of label-0 rows among erroneous; correct acc 0
        assert table.loc["always_first_step", f"{a} err"] == pytest.approx(_pct(sum(r["label"] == 0 for r in err), len(err)))
        assert table.loc["always_first_step", f"{a} cor"] == 0.0
        # outcome-only: wrong answer -> 0 (or last step); right answer -> -1
        hit0 = sum((not r["final_answer_correct"]) and r["label"] == 0 for r in err)
        hit_last = sum((not r["final_answer_correct"]) and r["label"] == len(r["steps"]) - 1 for r in err)
        cor = _pct(sum(r["final_answer_correct"] for r in ok), len(ok))
        assert table.loc["outcome_first_step", f"{a} err"] == pytest.approx(_pct(hit0, len(err)))
        assert table.loc["outcome_last_step", f"{a} err"] == pytest.approx(_pct(hit_last, len(err)))
        assert table.loc["outcome_first_step", f"{a} cor"] == pytest.approx(cor)
        e = _pct(hit0, len(err))
        assert table.loc["outcome_first_step", f"{a} F1"] == pytest.approx(2 * e * cor / (e + cor))
    ext = extracted_baselines(data)
    for s, rows in raw.items():
        sub = [r for r in rows if r["final_answer_correct"] and r["label"] != -1]
        assert ext.loc["always_first_step", SUBSET_NAMES[s]] == pytest.approx(_pct(sum(r["label"] == 0 for r in sub), len(sub)))
        assert ext.loc["outcome_first_step", SUBSET_NAMES[s]] == 0.0
        assert ext.loc["always_correct", SUBSET_NAMES[s]] == 0.0


def test_oracle_scores_are_perfect_and_threshold_is_tuned(raw, data):
    # scores that encode the truth: 0.9 before the first error, 0.1 from it on
    scores = {s: [[0.9 if r["label"] == -1 or i < r["label"] else 0.1 for i in range(len(r["steps"]))] for r in rows]
              for s, rows in raw.items()}
    res = evaluate_processbench(data, step_scores=scores)
    assert res.average_f1 == 100.0 and 0.1 < res.threshold <= 0.9


def test_cli_on_real_processbench(raw, tmp_path, capsys):
    lines = [{"id": r["id"], "pred": 0 if r["label"] != -1 else -1} for rows in raw.values() for r in rows]
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert main(["eval", "processbench", "--predictions", str(path)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for s, rows in raw.items():
        err = [r for r in rows if r["label"] != -1]
        assert out["subsets"][s]["correct_acc"] == 100.0
        assert out["subsets"][s]["error_acc"] == round(_pct(sum(r["label"] == 0 for r in err), len(err)), 2)
    # drop the MATH rows: the error names the subset and the count
    path.write_text("".join(json.dumps(x) + "\n" for x in lines if not x["id"].startswith("math-")))
    assert main(["eval", "processbench", "--predictions", str(path)]) == 2
    assert "1000 ProcessBench rows have no predictions: math: 1000" in capsys.readouterr().err
    assert main(["eval", "baselines"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["extracted_counts"] == {"gsm8k": 7, "math": 94, "olympiadbench": 161, "omnimath": 259}
    assert out["processbench"]["always_correct"]["Avg. F1"] == 0.0


@pytest.mark.parametrize(("split", "strict_agree", "default_agree"), [("gsm8k", 386, 397), ("math", 960, 987)])
def test_answer_flag_agreement(data, split, strict_agree, default_agree):
    """grade() against final_answer_correct (unextractable answers counted wrong): the strict counts
    of before the flexible policy, and the subset's default policy at least as good as measured."""
    from prmlib.data import load_processbench_golds
    from prmlib.eval.analysis import answer_agreement
    from prmlib.grading import Grader

    golds = load_processbench_golds(split)
    grader = Grader()
    strict = answer_agreement(data[split], golds, "strict", grader)
    default = answer_agreement(data[split], golds, None, grader)
    assert strict["graded"] == default["graded"] == len(data[split])
    assert strict["agree"] == strict_agree
    assert default["policy"] == {"gsm8k": "flexible", "math": "auto"}[split]
    assert default["agree"] >= default_agree and default["no_answer"] < strict["no_answer"]
    # no regression: every row the strict policy grades right, the default grades right too
    for row in data[split]:
        text, gold = "\n\n".join(row["steps"]), golds[row["problem"].strip()]
        if grader.grade(text, gold, "strict"):
            assert grader.grade(text, gold, default["policy"]), row["id"]


def test_answers_command_states_the_policy(capsys):
    assert main(["eval", "answers", "--subsets", "gsm8k"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["gsm8k"]["policy"] == "flexible" and out["gsm8k"]["agree"] >= 397
    assert main(["eval", "answers", "--subsets", "gsm8k", "--extraction", "strict"]) == 0
    text = capsys.readouterr().out
    assert "gsm8k: extraction strict: 386/400 agree" in text
    assert json.loads(text.strip().splitlines()[-1])["gsm8k"]["no_answer"] == 59
