"""Lesson 2: annotation methods compared. With the same base model, MC-trained PRMs do as well on
Best-of-N, but on ProcessBench the order is human > judge > MC (paper Tables 3 and 4).

Rows: MC hard labels, LLM-as-a-judge, exact labels (the ideal annotator) and exact labels on another
policy's solutions at one third of the size (PRM800K-like: the paper's human data is 264k labels of
another model's solutions against 860k on-policy MC labels, so its Tables 3-4 mix label source with
size and distribution; here the two "human" rows separate them).
"""

from __future__ import annotations

import pandas as pd

from prmlib.lessons.common import Claim, paper, prm_table, r1

NAMES = ["mc_hard", "judge", "exact", "prm800k_like"]
_T4, _T3 = "lessons_table4_processbench_by_annotation_method", "lessons_table3_bon_by_annotation_method"
PAPER_ROWS = {"mc_hard": "MC Estimation (our data)", "judge": "LLM-as-a-judge (our data)",
              "exact": "Human Annotation (PRM800K)", "prm800k_like": "Human Annotation (PRM800K)"}


def table(run) -> pd.DataFrame:
    names = [n for n in NAMES if n in run.prm_names()]
    f1, bon, rows = paper_numbers(names)
    return prm_table(run, names, f1, bon, paper_rows=rows)


def paper_numbers(names) -> tuple[dict, dict, dict]:
    """The paper's F1, Best-of-8 and row (with its data size) of each PRM in ``names`` that Tables 3-4 have."""
    names = [n for n in names if n in PAPER_ROWS]
    return ({n: paper(_T4, PAPER_ROWS[n], "Avg. F1") for n in names},
            {n: paper(_T3, PAPER_ROWS[n], "Avg.") for n in names},
            {n: _row_with_size(PAPER_ROWS[n]) for n in names})


def _row_with_size(row: str) -> str:
    """``"MC Estimation (our data)"`` -> ``"Tables 3-4: MC Estimation (our data), 860k"``."""
    from prmlib.eval.reference import reference_table

    t = reference_table(_T4)
    size = t[t.iloc[:, 0] == row]["# samples"].iloc[0]
    return f"Tables 3-4: {row}, {size}"


def claims(run) -> list[Claim]:
    names = {n: run.own_name(n) for n in ("exact", "judge", "mc_hard")}  # the human row: exact, or PRM800K
    f1 = {k: run.metrics(n)["processbench"]["avg_f1"] for k, n in names.items()}
    bon = {k: run.metrics(n)["bon"]["product"] for k, n in names.items()}
    f1_spread, bon_spread = max(f1.values()) - min(f1.values()), max(bon.values()) - min(bon.values())
    p = {n: paper(_T4, PAPER_ROWS[n], "Avg. F1") for n in ("exact", "judge", "mc_hard")}
    pb = {n: paper(_T3, PAPER_ROWS[n], "Avg.") for n in ("exact", "judge", "mc_hard")}
    return [
        Claim("C2_processbench_order", 2, "ProcessBench F1: exact (human) > judge > MC",
              f"{p['exact']} > {p['judge']} > {p['mc_hard']}",
              f"{r1(f1['exact'])} / {r1(f1['judge'])} / {r1(f1['mc_hard'])}",
              f1["exact"] > f1["judge"] > f1["mc_hard"], f1),
        Claim("C3_evaluations_disagree", 2,
              "BoN spread (product) across MC / judge / exact is less than half the ProcessBench F1 spread",
              f"{r1(max(pb.values()) - min(pb.values()))} vs {r1(max(p.values()) - min(p.values()))} points",
              f"{r1(bon_spread)} vs {r1(f1_spread)} points", bon_spread < 0.5 * f1_spread,
              {"bon": bon, "f1": f1, "bon_spread": bon_spread, "f1_spread": f1_spread}),
    ]


def figure(run, ax=None):
    """ProcessBench F1 against BoN accuracy, one point per PRM, with 95% bootstrap intervals over the
    test rows and Best-of-N problems as error bars (:func:`prmlib.lessons.noise.intervals`)."""
    from prmlib.lessons.display import scatter
    from prmlib.lessons.noise import intervals

    t = table(run)
    bon_col = next(c for c in t.columns if c.startswith("BoN@"))
    ci = intervals(run, list(t["name"]))
    return scatter(t, bon_col, "ProcessBench F1", xlabel=f"{bon_col} accuracy (%)", ylabel="ProcessBench-style F1 (%)",
                   title="Lesson 2: the two evaluations, one point per PRM (bars: 95% test-set intervals)", ax=ax,
                   interval=ci[["BoN low", "BoN high", "F1 low", "F1 high"]])
