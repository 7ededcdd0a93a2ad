"""Lesson 5: Best-of-N is a biased PRM metric. Policies reach right answers through wrong steps, more
on harder problems (Figure 6); BoN rewards PRMs that miss those steps (Figure 7, Table 5); PRMs tuned
for BoN drift into outcome models, whose lowest step score sits on the last step (Figure 8).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from prmlib.lessons.common import Claim, r1, spearman, synthetic_policy


def _fig6() -> dict[str, float]:
    """The paper's Figure 6, benchmark -> share (%), read from the reference tables."""
    from prmlib.lessons.tour import fig6_shares

    return fig6_shares()


def wrong_process_table(run) -> pd.DataFrame:
    """Per level, among the Best-of-N candidates with a right final answer, the share with a wrong step.

    When the candidates carry no exact labels (real policies), the same share is read from the
    human-labelled test set instead (ProcessBench, whose own share is 3.5% -> 51.8%, ProcessBench
    Table 2; the paper's Figure 6, 5.1% -> 43.4%, counts its policy's responses instead)."""
    bon = run.sets["bon"]
    if not _labelled(bon):
        pairs = ((subset, bool(r["final_answer_correct"]), int(r["label"]))
                 for subset, rows in run.sets["test"].items() for r in rows)
    else:
        pairs = ((rec["benchmark"], bool(ok), int(fe))
                 for rec in bon for ok, fe in zip(rec["answer_correct"], rec["first_errors"]))
    return _share_table(pairs)


def wrong_process_routes(run) -> pd.DataFrame:
    """How the right-answer candidates of :func:`wrong_process_table` got past their wrong step.

    Per level (and ``all``): ``right answers with a wrong step``, then each route's share (%) as
    :func:`prmlib.synth.recovery.recovery_route` reads it from the candidate's own steps after its
    first wrong step (a ``Wait, ...`` correction, a distractor, a division that rounds the error
    away, an error that cancels, a second slip). Needs the synthetic world; for real policies it
    returns a :class:`Skipped` note.
    """
    from prmlib.lessons.display import Skipped
    from prmlib.synth.problems import parse_problem
    from prmlib.synth.recovery import recovery_route, route_shares

    bon = run.sets["bon"]
    if synthetic_policy(run) is None or not _labelled(bon):
        return Skipped("needs the synthetic world: its policy's routes to the answer are known by construction")
    per_level: dict[str, Counter] = {}
    for rec in bon:
        problem = parse_problem(rec["problem"])
        for steps, ok, fe in zip(rec["steps"], rec["answer_correct"], rec["first_errors"]):
            if ok and fe >= 0:
                c = per_level.setdefault(rec["benchmark"], Counter())
                c["n"] += 1
                c[recovery_route(problem, steps[fe], "\n\n".join(steps[fe + 1:]))] += 1
    per_level["all"] = sum(per_level.values(), Counter())
    return pd.DataFrame([{"level": level, "right answers with a wrong step": c["n"], **route_shares(c, of="n")}
                         for level, c in per_level.items() if c["n"]]).set_index("level")


def _labelled(bon) -> bool:
    """True when every Best-of-N candidate carries its exact first error (the synthetic world)."""
    return bool(bon) and all(fe is not None for rec in bon for fe in rec["first_errors"])


def _share_table(pairs) -> pd.DataFrame:
    """``(level, answer right, first error or -1)`` triples -> per level: right answers, those with a
    wrong step, and the share (%)."""
    rows: dict[str, dict[str, int]] = {}
    for level, right, first_error in pairs:
        d = rows.setdefault(level, {"right answers": 0, "with a wrong step": 0})
        if right:
            d["right answers"] += 1
            d["with a wrong step"] += int(first_error >= 0)
    t = pd.DataFrame(rows).T
    t["share (%)"] = 100.0 * t["with a wrong step"] / t["right answers"].clip(lower=1)
    t.index.name = "level"
    return t


