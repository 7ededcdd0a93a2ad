"""What the lesson notebooks call: open a run, show tables, figures and computed conclusions.

The notebooks stay short (a few lines per cell, no function definitions); everything they need
to look right is here:

* :func:`setup`: figure and table defaults (one decimal in tables, labelled figures);
* :func:`make_profile` / :func:`open_run`: a profile with the reader's knobs (K, N, sizes,
  thresholds) and the cached :class:`~prmlib.lessons.LessonRun` of it;
* :func:`show`: a table with numbers to one decimal and readable labels; it carries an HTML and a
  Markdown form, so the report (:mod:`prmlib.lessons.report`) can use either;
* :func:`show_figure`: a matplotlib figure as one PNG (no double display, same look everywhere);
* :func:`conclusion`: "holds" / "does not hold here", with the numbers, computed from the claims;
  the claims also travel in the output as JSON (:data:`CLAIMS_MIME`), which the report collects.
* :func:`note`: a line of Markdown (a caveat, a skipped section).
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

#: mime type of the claims a notebook concluded (read back by the report)
CLAIMS_MIME = "application/vnd.prmlib.claims+json"
#: mime type of a note saying that a section was skipped (e.g. no data)
SKIPPED_MIME = "application/vnd.prmlib.skipped+json"

#: raw names that can reach a table (consensus reasons, booleans, internal PRM names) -> words
LABELS: dict[str, str] = {
    "agree_clean": "kept: both find no error",
    "agree_error": "kept: both name the same first error",
    "judge_unparseable": "dropped: judge output unreadable",
    "judge_missing": "dropped: no judgement",
    "mc_missing": "dropped: no MC result",
    "judge_clean_mc_error": "dropped: judge finds no error, MC does",
    "mc_clean_judge_error": "dropped: MC finds no error, the judge does",
    "judge_earlier": "dropped: the judge's first error comes earlier",
    "judge_later": "dropped: MC's first error comes earlier",
    "always_correct": "always \"no error\" (-1)",
    "always_first_step": "always step 0",
    "outcome_first_step": "outcome only: wrong answer -> step 0",
    "outcome_last_step": "outcome only: wrong answer -> last step",
}

_KNOBS = ("k", "n", "train_problems_per_level", "test_per_level", "bon_problems_per_level", "levels")


class Skipped:
    """A section that could not run here (for example: no local data). :func:`show` and
    :func:`show_figure` display it as a note instead of failing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Skipped({self.reason!r})"


# -- setup ---------------------------------------------------------------------------------------
def setup() -> None:
    """Figure and table defaults of the notebooks (call once, first)."""
    import matplotlib

    # (tqdm's "IProgress not found" warning is silenced in prmlib.lessons/__init__, before tqdm loads)
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11,
        "axes.labelsize": 10, "legend.fontsize": 8, "figure.figsize": (6.4, 3.8),
        "axes.spines.top": False, "axes.spines.right": False,
    })
    pd.set_option("display.precision", 1)
    pd.set_option("display.max_colwidth", 120)


# -- runs ----------------------------------------------------------------------------------------
def make_profile(profile: str = "cpu", *, k: int | None = None, n: int | None = None,
                 train_problems_per_level: int | None = None, test_per_level: int | None = None,
                 bon_problems_per_level: int | None = None, levels: Sequence[int] | None = None,
                 thresholds: Sequence[int] | None = None):
    """A profile with the reader's knobs applied (``None`` keeps the profile's value).

    Args:
        profile: a shipped profile name (``smoke``, ``cpu`` ...) or a YAML path.
        k: MC completions per step. n: Best-of-N candidates per problem.
        train_problems_per_level, test_per_level, bon_problems_per_level, levels: sizes.
        thresholds: the hard-label thresholds of the sweep (must include 0 and stay below K).
    """
    from prmlib.lessons.profiles import load_profile

    sizes = {name: value for name, value in (("k", k), ("n", n), ("train_problems_per_level", train_problems_per_level),
                                             ("test_per_level", test_per_level),
                                             ("bon_problems_per_level", bon_problems_per_level),
                                             ("levels", None if levels is None else [int(x) for x in levels]))
             if value is not None}
    base = load_profile(profile)
    overrides: dict[str, Any] = {"sizes": sizes} if sizes else {}
    kk = int(k) if k is not None else base.sizes.k
    if thresholds is not None:
        overrides["mc"] = {**base.mc, "thresholds": [int(t) for t in thresholds]}
    elif kk != base.sizes.k:  # keep the sweep inside [0, K)
        overrides["mc"] = {**base.mc, "thresholds": [t for t in base.mc["thresholds"] if t < kk] or [0]}
    return load_profile(profile, **overrides) if overrides else base


