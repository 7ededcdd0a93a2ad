"""``prmlib synth stats | sample | speed``."""

import json

import pytest

from prmlib.cli import main


def test_stats_prints_table_then_json(capsys):
    assert main(["synth", "stats", "--seed", "0", "--n", "40", "--difficulties", "1,5"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert any(line.split()[:1] == ["5"] for line in out[:-1])  # a table row per level
    result = json.loads(out[-1])
    assert result["command"] == "synth stats" and set(result["levels"]) == {"1", "5"}
    for row in result["levels"].values():
        for key in ("accuracy", "wrong_step_given_right", "mean_steps", "mc_precision", "mc_recall"):
            assert key in row
        assert row["solutions"] == 40


def test_sample_prints_verdicts(capsys):
    assert main(["synth", "sample", "--difficulty", "4", "--n", "3", "--samples", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("difficulty 4, gold") == 3 and out.count("--- solution") == 6
    assert "ok " in out and "How many" in out


def test_speed_reports_json(capsys):
    assert main(["synth", "speed", "--n", "5", "--repeats", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["continuations_per_second"]["continue_steps"] > 0


@pytest.mark.parametrize("bad", [["--difficulties", "0,7"], ["--difficulties", "x"]])
def test_stats_rejects_bad_levels(bad, capsys):
    with pytest.raises(SystemExit):
        main(["synth", "stats", *bad])
    assert "difficult" in capsys.readouterr().err