def checker_ceiling_table(run) -> pd.DataFrame:
    """Per level (and overall): how far a perfect step checker gets in Best-of-N.

    Columns: ``problems``; ``with an all-right candidate (%)``: problems where at least one of the
    N candidates has no wrong step; ``all-right candidates with the right answer (%)``; and
    ``perfect step checker BoN (%)``: the accuracy of picking a candidate with no wrong step when
    there is one, else the one whose first wrong step comes latest. When this ceiling sits far
    above majority voting and the MC PRM, BoN separates a PRM that checks steps well from one that
    does not, and the paper's "BoN hides the label source" cannot show. Needs exact step labels on
    the candidates (the synthetic world); for real policies it returns a :class:`Skipped` note.
    """
    from prmlib.lessons.display import Skipped

    cols = ["problems", "with an all-right candidate (%)", "all-right candidates with the right answer (%)",
            "perfect step checker BoN (%)"]
    bon = run.sets["bon"]
    if not _labelled(bon):
        return Skipped("the Best-of-N candidates carry no exact step labels (a real policy): "
                       "a perfect step checker cannot be simulated")
    acc: dict[str, Counter] = {}
    for rec in bon:
        fe, ok = [int(x) for x in rec["first_errors"]], [bool(x) for x in rec["answer_correct"]]
        clean = [o for f, o in zip(fe, ok) if f < 0]
        latest = max(range(len(fe)), key=lambda i: (fe[i] < 0, fe[i]))  # no error first, else the latest
        for level in (rec["benchmark"], "all"):
            c = acc.setdefault(level, Counter())
            c["problems"] += 1
            c["with clean"] += int(bool(clean))
            c["clean"] += len(clean)
            c["clean right"] += sum(clean)
            c["picked right"] += int(ok[latest])
    rows = {lv: [c["problems"], 100.0 * c["with clean"] / c["problems"],
                 100.0 * c["clean right"] / max(c["clean"], 1), 100.0 * c["picked right"] / c["problems"]]
            for lv, c in acc.items()}
    order = [lv for lv in rows if lv != "all"] + ["all"]
    t = pd.DataFrame.from_dict({lv: rows[lv] for lv in order}, orient="index", columns=cols)
    t["problems"] = t["problems"].astype(int)
    t.index.name = "level"
    return t


def bon_by_level_table(run, names=("exact", "judge", "mc_hard")) -> pd.DataFrame:
    """Best-of-N accuracy (%) per level (and ``all``): pass@N, maj@N, the perfect step checker of
    :func:`checker_ceiling_table` (worlds with exact labels only), then each PRM with product
    aggregation. Shows at which difficulty Best-of-N separates the PRMs and where they fall below
    majority voting."""
    from prmlib.lessons.experiment import prm_title

    n = run.profile.sizes.n
    names = [nm for nm in names if nm in run.prm_names()]
    metrics = {nm: run.metrics(nm) for nm in names}
    levels = list(dict.fromkeys(lv for m in metrics.values() for lv in m["bon_levels"]))  # in set order
    cols: dict[str, dict[str, float]] = {f"pass@{n}": {}, f"maj@{n}": {}}
    for nm, m in metrics.items():
        cols[prm_title(nm, run.profile.sizes.k)] = {**{lv: m["bon_levels"].get(lv, {}).get(f"rm@{n} (product)", float("nan"))
                                   for lv in levels}, "all": m["bon"]["product"]}
    measured = [m for m in metrics.values() if not m.get("missing")]  # pass@N, maj@N: the same for every PRM
    if measured:
        m = measured[0]
        for key, agg in ((f"pass@{n}", "pass"), (f"maj@{n}", "maj")):
            cols[key] = {**{lv: m["bon_levels"][lv][key] for lv in levels}, "all": m["bon"][agg]}
    t = pd.DataFrame(cols).reindex([*levels, "all"])
    ceiling = checker_ceiling_table(run)
    if isinstance(ceiling, pd.DataFrame):
        t.insert(2, "perfect step checker", ceiling["perfect step checker BoN (%)"].reindex(t.index))
    t.index.name = "level"
    return t


def bias_table(run, names=("mc_hard", "judge", "exact", "prm800k_like")) -> pd.DataFrame:
    """Per PRM: BoN (product), accuracy on the right-answer-wrong-step test rows, lowest step on the
    last (``name``: the PRM's name in the run, hidden by ``display.show``)."""
    from prmlib.lessons.experiment import prm_title

    rows = []
    for n in [n for n in names if n in run.prm_names()]:
        m = run.metrics(n)
        rows.append({"PRM": prm_title(n, run.profile.sizes.k), "name": n,
                     f"BoN@{run.profile.sizes.n} (product)": m["bon"]["product"],
                     "right answer, wrong step: first error found (%)": m["extracted"]["accuracy"],
                     "rows": m["extracted"]["n"],
                     "lowest step score on the last step (%)": m["lowest_last_share"]})
    return pd.DataFrame(rows).set_index("PRM")


