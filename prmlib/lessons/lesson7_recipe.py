"""Lesson 7: the recipe. MC expansion + hard labels (threshold 0) + consensus filtering, against the
alternatives on both evaluations (the released Qwen2.5-Math-PRMs: Tables 6-7). The windowed rows are
an ablation: a PRM that cannot see the whole solution.
"""

from __future__ import annotations

import pandas as pd

from prmlib.lessons.common import Claim, prm_table, r1

NAMES = ["consensus_hard", "consensus_soft", "mc_hard", "mc_soft", "judge", "exact", "prm800k_like"]
ABLATION = ["exact_windowed", "mc_hard_windowed"]


def table(run) -> pd.DataFrame:
    return prm_table(run, [n for n in NAMES + ABLATION if n in run.prm_names()])


def claims(run) -> list[Claim]:
    m = {n: run.metrics(n) for n in ("consensus_hard", "mc_hard", "mc_soft", "judge")}
    m["exact"] = run.metrics(run.human)
    f1 = {n: v["processbench"]["avg_f1"] for n, v in m.items()}
    bon = {n: v["bon"]["product"] for n, v in m.items()}
    best_bon = max(bon[n] for n in ("mc_hard", "judge", "exact"))
    holds = f1["consensus_hard"] > f1["mc_hard"] and f1["consensus_hard"] > f1["mc_soft"] \
        and bon["consensus_hard"] >= best_bon - 1
    return [Claim("C11_recipe", 7,
                  "consensus + hard (threshold 0) beats MC hard and MC soft on F1, and its BoN is at most 1 point below the best of MC / judge / exact",
                  "66.5 F1 vs 40.2 / 40.2 (Figure 4); BoN 67.2 (Figure 3) vs 65.9 best alternative (Table 3)",
                  f"F1 {r1(f1['consensus_hard'])} vs {r1(f1['mc_hard'])} / {r1(f1['mc_soft'])}; "
                  f"BoN {r1(bon['consensus_hard'])} vs best {r1(best_bon)}", holds, {"f1": f1, "bon": bon})]
