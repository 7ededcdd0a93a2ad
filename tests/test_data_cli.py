"""`prmlib data tour` / `prmlib data counts`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from prmlib.cli import main
from prmlib.data.sources import ENV_VAR

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"


def test_tour_without_data_fails_clearly(monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert main(["data", "tour"]) == 2
    err = capsys.readouterr().err
    assert ENV_VAR in err and "data/README.md" in err


def test_counts_on_a_partial_copy(monkeypatch, capsys, tmp_path):
    (tmp_path / "processbench").mkdir()
    for split in ("gsm8k", "math", "olympiadbench", "omnimath"):
        shutil.copy(FIXTURES / "processbench_valid.json", tmp_path / "processbench" / f"{split}.json")
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert main(["data", "counts", "--data-dir", str(tmp_path)]) == 1  # the other data sets are missing
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert result["processbench"]["math"] == {"rows": 3, "erroneous": 2, "final_answer_correct": 2,
                                              "right_answer_wrong_process": 1,
                                              "right_answer_wrong_process_share": 0.5}
    assert "prm800k" in result["unavailable"] and "bon/gsm8k" in result["unavailable"]
    assert "unavailable" in captured.err


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get(ENV_VAR), reason=f"{ENV_VAR} is not set (no local copy of the data)")
def test_tour_on_real_data(capsys):
    assert main(["data", "tour"]) == 0
    out = capsys.readouterr().out
    assert "ProcessBench" in out and "PRM800K" in out and "Best-of-N" in out
    result = json.loads(out.strip().splitlines()[-1])
    assert {s: v["erroneous"] for s, v in result["processbench"].items()} == {
        "gsm8k": 207, "math": 594, "olympiadbench": 661, "omnimath": 759}
    assert result["prm800k"]["phase1_test"]["problems"] == 101
    assert result["bon_benchmarks"]["mmlu_stem"] == 3018
    assert "unavailable" not in result
