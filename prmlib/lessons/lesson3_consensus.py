"""Lesson 3: consensus filtering keeps a training solution only when MC and the judge agree on its
first error; with ~40% of the data it matches the judge-trained PRM and beats MC alone (Figure 2).
"""

from __future__ import annotations

import pandas as pd

from prmlib.lessons.common import Claim, paper, prm_table, r1

_F2 = "lessons_fig2_consensus_filtering"
PAPER_ROWS = {"mc_hard": "MC estimation (860k)", "judge": "LLM-as-a-judge (860k)",
              "consensus_hard": "Consensus Filtering (350k)"}
NAMES = ["mc_hard", "judge", "consensus_hard"]


def table(run) -> pd.DataFrame:
    return prm_table(run, NAMES, {n: paper(_F2, r, "ProcessBench mean F1") for n, r in PAPER_ROWS.items()},
                     {n: paper(_F2, r, "Best-of-8 mean acc") for n, r in PAPER_ROWS.items()},
                     paper_rows={n: f"Figure 2: {r}" for n, r in PAPER_ROWS.items()})


def filter_summary(run) -> pd.DataFrame:
    """Why solutions were dropped (counts and shares)."""
    s = pd.Series(run.consensus().reasons).value_counts()
    return pd.DataFrame({"solutions": s, "share (%)": 100.0 * s / s.sum()})


def kept_share(run) -> float:
    keep = run.consensus().keep
    return 100.0 * sum(keep) / len(keep)


def claims(run) -> list[Claim]:
    f1 = {n: run.metrics(n)["processbench"]["avg_f1"] for n in NAMES}
    kept = kept_share(run)
    holds = f1["consensus_hard"] > f1["mc_hard"] and kept <= 70 and f1["consensus_hard"] >= f1["judge"] - 3
    return [Claim("C4_consensus", 3,
                  "consensus-filtered PRM: F1 above MC's with at most 70% of the solutions, and at least judge's F1 - 3",
                  "46.3 vs MC 40.1 and judge 46.5, 40% of the data",
                  f"{r1(f1['consensus_hard'])} vs MC {r1(f1['mc_hard'])} and judge {r1(f1['judge'])}, {r1(kept)}% kept",
                  holds, {**f1, "kept_share": kept})]
