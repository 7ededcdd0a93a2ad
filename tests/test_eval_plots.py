"""Every figure renders to a PNG file, headless."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from prmlib.eval import plots
from prmlib.eval.analysis import lowest_score_positions
from prmlib.eval.bon import BoNProblem, accuracy_vs_n, best_of_n
from prmlib.eval.processbench import results_table
from prmlib.eval.reference import reference_table


def _pb_table():
    rows = []
    for name, base in [("PRM-A", 40.0), ("PRM-B", 60.0)]:
        metrics = {s: {"error_acc": base - 5 * i, "correct_acc": 90.0 - 3 * i, "f1": base - 4 * i}
                   for i, s in enumerate(("gsm8k", "math", "olympiadbench", "omnimath"))}
        rows.append(results_table(metrics, name))
    return pd.concat(rows)


def _bon_problems():
    rng = np.random.default_rng(0)
    out = []
    for i in range(30):
        correct = list(rng.random(4) < 0.5)
        answers = ["g" if c else str(int(rng.integers(3))) for c in correct]
        out.append(BoNProblem(problem=f"p{i}", gold="g", responses=["r"] * 4, answers=answers, keys=answers,
                              correct=correct, step_scores=[list(rng.random(3)) for _ in range(4)],
                              benchmark=["gsm8k", "math"][i % 2]))
    return out


def _save(fig, path):
    assert isinstance(fig, Figure)
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 1000
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_processbench_plots(tmp_path):
    table = _pb_table()
    _save(plots.plot_processbench(table.iloc[:1]), tmp_path / "pb_one.png")
    _save(plots.plot_processbench(table), tmp_path / "pb_many.png")
    _save(plots.plot_processbench(table, kind="heatmap"), tmp_path / "pb_heat.png")
    with pytest.raises(ValueError, match="kind"):
        plots.plot_processbench(table, kind="pie")


def test_bon_plots(tmp_path):
    probs = _bon_problems()
    res = best_of_n(probs)
    _save(plots.plot_bon(res.table), tmp_path / "bon.png")
    paper = reference_table("lessons_table6_bon_released_prms").set_index("Setting")[["GSM8K", "Avg."]]
    _save(plots.plot_bon(paper, rows=["Skywork-PRM-7B", "Qwen2.5-Math-PRM-7B"]), tmp_path / "bon_paper.png")
    _save(plots.plot_accuracy_vs_n(accuracy_vs_n(probs, num_subsets=8)), tmp_path / "curve.png")


def test_lowest_score_and_strategy_plots(tmp_path):
    fig8 = reference_table("lessons_fig8_min_score_at_last_step").set_index("PRM")["%"]
    _save(plots.plot_min_at_last_step(fig8), tmp_path / "fig8.png")
    rng = np.random.default_rng(1)
    hist = lowest_score_positions([list(rng.random(int(rng.integers(2, 9)))) for _ in range(200)])["histogram"]
    _save(plots.plot_lowest_position_histogram(hist), tmp_path / "hist.png")
    _save(plots.plot_lowest_position_histogram({"a": hist, "b": hist}), tmp_path / "hist2.png")
    fig9 = reference_table("lessons_fig9_scoring_strategy").set_index("PRM training data")
    _save(plots.plot_scoring_strategies(fig9), tmp_path / "fig9.png")
