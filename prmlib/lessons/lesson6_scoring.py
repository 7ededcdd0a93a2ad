"""Lesson 6: how step scores become a solution score. For MC-trained PRMs the last step's score alone
works best in Best-of-N (it is a value estimate of the whole solution); for human- or judge-trained
PRMs min or product is as good or better (Figure 9, Table 13).
"""

from __future__ import annotations

import pandas as pd

from prmlib.lessons.common import Claim, paper, r1

_F9 = "lessons_fig9_scoring_strategy"
NAMES = ["mc_hard", "mc_soft", "judge", "exact", "prm800k_like"]
PAPER_ROWS = {"mc_hard": "MC hard labels (860k)", "mc_soft": "MC soft labels (3M)", "judge": "LLM-as-a-judge (860k)",
              "exact": "Human annotation PRM800K (264k)", "prm800k_like": "Human annotation PRM800K (264k)"}
AGGS = ("min", "product", "last", "mean")


def table(run) -> pd.DataFrame:
    from prmlib.lessons.experiment import prm_title

    rows = []
    for n in NAMES:
        if n not in run.prm_names():
            continue
        m = run.metrics(n)["bon"]
        row = {"PRM": prm_title(n, run.profile.sizes.k), **{a: m[a] for a in AGGS}}
        row.update({f"paper {a}": paper(_F9, PAPER_ROWS[n], a) for a in ("min", "product", "last")})
        row["paper row"] = f"Figure 9: {PAPER_ROWS[n]}"
        row["maj"] = m["maj"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("PRM")


def claims(run) -> list[Claim]:
    b = {"mc_hard": run.metrics("mc_hard")["bon"], "exact": run.metrics(run.human)["bon"],
         "judge": run.metrics("judge")["bon"]}
    mc_ok = b["mc_hard"]["last"] >= b["mc_hard"]["product"] and b["mc_hard"]["last"] >= b["mc_hard"]["min"]
    others_ok = all(max(b[n]["min"], b[n]["product"]) >= b[n]["last"] for n in ("exact", "judge"))
    titles = {"mc_hard": "MC hard", "exact": "exact" if run.human == "exact" else "PRM800K-like", "judge": "judge"}
    fmt = "; ".join(f"{titles[n]}: last {r1(b[n]['last'])}, product {r1(b[n]['product'])}, min {r1(b[n]['min'])}"
                    for n in b)
    return [Claim("C10_scoring", 6, "MC PRM: last >= product and min; exact and judge PRMs: max(min, product) >= last",
                  "MC hard: last 66.7 > product 65.9 > min 64.1; PRM800K: min 65.6 > last 64.7", fmt,
                  mc_ok and others_ok, b)]
