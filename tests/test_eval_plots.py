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


def _heights(ax):
    """The heights of the drawn bars (legend handles and empty patches have height 0)."""
    return [round(float(p.get_height()), 4) for p in ax.patches if p.get_height()]


def test_processbench_plots(tmp_path):
    table = _pb_table()
    _save(plots.plot_processbench(table.iloc[:1]), tmp_path / "pb_one.png")
    fig = plots.plot_processbench(table)
    f1 = [c for c in table.columns if c.endswith(" F1") and c != "Avg. F1"]
    assert _heights(fig.axes[0]) == [float(v) for name in table.index for v in table.loc[name, f1]]  # one bar per PRM and subset
    _save(fig, tmp_path / "pb_many.png")
    fig = plots.plot_processbench(table, kind="heatmap")
    assert np.asarray(fig.axes[0].collections[0].get_array()).tolist() == table[[*f1, "Avg. F1"]].to_numpy().tolist()
    _save(fig, tmp_path / "pb_heat.png")
    with pytest.raises(ValueError, match="kind"):
        plots.plot_processbench(table, kind="pie")


def test_bon_plots(tmp_path):
    probs = _bon_problems()
    res = best_of_n(probs)
    fig = plots.plot_bon(res.table)
    rm = [r for r in res.table.index if not r.startswith(("pass@", "maj@"))]  # bars; pass@N and maj@N are lines
    assert _heights(fig.axes[0]) == [round(float(v), 4) for v in res.table.loc[rm, "Avg."]]
    flat = {round(float(line.get_ydata()[0]), 4) for line in fig.axes[0].lines if len(set(line.get_ydata())) == 1}
    assert {round(float(res.table.loc[r, "Avg."]), 4) for r in ("pass@4", "maj@4")} <= flat
    _save(fig, tmp_path / "bon.png")
    paper = reference_table("lessons_table6_bon_released_prms").set_index("Setting")[["GSM8K", "Avg."]]
    fig = plots.plot_bon(paper, rows=["Skywork-PRM-7B", "Qwen2.5-Math-PRM-7B"])
    assert _heights(fig.axes[0]) == [float(paper.loc[r, "Avg."]) for r in ("Skywork-PRM-7B", "Qwen2.5-Math-PRM-7B")]
    _save(fig, tmp_path / "bon_paper.png")
    curves = accuracy_vs_n(probs, num_subsets=8)
    fig = plots.plot_accuracy_vs_n(curves)
    drawn = {round(float(y), 4) for line in fig.axes[0].lines for y in line.get_ydata()}
    assert {round(float(v), 4) for v in curves.loc[curves["benchmark"] == "Avg.", "accuracy"]} <= drawn
    _save(fig, tmp_path / "curve.png")


def test_lowest_score_and_strategy_plots(tmp_path):
    fig8 = reference_table("lessons_fig8_min_score_at_last_step").set_index("PRM")["%"]
    fig = plots.plot_min_at_last_step(fig8)
    assert sorted(_heights(fig.axes[0])) == sorted(float(v) for v in fig8)  # one bar per PRM
    _save(fig, tmp_path / "fig8.png")
    rng = np.random.default_rng(1)
    hist = lowest_score_positions([list(rng.random(int(rng.integers(2, 9)))) for _ in range(200)])["histogram"]
    fig = plots.plot_lowest_position_histogram(hist)
    assert _heights(fig.axes[0]) == [round(float(v), 4) for v in hist["share"] if v]
    _save(fig, tmp_path / "hist.png")
    fig = plots.plot_lowest_position_histogram({"a": hist, "b": hist})
    assert sorted(_heights(fig.axes[0])) == sorted(2 * [round(float(v), 4) for v in hist["share"] if v])
    _save(fig, tmp_path / "hist2.png")
    fig9 = reference_table("lessons_fig9_scoring_strategy").set_index("PRM training data")
    fig = plots.plot_scoring_strategies(fig9)
    drawn = [list(line.get_ydata()) for line in fig.axes[0].lines if not np.isnan(line.get_ydata()).all()]
    assert sorted(drawn) == sorted(fig9[c].tolist() for c in fig9.columns)  # one line per strategy over the PRMs
    _save(fig, tmp_path / "fig9.png")