def knobs_of(params: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``params`` that :func:`make_profile` understands (non-``None`` only)."""
    return {k: v for k, v in params.items() if k in (*_KNOBS, "thresholds") and v is not None}


def open_run(profile: str = "cpu", seed: int = 0, run_dir: str = "../runs", *, train: bool = True,
             progress: bool = True, banner: bool = True, **knobs: Any):
    """The cached :class:`~prmlib.lessons.LessonRun` of a profile, seed and knobs.

    ``train=True`` trains and scores every PRM not yet in the store (a no-op when ``prmlib run``
    or another notebook already did). ``banner`` shows one line saying what the run is.
    """
    from prmlib.lessons.experiment import LessonRun

    run = LessonRun(make_profile(profile, **knobs), seed=seed, run_dir=run_dir, progress=progress)
    if train:
        try:
            run.train_all()
        except Exception as exc:  # a model, the GPU or the data missing: say so instead of a library's traceback
            from prmlib.lessons.preflight import PreflightError, problems

            found = problems(run.profile)
            if found:
                raise PreflightError(f"profile {run.profile.name!r} could not prepare its chain here ({exc!r}); "
                                     "likely because:\n" + "\n".join(f"  - {f}" for f in found)) from exc
            raise
    if banner:
        note(run_banner(run, knobs))
    return run


def run_banner(run, knobs: Mapping[str, Any] | None = None) -> str:
    """One Markdown line: profile, seed, sizes, store; a warning for profiles whose numbers mean nothing."""
    s = run.profile.sizes
    changed = ", ".join(f"{k}={v}" for k, v in (knobs or {}).items() if v is not None)
    text = (f"**Run**: profile `{run.profile.name}` ({run.profile.description}), seed {run.seed}; "
            f"levels {', '.join(map(str, s.levels))}; {s.train_problems_per_level} training problems per level, "
            f"K = {s.k} MC completions per step, Best-of-{s.n}"
            + (f"; changed here: {changed}" if changed else "") + f". Store: `{run.root}`.")
    if not meaningful(run.profile):
        text += (" **This profile only proves that the chain runs: its numbers mean nothing.**")
    return text


# -- tables --------------------------------------------------------------------------------------
class Table:
    """A formatted table with HTML and Markdown forms (Jupyter shows the HTML)."""

    def __init__(self, cells: pd.DataFrame, caption: str | None = None, index: bool = True) -> None:
        self.cells, self.caption, self.index = cells, caption, index

    def _repr_html_(self) -> str:
        return html_table(self.cells, self.caption, self.index)

    def _repr_markdown_(self) -> str:
        return markdown_table(self.cells, self.caption, self.index)

    def __repr__(self) -> str:
        return (self.caption + "\n" if self.caption else "") + self.cells.to_string(index=self.index)


def _cell(value: Any, digits: int, fmt: str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, (int,)) or type(value).__name__.startswith("int"):
        return str(value) if fmt is None else fmt.format(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        if math.isnan(float(value)):
            return "–"
        if fmt is not None:
            return fmt.format(value)
        x = float(value)
        return str(int(x)) if x.is_integer() and digits == 0 else f"{x:.{digits}f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v, digits, fmt) for v in value)
    text = str(value)
    return LABELS.get(text, text)


def format_table(df: pd.DataFrame, digits: int = 1, formats: Mapping[str, str] | None = None,
                 drop: Iterable[str] = ("name",), labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` as strings: floats to ``digits`` decimals (``formats``: column -> format
    string, e.g. ``"{:.2f}"``), booleans as yes/no, NaN as a dash, raw names replaced by words
    (:data:`LABELS` and ``labels``), helper columns (``drop``) removed."""
    words = {**LABELS, **(labels or {})}
    formats = dict(formats or {})
    out = df.drop(columns=[c for c in drop if c in df.columns])
    if isinstance(out, pd.Series):
        out = out.to_frame()
    cells = pd.DataFrame({
        words.get(str(c), str(c)): [_cell(v, digits, formats.get(c)) for v in out[c]]
        for c in out.columns}, index=[words.get(str(i), _cell(i, digits, None)) for i in out.index])
    if out.index.name:
        cells.index.name = words.get(str(out.index.name), out.index.name)
    elif isinstance(out.index, pd.RangeIndex):
        cells.index.name = "#"
    return cells


def table(df: pd.DataFrame, caption: str | None = None, *, digits: int = 1, formats: Mapping[str, str] | None = None,
          drop: Iterable[str] = ("name",), labels: Mapping[str, str] | None = None, index: bool = True) -> Table:
    """The :class:`Table` :func:`show` displays (see :func:`format_table` for the options)."""
    return Table(format_table(df, digits, formats, drop, labels), caption, index)


def show(df: pd.DataFrame | Skipped, caption: str | None = None, **options: Any) -> None:
    """Display a table formatted for reading (one decimal by default, see :func:`format_table`);
    without ``caption``, the table's own ``attrs["caption"]`` if it has one."""
    if isinstance(df, Skipped):
        skipped(df)
        return
    if isinstance(df, pd.Series):
        df = df.to_frame()
    caption = caption if caption is not None else df.attrs.get("caption")
    if df.empty:
        note(f"*{caption or 'This table'}: nothing to show in this run.*")
        return
    _display(table(df, caption, **options))


_NUMBER = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?%?$")


def _is_number(text: str) -> bool:
    return text == "–" or bool(_NUMBER.match(text))


def html_table(cells: pd.DataFrame, caption: str | None = None, index: bool = True) -> str:
    """An HTML table of string cells: the index name in the corner, numbers right-aligned, text left."""
    esc = html.escape
    numeric = {c: all(_is_number(str(v)) for v in cells[c]) for c in cells.columns}
    left, right = 'style="text-align:left"', 'style="text-align:right"'
    head = ([f"<th {left}>{esc(str(cells.index.name or ''))}</th>"] if index else []) + [
        f"<th {right if numeric[c] else left}>{esc(str(c))}</th>" for c in cells.columns]
    rows = []
    for i, row in cells.iterrows():
        tds = ([f"<th {left}>{esc(str(i))}</th>"] if index else []) + [
            f"<td {right if numeric[c] else left}>{esc(str(v))}</td>" for c, v in row.items()]
        rows.append("<tr>" + "".join(tds) + "</tr>")
    cap = f"<p class=\"prm-caption\"><b>{esc(caption)}</b></p>\n" if caption else ""
    return (cap + "<table class=\"prm-table\"><thead><tr>" + "".join(head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def markdown_table(cells: pd.DataFrame, caption: str | None = None, index: bool = True) -> str:
    """A pipe table of string cells (``|`` escaped, line breaks turned into spaces)."""
    def esc(x: Any) -> str:
        return " ".join(str(x).split()).replace("|", "\\|")

    head = ([esc(cells.index.name or "")] if index else []) + [esc(c) for c in cells.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for i, row in cells.iterrows():
        values = ([esc(i)] if index else []) + [esc(v) for v in row.tolist()]
        lines.append("| " + " | ".join(values) + " |")
    text = "\n".join(lines)
    return (f"**{caption}**\n\n" if caption else "") + text + "\n"


# -- figures -------------------------------------------------------------------------------------
def figure_png(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def show_figure(obj, alt: str | None = None) -> None:
    """Display a matplotlib Figure or Axes as one PNG and close it (no second copy at cell end)."""
    if isinstance(obj, Skipped):
        skipped(obj)
        return
    fig = obj.get_figure() if hasattr(obj, "get_figure") and not hasattr(obj, "savefig") else obj
    while hasattr(fig, "get_figure") and not hasattr(fig, "savefig"):
        fig = fig.get_figure()
    data = figure_png(fig)
    import matplotlib.pyplot as plt

    plt.close(fig)  # a no-op for a Figure built without pyplot
    from IPython.display import Image

    title = " ".join((alt or _figure_title(fig) or "").split())  # one line: a Markdown image's alt text
    _display(Image(data=data, format="png", metadata={"alt": title} if title else None))


def _figure_title(fig) -> str | None:
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    for ax in fig.get_axes():
        if ax.get_title():
            return ax.get_title()
    return None


def error_extent(values, low, high):
    """Matplotlib's ``xerr`` / ``yerr`` for values with an interval ``[low, high]``: a 2 x n array of
    distances below and above, never negative (the values are rounded, the bounds are not)."""
    import numpy as np

    values, low, high = (np.asarray(a, dtype=float) for a in (values, low, high))
    return np.clip(np.vstack([values - low, high - values]), 0, None)


def compare_bars(t: pd.DataFrame, ours: str, paper: str | None = None, ylabel: str = "", title: str = "",
                 ours_label: str = "ours", paper_label: str = "paper", xlabel: str = "", ax=None,
                 interval: pd.DataFrame | None = None):
    """Grouped bars: our column beside the paper's, one group per row of ``t``. Returns the Axes.

    ``interval``: optional error bars on our bars, a frame of two columns (low, high), indexed by
    the values of ``t``'s ``name`` column (a lesson table's PRM names; ``t``'s index when it has no
    such column), e.g. ``noise.intervals(run, t["name"])[["F1 low", "F1 high"]]``. Rows it lacks get
    no bar. With error bars, our values are written inside the bars (above the error bar when a
    bar is too short to hold them)."""
    import matplotlib.pyplot as plt
    import numpy as np

    ax = ax or plt.subplots(figsize=(max(5.5, 1.35 * len(t) + 2), 3.8))[1]
    x = np.arange(len(t))
    two = paper is not None and paper in t.columns and t[paper].notna().any()
    w = 0.38 if two else 0.6
    values = t[ours].astype(float).to_numpy()
    yerr = None
    if interval is not None:
        if interval.shape[1] != 2:
            raise ValueError(f"interval needs two columns (low, high), got {list(interval.columns)}")
        keys = t["name"] if "name" in t.columns else t.index
        yerr = error_extent(values, *(interval.iloc[:, i].reindex(keys) for i in (0, 1)))
    bars = ax.bar(x - (w / 2 if two else 0), values, w, label=ours_label, color="tab:blue", yerr=yerr,
                  error_kw={"ecolor": "0.25", "elinewidth": 1, "capsize": 3})
    if yerr is None:
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    if two:
        pb = ax.bar(x + w / 2, t[paper].astype(float), w, label=paper_label, color="tab:gray", alpha=0.7)
        ax.bar_label(pb, fmt="%.1f", fontsize=7, padding=1)
    ax.set_xticks(x, [_wrap(str(i)) for i in t.index], fontsize=8)
    ax.set_ylabel(ylabel or ours)
    if xlabel:
        ax.set_xlabel(xlabel)
    top = float(np.nanmax(np.r_[values, t[paper].astype(float).to_numpy() if two else [],
                                (values + yerr[1]) if yerr is not None else []]))
    ax.set_ylim(0, max(10.0, top * 1.15))
    if yerr is not None:  # inside the bar, or above its error bar when the bar is too short to hold it
        for xi, v, up in zip(x - (w / 2 if two else 0), values, values + yerr[1]):
            if np.isnan(v):
                continue
            inside = v >= 0.12 * ax.get_ylim()[1]
            ax.text(xi, v / 2 if inside else np.nan_to_num(up, nan=v) + 0.01 * ax.get_ylim()[1], f"{v:.1f}",
                    ha="center", va="center" if inside else "bottom", fontsize=7,
                    color="white" if inside else "black")
    if two:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    return ax


def bon_column(t: pd.DataFrame) -> str:
    """The Best-of-N column of a lesson table (its name carries N and the aggregation: ``BoN@8 (product)``)."""
    return next(str(c) for c in t.columns if str(c).startswith("BoN@"))


def scatter(t: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, title: str, ax=None, label_points: bool = True,
            highlight: str | None = None, interval: pd.DataFrame | None = None):
    """One labelled point per row of ``t`` (labels placed so that they do not overlap one another);
    the row named ``highlight`` is drawn in another colour. Returns the Axes.

    ``interval``: optional error bars, a frame of four columns (x low, x high, y low, y high),
    indexed like :func:`compare_bars`' (by ``t``'s ``name`` column, else its index), e.g.
    ``noise.intervals(run, t["name"])[["BoN low", "BoN high", "F1 low", "F1 high"]]``. Rows it
    lacks get no bar."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6.8, 4.4))[1]
    xs, ys = t[x].astype(float), t[y].astype(float)
    colors = ["tab:orange" if highlight is not None and str(n) == highlight else "tab:blue" for n in t.index]
    ax.scatter(xs, ys, s=36, c=colors, zorder=3)
    if interval is not None:
        if interval.shape[1] != 4:
            raise ValueError(f"interval needs four columns (x low, x high, y low, y high), got {list(interval.columns)}")
        keys = t["name"] if "name" in t.columns else t.index
        lo_hi = [interval.iloc[:, i].reindex(keys).to_numpy(dtype=float) for i in range(4)]
        ax.errorbar(xs, ys, xerr=error_extent(xs, *lo_hi[:2]), yerr=error_extent(ys, *lo_hi[2:]), fmt="none",
                    ecolor="0.6", elinewidth=1, capsize=2, zorder=1)
    ax.margins(0.12)
    if label_points:
        _place_labels(ax, [_wrap(str(n), 28) for n in t.index], list(xs), list(ys))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def _place_labels(ax, labels: list[str], xs: list[float], ys: list[float], fontsize: int = 7) -> None:
    """Annotate each point with its label at the one of eight offsets whose box overlaps the labels
    placed so far and the points least (greedy, in display pixels; no extra dependency)."""
    import math

    fig = ax.figure
    fig.canvas.draw()  # fixes the limits, so data -> pixels is final
    dpi_scale = fig.dpi / 72.0
    char_w, line_h = 0.55 * fontsize * dpi_scale, 1.25 * fontsize * dpi_scale
    pts = [tuple(ax.transData.transform((a, b))) for a, b in zip(xs, ys) if math.isfinite(a) and math.isfinite(b)]
    placed: list[tuple[float, float, float, float]] = []
    offsets = [(5, 3), (5, -11), (-5, 3), (-5, -11), (5, 12), (-5, 12), (5, -20), (-5, -20)]
    for label, a, b in zip(labels, xs, ys):
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        lines = label.split("\n")
        size = (char_w * max(len(line) for line in lines), line_h * len(lines))
        point = tuple(ax.transData.transform((a, b)))
        boxes = {off: _label_box(point, size, off, dpi_scale) for off in offsets}
        best = min(offsets, key=lambda off: _overlap_cost(boxes[off], placed, pts))
        placed.append(boxes[best])
        ax.annotate(label, (a, b), fontsize=fontsize, xytext=best, textcoords="offset points",
                    ha="left" if best[0] > 0 else "right", va="bottom")


def _label_box(point, size, off, scale) -> tuple[float, float, float, float]:
    """Pixel box (x0, y0, x1, y1) of a label of ``size`` placed at offset ``off`` (points) from ``point``."""
    (px, py), (w, h) = point, size
    dx, dy = off[0] * scale, off[1] * scale
    x0 = px + dx if off[0] > 0 else px + dx - w
    return (x0, py + dy, x0 + w, py + dy + h)


def _overlap_cost(box, placed, points) -> float:
    """Area shared with the labels placed so far, plus a large cost per data point the box covers."""
    over = sum(max(0.0, min(box[2], o[2]) - max(box[0], o[0])) * max(0.0, min(box[3], o[3]) - max(box[1], o[1]))
               for o in placed)
    hits = sum(1 for (qx, qy) in points if box[0] - 3 <= qx <= box[2] + 3 and box[1] - 3 <= qy <= box[3] + 3)
    return over + 400.0 * hits


def _wrap(text: str, width: int = 16) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# -- prose ---------------------------------------------------------------------------------------
def note(text: str) -> None:
    """Display one Markdown paragraph."""
    from IPython.display import Markdown

    _display(Markdown(text))


def skipped(what: Skipped | str) -> None:
    reason = what.reason if isinstance(what, Skipped) else str(what)
    text = f"*Skipped:* {reason}"
    _display({"text/markdown": text, "text/plain": text, SKIPPED_MIME: {"reason": reason}}, raw=True)


def conclusion_markdown(claims: Sequence[Any], numbers_mean_something: bool = True) -> str:
    """The conclusion of a notebook from its claims: one paragraph per claim, computed verdict first."""
    parts = []
    for c in claims:
        verdict = "**Holds here.**" if c.holds else "**Does not hold here.**"
        parts.append(f"{verdict} {c.claim[:1].upper()}{c.claim[1:]} (`{c.id}`). "
                     f"Ours: {c.ours}. Paper: {c.paper}.")
    if not numbers_mean_something:
        parts.append("*This profile only proves that the chain runs: these verdicts mean nothing.*")
    return "\n\n".join(parts)


def meaningful(profile) -> bool:
    """False for profiles whose numbers only prove that the code runs (``smoke``, ``cpu-vllm``)."""
    return bool(profile.meaningful and profile.name != "smoke")


def conclusion(claims: Sequence[Any], run=None, empty: str = "*Nothing was checked here.*") -> None:
    """Display the verdicts of ``claims`` (:class:`~prmlib.lessons.common.Claim`) and attach them
    as JSON for the report; ``empty`` (Markdown) is shown when there are none."""
    text = conclusion_markdown(claims, True if run is None else meaningful(run.profile)) if claims else empty
    payload = [{"id": c.id, "lesson": c.lesson, "claim": c.claim, "paper": c.paper, "ours": c.ours,
                "holds": bool(c.holds)} for c in claims]
    _display({"text/markdown": text, "text/plain": text, CLAIMS_MIME: payload}, raw=True)


def _display(obj: Any, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)