def claims(run) -> list[Claim]:
    w = wrong_process_table(run)["share (%)"]
    levels = list(w.index)  # easiest first (levels in order; ProcessBench subsets in the paper's order)
    shares = [float(w[lv]) for lv in levels]
    rho = spearman(range(len(shares)), shares)
    f6 = _fig6()
    (first, lo), (last_bench, hi) = next(iter(f6.items())), list(f6.items())[-1]
    fig6 = f"{lo}% ({first}) -> {hi}% ({last_bench})"
    if not _labelled(run.sets["bon"]):  # read from ProcessBench's labels: quote its own share too
        from prmlib.lessons.tour import SUBSETS, paper_wrong_process_share

        pb = [paper_wrong_process_share(s) for s in (SUBSETS[0], SUBSETS[-1])]
        fig6 += f"; ProcessBench's labels: {pb[0]}% -> {pb[1]}% (ProcessBench Table 2)"
    m = {"mc_hard": run.metrics("mc_hard"), "exact": run.metrics(run.human), "judge": run.metrics("judge")}
    ext = {n: m[n]["extracted"]["accuracy"] for n in m}
    bon = {n: m[n]["bon"]["product"] for n in m}
    last = {n: m[n]["lowest_last_share"] for n in m}
    return [
        Claim("C7_wrong_process", 5,
              "right answers through wrong steps rise with level: at most 10% at the easiest, at least 30% at the hardest",
              fig6,
              ", ".join(f"{lv}: {r1(s)}%" for lv, s in zip(levels, shares)) + f" (rho {rho:.2f})",
              rho >= 0.9 and shares[0] <= 10 and shares[-1] >= 30, {"shares": dict(zip(levels, shares)), "rho": rho}),
        Claim("C8_bon_inflation", 5,
              "on right-answer-wrong-step rows MC finds the first error less often than exact, while its BoN is within 2 points",
              "MC 22.2 vs human 38.2 extracted accuracy; BoN 65.9 vs 64.9",
              f"extracted {r1(ext['mc_hard'])} vs {r1(ext['exact'])}; BoN {r1(bon['mc_hard'])} vs {r1(bon['exact'])}",
              ext["mc_hard"] < ext["exact"] and abs(bon["mc_hard"] - bon["exact"]) <= 2, {"extracted": ext, "bon": bon}),
        Claim("C9_outcome_shift", 5,
              "the MC PRM puts the lowest step score on the last step more often than the exact and judge PRMs",
              "> 40% for 4 of 11 public PRMs (Figure 8)",
              f"MC {r1(last['mc_hard'])}%, exact {r1(last['exact'])}%, judge {r1(last['judge'])}%",
              last["mc_hard"] > last["exact"] and last["mc_hard"] > last["judge"], last),
    ]


def figure(run, ax=None):
    import matplotlib.pyplot as plt

    w = wrong_process_table(run)
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    import numpy as np

    ax.bar(range(len(w)), w["share (%)"], label="ours")
    # the paper's four benchmarks, easiest to hardest, spread over the same width as our levels
    f6 = _fig6()
    xs = np.linspace(0, len(w) - 1, len(f6)) if len(w) > 1 else np.zeros(len(f6))
    ax.plot(xs, list(f6.values()), "ks--", label="paper Figure 6 (its policy's responses)")
    for x, (bench, share) in zip(xs, f6.items()):  # name each paper point: they are benchmarks, not our levels
        ax.annotate(bench, (x, share), fontsize=7, xytext=(0, 7), textcoords="offset points", ha="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_ylim(0, 1.15 * float(pd.Series([*w["share (%)"].astype(float), *f6.values()]).max()))  # NaN-safe
    ax.set_xticks(range(len(w)), w.index)
    ax.set_xlabel("difficulty level (paper: benchmark, easiest to hardest)")
    ax.set_ylabel("right answers with a wrong step (%)")
    ax.legend(fontsize=8)
    ax.set_title("Lesson 5: right answer, wrong process")
    return ax


def figure_bias(run, ax=None):
    """Figure 7's analogue: Best-of-N accuracy against the share of right-answer-wrong-step test rows
    whose first error the PRM finds, one point per PRM of :func:`bias_table`, with 95% test-set
    intervals on both (:func:`prmlib.lessons.noise.intervals`)."""
    from prmlib.lessons.display import bon_column, scatter
    from prmlib.lessons.noise import intervals

    b = bias_table(run)
    ci = intervals(run, list(b["name"]))
    return scatter(b, bon_column(b), "right answer, wrong step: first error found (%)",
                   xlabel="Best-of-N accuracy (%), product of step scores",
                   ylabel="first error found on right-answer,\nwrong-step rows (%)",
                   title="Figure 7: Best-of-N against finding wrong steps behind right answers\n"
                         "(bars: 95% test-set intervals)", ax=ax,
                   interval=ci[["BoN low", "BoN high", "extracted low", "extracted high"]])


def figure_outcome_shift(run, ax=None):
    """Figure 8's analogue: per PRM of :func:`bias_table`, the share of Best-of-N candidates whose
    lowest step score is on the last step, with its 95% interval over the problems (a problem's
    candidates are resampled together, :func:`prmlib.lessons.noise.intervals`)."""
    from prmlib.lessons.display import compare_bars
    from prmlib.lessons.noise import intervals

    b = bias_table(run)
    ci = intervals(run, list(b["name"]))
    return compare_bars(b, "lowest step score on the last step (%)", ylabel="candidates (%)",
                        xlabel="PRM (training labels)", ours_label="lowest step score on the last step",
                        title="Figure 8: lowest step score on the last step\n(bars: 95% intervals over problems)",
                        ax=ax, interval=ci[["last low", "last high"]])
