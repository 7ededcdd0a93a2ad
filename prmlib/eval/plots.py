"""Figures of the evaluation, drawn with seaborn.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global
state, no ``plt.show``), so it is safe on headless machines and in tests; save it with
``fig.savefig("x.png")``, or let a notebook display it.

* :func:`plot_processbench`: per-subset error / correct accuracy and F1 (bars) or an F1 heatmap
  of several models;
* :func:`plot_bon`: Best-of-N bars with maj@N and pass@N as reference lines (Figure 1 style);
* :func:`plot_min_at_last_step`: share of solutions whose lowest step score is at the last step
  (Figure 8) and :func:`plot_lowest_position_histogram` for the relative position of the minimum;
* :func:`plot_scoring_strategies`: Best-of-N by aggregation, grouped by PRM (Figure 9);
* :func:`plot_accuracy_vs_n`: accuracy as a function of the number of candidates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

_SUBSET_ORDER = ("GSM8K", "MATH", "Olym.", "Omni")
_METRIC_NAMES = {"err": "error acc.", "cor": "correct acc.", "F1": "F1"}


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots()


def _rotate(ax, angle: float = 25, size: int = 8) -> None:
    ax.tick_params(axis="x", labelrotation=angle, labelsize=size)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")


def _label_bars(ax, fmt: str = "{:.1f}", fontsize: int = 7) -> None:
    for container in ax.containers:
        ax.bar_label(container, fmt=fmt, fontsize=fontsize, padding=1)


def _processbench_long(table: pd.DataFrame) -> pd.DataFrame:
    records = []
    for model, row in table.iterrows():
        for col, value in row.items():
            m = re.match(r"^(.*) (err|cor|F1)$", str(col))
            if m and m.group(1) != "Avg.":
                records.append({"model": str(model), "subset": m.group(1),
                                "metric": _METRIC_NAMES[m.group(2)], "value": float(value)})
    if not records:
        raise ValueError("table has no '<subset> err/cor/F1' columns (use ProcessBenchResult.table)")
    return pd.DataFrame(records)


def plot_processbench(table: pd.DataFrame, kind: str = "bars", title: str | None = None) -> Figure:
    """ProcessBench results in the Table 7 layout (rows = models).

    Args:
        table: e.g. ``ProcessBenchResult.table`` or several of them concatenated.
        kind: ``"bars"`` (one model: error acc., correct acc. and F1 per subset; several
            models: F1 per subset, one bar per model) or ``"heatmap"`` (F1 of every model and
            subset, plus the average).
    """
    long = _processbench_long(table)
    order = [s for s in _SUBSET_ORDER if s in set(long["subset"])] + sorted(set(long["subset"]) - set(_SUBSET_ORDER))
    if kind == "heatmap":
        f1 = long[long["metric"] == "F1"].pivot(index="model", columns="subset", values="value")[order]
        f1["Avg."] = f1.mean(axis=1)
        fig, ax = _figure(1.2 * len(f1.columns) + 3, 0.5 * len(f1) + 1.8)
        sns.heatmap(f1, annot=True, fmt=".1f", cmap="viridis", vmin=0, vmax=100, ax=ax,
                    cbar_kws={"label": "F1 (%)"})
        ax.set_xlabel("")
        ax.set_ylabel("")
    elif kind == "bars":
        fig, ax = _figure()
        if long["model"].nunique() == 1:
            sns.barplot(long, x="subset", y="value", hue="metric", order=order, ax=ax, palette="deep")
            ax.set_title(title or f"ProcessBench: {long['model'].iloc[0]}")
        else:
            sns.barplot(long[long["metric"] == "F1"], x="subset", y="value", hue="model", order=order, ax=ax)
            ax.set_title(title or "ProcessBench F1")
        _label_bars(ax)
        ax.set_ylim(0, 105)
        ax.set_xlabel("")
        ax.set_ylabel("%")
        ax.legend(fontsize=8, loc="upper right")
        return fig
    else:
        raise ValueError(f"kind must be 'bars' or 'heatmap', not {kind!r}")
    ax.set_title(title or "ProcessBench F1 (%)")
    return fig


def plot_bon(table: pd.DataFrame, column: str = "Avg.", rows: Sequence[str] | None = None,
             title: str | None = None) -> Figure:
    """Best-of-N accuracy of several settings as bars, maj@N and pass@N as dashed lines.

    Args:
        table: rows = settings (e.g. ``BoNResult.table``, or rows of several PRMs), columns =
            benchmarks; the rows whose label starts with ``maj@`` / ``pass@`` become lines.
        column: the benchmark to show (default the average over benchmarks).
        rows: the settings drawn as bars (default: every other row).
    """
    labels = [str(i) for i in table.index]
    lines = {k: float(table.loc[i, column]) for i, k in zip(table.index, labels) if k.startswith(("maj@", "pass@"))}
    bars = list(rows) if rows is not None else [k for k in labels if k not in lines]
    values = pd.DataFrame({"setting": bars, "accuracy": [float(table.loc[b, column]) for b in bars]})
    fig, ax = _figure(max(5.0, 0.9 * len(bars) + 2), 4.0)
    sns.barplot(values, x="setting", y="accuracy", hue="setting", legend=False, ax=ax, palette="crest")
    _label_bars(ax)
    styles = {"maj@": ("tab:orange", "--"), "pass@": ("tab:red", ":")}
    for name, value in lines.items():
        color, ls = styles["maj@" if name.startswith("maj@") else "pass@"]
        ax.axhline(value, color=color, linestyle=ls, linewidth=1.5, label=f"{name} = {value:.1f}")
    everything = list(values["accuracy"]) + list(lines.values())
    if everything:
        ax.set_ylim(max(0.0, min(everything) - 5), min(100.0, max(everything) + 3))
    if lines:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("")
    ax.set_ylabel(f"accuracy (%), {column}")
    ax.set_title(title or f"Best-of-N: {column}")
    _rotate(ax, 20)
    return fig


def plot_min_at_last_step(shares: Mapping[str, float] | pd.Series, title: str | None = None) -> Figure:
    """Figure 8: % of solutions whose lowest step score is at the last step, one bar per PRM."""
    s = pd.Series(dict(shares), dtype=float).sort_values()
    fig, ax = _figure(max(5.0, 0.7 * len(s) + 2), 4.0)
    sns.barplot(x=s.index, y=s.values, hue=s.index, legend=False, ax=ax, palette="flare")
    _label_bars(ax)
    ax.set_ylabel("min score at last step (%)")
    ax.set_xlabel("")
    ax.set_ylim(0, max(100.0, float(s.max()) + 5) if len(s) else 100)
    _rotate(ax, 30)
    ax.set_title(title or "Where the lowest step score sits")
    return fig


def plot_lowest_position_histogram(hists: Mapping[str, pd.DataFrame] | pd.DataFrame, title: str | None = None) -> Figure:
    """Share (%) of solutions per relative position of the lowest step score (e.g. deciles).

    Args:
        hists: a ``histogram`` from :func:`prmlib.eval.analysis.lowest_score_positions`, or a
            dict PRM name -> histogram.
    """
    if isinstance(hists, pd.DataFrame):
        hists = {"": hists}
    long = pd.concat([h.assign(prm=name) for name, h in hists.items()], ignore_index=True)
    fig, ax = _figure()
    if len(hists) > 1:
        sns.barplot(long, x="bin", y="share", hue="prm", ax=ax)
    else:
        sns.barplot(long, x="bin", y="share", color="tab:purple", ax=ax)
    ax.set_xlabel("relative position of the lowest step score (0 = first step, 1 = last)")
    ax.set_ylabel("solutions (%)")
    _rotate(ax, 30)
    ax.set_title(title or "Position of the lowest step score")
    return fig


def plot_scoring_strategies(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Figure 9: Best-of-N accuracy by scoring strategy; rows = PRMs, columns = strategies."""
    long = table.rename_axis("PRM").reset_index().melt(id_vars="PRM", var_name="strategy", value_name="accuracy")
    long["PRM"] = long["PRM"].astype(str)
    fig, ax = _figure(max(6.0, 1.3 * len(table) + 2), 4.2)
    # points, not bars: the accuracies sit in a narrow band, and bars cut at its bottom would
    # make the lowest look near zero
    sns.pointplot(long, x="PRM", y="accuracy", hue="strategy", ax=ax, palette="Set2", dodge=0.5,
                  linestyle="none", markers=["o", "s", "D", "^", "v", "P"][:long["strategy"].nunique()])
    lo, hi = float(long["accuracy"].min()), float(long["accuracy"].max())
    ax.set_ylim(max(0.0, lo - 3), min(100.0, hi + 3))
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlabel("PRM (training labels)")
    ax.set_ylabel("Best-of-N accuracy (%)")
    _rotate(ax, 20)
    ax.legend(title="scoring", fontsize=8)
    ax.set_title(title or "Best-of-N by scoring strategy")
    return fig


def plot_accuracy_vs_n(curves: pd.DataFrame, benchmark: str = "Avg.", title: str | None = None) -> Figure:
    """Accuracy as a function of N (the output of :func:`prmlib.eval.bon.accuracy_vs_n`)."""
    data = curves[curves["benchmark"] == benchmark]
    if data.empty:
        raise ValueError(f"no curves for benchmark {benchmark!r}; have {sorted(set(curves['benchmark']))}")
    fig, ax = _figure()
    sns.lineplot(data, x="n", y="accuracy", hue="metric", marker="o", ax=ax)
    ax.set_xlabel("number of candidates N")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title or f"Best-of-N vs N: {benchmark}")
    return fig
