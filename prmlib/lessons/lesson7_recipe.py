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
    """Every PRM of the run on both evaluations, with the paper's numbers where it has a matching PRM:
    the MC and consensus rows from Figures 3-4 (3M before / 1.5M after filtering), the judge and
    human rows from Tables 3-4 (860k / 264k)."""
    from prmlib.lessons import lesson2_annotation as l2
    from prmlib.lessons import lesson4_labels as l4

    names = [n for n in NAMES + ABLATION if n in run.prm_names()]
    f1, bon, rows = l2.paper_numbers([n for n in names if n not in l4.NAMES])
    f1_4, bon_4, rows_4 = l4.paper_numbers(names)
    return prm_table(run, names, {**f1, **f1_4}, {**bon, **bon_4}, paper_rows={**rows, **rows_4})


def fit_note(run) -> str:
    """How well this profile's PRM learns labels that are right by construction (the exact labels),
    beside the bar its recipe was chosen against, and the windowed ablation on the same labels: the
    scale against which differences between label sources can be read. Markdown."""
    if "exact" not in run.prm_names():
        return ("*No exact-label PRM in this world (real policies): the human row is PRM800K, so how well "
                "the PRM learns clean labels is not measured here.*")
    exact = run.metrics("exact")["processbench"]["avg_f1"]
    text = (f"How well this run's PRM learns clean labels: trained on the exact labels (right by construction) "
            f"it reaches ProcessBench-style F1 **{r1(exact)}**; the recipe was chosen against a bar of 80 "
            f"(docs/synthetic_surface.md).")
    if "exact_windowed" in run.prm_names():
        win = run.metrics("exact_windowed")["processbench"]["avg_f1"]
        text += (f" The windowed ablation (two layers of 32-token sliding attention over rows without the problem) reaches "
                 f"**{r1(win)}** on the same labels.")
    if exact < 80:
        text += (" Below the bar, the F1 differences between label sources mix what the labels carry with what "
                 "this PRM fails to learn from any labels: read small differences with that in mind.")
    return text


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


def figure(run, ax=None):
    """Every PRM of :func:`table` on both evaluations, the recipe (consensus + hard) highlighted,
    with 95% test-set intervals on both (:func:`prmlib.lessons.noise.intervals`)."""
    from prmlib.lessons.display import bon_column, scatter
    from prmlib.lessons.experiment import prm_title
    from prmlib.lessons.noise import intervals

    t = table(run)
    ci = intervals(run, list(t["name"]))
    return scatter(t, bon_column(t), "ProcessBench F1", xlabel="Best-of-N accuracy (%), product of step scores",
                   ylabel="ProcessBench-style F1 (%)",
                   title="The recipe on both evaluations (bars: 95% test-set intervals)", ax=ax,
                   highlight=prm_title("consensus_hard"),
                   interval=ci[["BoN low", "BoN high", "F1 low", "F1 high"]])
