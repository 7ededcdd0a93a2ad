"""The real data sets, as the notebook ``00_data_tour`` shows them.

:class:`DataTour` reads the local copy named by ``$PRMLIB_DATA_DIR`` (see data/README.md). When it is
unset (or not a folder) every method returns a :class:`~prmlib.lessons.display.Skipped` note
instead of a table, so the notebook runs everywhere and says why it shows nothing.

* ProcessBench: composition per subset and per generator, where the first error sits, the share
  of right-answer-wrong-process solutions (3.5 / 18.8 / 32.2 / 51.8%), the Table 5 subset
  (7 / 94 / 161 / 259 rows) and what trivial predictors score on it;
* PRM800K: the distribution of the human ratings (+1 / 0 / -1);
* the seven Best-of-N benchmarks of the paper.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from prmlib.lessons.common import Claim, r1
from prmlib.lessons.display import Skipped

SUBSETS = ("gsm8k", "math", "olympiadbench", "omnimath")
SUBSET_TITLES = {"gsm8k": "GSM8K", "math": "MATH", "olympiadbench": "OlympiadBench", "omnimath": "Omni-MATH"}
BENCHMARK_TITLES = {"gsm8k": "GSM8K", "math": "MATH", "minerva_math": "Minerva Math", "gaokao2023en": "GaoKao 2023 En",
                    "olympiadbench": "OlympiadBench", "college_math": "College Math", "mmlu_stem": "MMLU STEM"}
#: Lessons paper, Table 5 (# samples): rows of its subset (right answer, wrong process) per ProcessBench subset
PAPER_EXTRACTED = {"gsm8k": 7, "math": 94, "olympiadbench": 161, "omnimath": 259}


class DataTour:
    """The real data (see the module docstring). ``data_dir`` defaults to ``$PRMLIB_DATA_DIR``."""

    def __init__(self, data_dir: str | os.PathLike | None = None) -> None:
        from prmlib.data.sources import ENV_VAR

        if data_dir:
            os.environ[ENV_VAR] = str(Path(data_dir).expanduser().resolve())
        value = os.environ.get(ENV_VAR, "").strip()
        self.root = Path(value).expanduser() if value else None
        if self.root is None:
            self.reason = f"no local data (${ENV_VAR} is not set; see data/README.md)."
        elif not self.root.is_dir():
            self.reason = f"no local data (${ENV_VAR}={self.root} is not a folder)."
        else:
            self.reason = ""

    @property
    def available(self) -> bool:
        return not self.reason

    def status(self) -> str:
        """One Markdown line: where the data is read from, or why nothing is shown."""
        if self.available:
            return f"Reading the local copy of the data in `{self.root}`."
        from prmlib.data.sources import ENV_VAR

        return (f"**No data here:** {self.reason} Set ${ENV_VAR} to a local copy of the data (layout in "
                "data/README.md) and run this notebook again; until then every section below is skipped.")

    def _skip(self) -> Skipped | None:
        return None if self.available else Skipped(self.reason)

    # -- ProcessBench --------------------------------------------------------------------------
    @cached_property
    def processbench(self) -> dict[str, list[dict[str, Any]]]:
        """subset -> rows (``prmlib.data.load_processbench``)."""
        from prmlib.data import load_processbench

        return {s: load_processbench(s).to_list() for s in SUBSETS}

    def composition(self) -> pd.DataFrame | Skipped:
        """Per subset: solutions, with an error, all steps right, right final answers, steps."""
        if (skip := self._skip()) is not None:
            return skip
        rows = []
        for s, data in self.processbench.items():
            steps = pd.Series([len(r["steps"]) for r in data])
            rows.append({"subset": SUBSET_TITLES[s], "solutions": len(data),
                         "with an error": sum(r["label"] >= 0 for r in data),
                         "all steps right": sum(r["label"] < 0 for r in data),
                         "right final answer": sum(bool(r["final_answer_correct"]) for r in data),
                         "steps (mean)": steps.mean(), "steps (max)": int(steps.max()),
                         "generators": len({r["generator"] for r in data})})
        return pd.DataFrame(rows).set_index("subset")

    def generators(self) -> pd.DataFrame | Skipped:
        """Solutions per generator (rows) and subset (columns), with the share that has an error."""
        if (skip := self._skip()) is not None:
            return skip
        records = [{"generator": r["generator"], "subset": SUBSET_TITLES[s], "error": r["label"] >= 0}
                   for s, data in self.processbench.items() for r in data]
        df = pd.DataFrame(records)
        t = df.pivot_table(index="generator", columns="subset", values="error", aggfunc="size", fill_value=0)
        t = t[[SUBSET_TITLES[s] for s in SUBSETS if SUBSET_TITLES[s] in t.columns]]
        t["total"] = t.sum(axis=1)
        t["with an error (%)"] = 100.0 * df.groupby("generator")["error"].mean()
        return t.sort_values("total", ascending=False)

    def first_errors(self) -> pd.DataFrame | Skipped:
        """Per subset: where the first error sits (index, 0 = first step; and relative to the length)."""
        if (skip := self._skip()) is not None:
            return skip
        rows = []
        for s, data in self.processbench.items():
            err = [r for r in data if r["label"] >= 0]
            idx = pd.Series([r["label"] for r in err], dtype=float)
            rel = pd.Series([r["label"] / max(len(r["steps"]) - 1, 1) for r in err])
            rows.append({"subset": SUBSET_TITLES[s], "solutions with an error": len(err),
                         "first error at step 0 (%)": 100.0 * float((idx == 0).mean()),
                         "median step of the first error": idx.median(),
                         "first error on the last step (%)": 100.0 * float(
                             sum(r["label"] == len(r["steps"]) - 1 for r in err) / max(len(err), 1)),
                         "mean relative position (0 = first step, 1 = last)": rel.mean()})
        return pd.DataFrame(rows).set_index("subset")

    def first_error_figure(self, max_step: int = 15):
        """Histogram of the first wrong step's index per subset (share of that subset's erroneous solutions)."""
        if (skip := self._skip()) is not None:
            return skip
        import matplotlib.pyplot as plt
        import numpy as np

        ax = plt.subplots(figsize=(7.2, 3.8))[1]
        bins = np.arange(max_step + 2)
        width = 0.8 / len(SUBSETS)
        for j, (s, data) in enumerate(self.processbench.items()):
            idx = np.clip([r["label"] for r in data if r["label"] >= 0], 0, max_step)
            counts = np.bincount(idx, minlength=len(bins) - 1)[: len(bins) - 1]
            ax.bar(bins[:-1] + (j - 1.5) * width, 100.0 * counts / max(counts.sum(), 1), width, label=SUBSET_TITLES[s])
        ax.set_xticks(bins[:-1], [str(b) if b < max_step else f"{max_step}+" for b in bins[:-1]])
        ax.set_xlabel("index of the first wrong step (0 = the first step)")
        ax.set_ylabel("solutions with an error (%)")
        ax.set_title("ProcessBench: where the first error sits")
        ax.legend(title="subset")
        return ax

    def wrong_process(self) -> pd.DataFrame | Skipped:
        """Per subset: right final answers, how many contain a wrong step, and the share (%) beside the
        ProcessBench paper's Table 2 and the Lessons paper's Figure 6 (its policy's own responses)."""
        if (skip := self._skip()) is not None:
            return skip
        from prmlib.eval.analysis import correct_answer_wrong_process_rate

        t = correct_answer_wrong_process_rate(self.processbench).rename(columns={
            "correct_answer": "right final answers", "wrong_process": "with a wrong step", "share": "share (%)"})
        t["ProcessBench paper, Table 2 (%)"] = [paper_wrong_process_share(s) for s in SUBSETS]
        fig6 = fig6_shares()
        t["Lessons paper, Figure 6 (%), another policy"] = [fig6.get(SUBSET_TITLES[s], float("nan")) for s in SUBSETS]
        return t

    def extracted(self) -> pd.DataFrame | Skipped:
        """The Table 5 subset (right answer, wrong step): rows per subset against the paper's, and the
        accuracy (%) of trivial predictors on it (an outcome-only judge scores 0 by construction)."""
        if (skip := self._skip()) is not None:
            return skip
        from prmlib.eval.analysis import extracted_baselines, extracted_counts
        from prmlib.lessons.display import LABELS

        counts = extracted_counts(self.processbench)
        base = extracted_baselines(self.processbench)
        t = pd.DataFrame({"rows (ours)": [counts[s] for s in SUBSETS] + [sum(counts.values())],
                          "rows (paper, Table 5)": [PAPER_EXTRACTED[s] for s in SUBSETS]
                          + [sum(PAPER_EXTRACTED.values())]},
                         index=[SUBSET_TITLES[s] for s in SUBSETS] + ["all (accuracy: Avg.)"])
        for name, row in base.iterrows():
            t[f"accuracy (%): {LABELS.get(name, name)}"] = [row[SUBSET_TITLES[s]] for s in SUBSETS] + [row["Avg."]]
        t.index.name = "subset"
        return t

    # -- PRM800K -------------------------------------------------------------------------------
    def prm800k_ratings(self, split: str = "phase1_test") -> pd.DataFrame | Skipped:
        """Human ratings of PRM800K steps: the chosen path of each labelling episode and the rated
        alternatives (their last step), counts and shares. The paper's PRM800K baseline treats +1 and 0
        as correct and -1 as wrong."""
        if (skip := self._skip()) is not None:
            return skip
        from prmlib.data import load_prm800k

        ds = load_prm800k(split)
        ratings, alt = ds["ratings"], ds["is_alternative"]
        chosen = Counter(r for rs, a in zip(ratings, alt) if not a for r in rs)
        last = Counter(rs[-1] for rs, a in zip(ratings, alt) if a and rs)
        rows = []
        for what, c in ((f"steps on the chosen paths ({split})", chosen),
                        (f"last step of each rated alternative ({split})", last)):
            total = sum(c.values())
            rows.append({"": what, "+1 (good)": c.get(1, 0), "0 (neutral)": c.get(0, 0), "-1 (bad)": c.get(-1, 0),
                         "human-written (no rating)": c.get(None, 0),
                         "-1 share (%)": 100.0 * c.get(-1, 0) / max(total, 1)})
        return pd.DataFrame(rows).set_index("")

    # -- Best-of-N benchmarks ------------------------------------------------------------------
    def bon_benchmarks(self) -> pd.DataFrame | Skipped:
        """The paper's seven Best-of-N benchmarks: problems, how the gold answer is read, one example."""
        if (skip := self._skip()) is not None:
            return skip
        from prmlib.data.benchmarks import BON_BENCHMARKS, load_bon_benchmark

        rows = []
        for name in BON_BENCHMARKS:
            ds = load_bon_benchmark(name)
            first = ds[0]
            rows.append({"benchmark": BENCHMARK_TITLES.get(name, name), "problems": len(ds),
                         "answer checked by": str(first.get("extraction") or ""),
                         "example gold answer": _clip(first["gold"], 30),
                         "example problem": _clip(first["problem"], 70)})
        return pd.DataFrame(rows).set_index("benchmark")

    # -- the facts the notebook checks ---------------------------------------------------------
    def claims(self) -> list[Claim]:
        """Two facts of the papers about the data, checked on the local copy (empty without data)."""
        if not self.available:
            return []
        from prmlib.eval.analysis import extracted_counts

        t = self.wrong_process()
        ours = [float(t.loc[SUBSET_TITLES[s], "share (%)"]) for s in SUBSETS]
        paper = [paper_wrong_process_share(s) for s in SUBSETS]
        counts = extracted_counts(self.processbench)
        return [
            Claim("D1_wrong_process_share", 0,
                  "among ProcessBench solutions with a right final answer, the share with a wrong step grows "
                  "from GSM8K to Omni-MATH as the ProcessBench paper reports",
                  " / ".join(f"{p}%" for p in paper), " / ".join(f"{r1(x)}%" for x in ours),
                  all(abs(r1(a) - b) < 0.05 for a, b in zip(ours, paper)), {"ours": ours, "paper": paper}),
            Claim("D2_extracted_rows", 0, "the Table 5 subset (right answer, wrong step) has the paper's row counts",
                  " / ".join(str(PAPER_EXTRACTED[s]) for s in SUBSETS), " / ".join(str(counts[s]) for s in SUBSETS),
                  all(counts[s] == PAPER_EXTRACTED[s] for s in SUBSETS), {"ours": counts, "paper": PAPER_EXTRACTED}),
        ]


def paper_wrong_process_share(subset: str) -> float:
    """ProcessBench paper, Table 2: % of process errors among right-final-answer solutions."""
    from prmlib.eval.reference import reference_table

    t = reference_table("processbench_table2_composition")
    row = t[t.iloc[:, 0].astype(str).str.startswith("% process errors")].iloc[0]
    cell = str(row[f"{SUBSET_TITLES[subset]} error"])
    m = re.search(r"=\s*([\d.]+)\s*%", cell)
    if not m:
        raise ValueError(f"cannot read a share from {cell!r}")
    return float(m.group(1))


def fig6_shares() -> dict[str, float]:
    """Lessons paper, Figure 6: right answers with a wrong step among its policy's responses (%)."""
    from prmlib.eval.reference import reference_table

    row = reference_table("lessons_fig6_correct_answer_wrong_process_rate").iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def _clip(text: Any, n: int) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"
