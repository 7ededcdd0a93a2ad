"""Lesson 4: hard labels beat soft labels once the data is clean (Figures 3-4; before filtering the
two are the same), and the best hard threshold is "any completion right" (Figure 5: F1 falls as the
threshold rises, on the unfiltered data).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from prmlib.lessons.common import Claim, paper, prm_table, r1, spearman, synthetic_policy

_F34, _F5 = "lessons_fig3_fig4_hard_vs_soft", "lessons_fig5_hard_label_threshold"
NAMES = ["mc_hard", "mc_soft", "consensus_hard", "consensus_soft"]
_PAPER = {"mc_hard": ("hard", "before (3M)"), "mc_soft": ("soft", "before (3M)"),
          "consensus_hard": ("hard", "after (1.5M)"), "consensus_soft": ("soft", "after (1.5M)")}


def table(run) -> pd.DataFrame:
    f1, bon, rows = paper_numbers(NAMES)
    return prm_table(run, NAMES, f1, bon, paper_rows=rows)


def paper_numbers(names) -> tuple[dict, dict, dict]:
    """The paper's F1, Best-of-8 and row (3M before / 1.5M after filtering) of each PRM in ``names``
    that Figures 3-4 have."""
    pairs = {n: _PAPER[n] for n in names if n in _PAPER}
    return ({n: paper(_F34, lab, f"Fig. 4 ProcessBench F1, {when}") for n, (lab, when) in pairs.items()},
            {n: paper(_F34, lab, f"Fig. 3 BoN, {when}") for n, (lab, when) in pairs.items()},
            {n: f"Figures 3-4: {lab} labels, {when}" for n, (lab, when) in pairs.items()})


def threshold_names(run) -> list[tuple[int, str]]:
    return [(t, "mc_hard" if t == 0 else f"mc_hard_t{t}") for t in run.profile.mc["thresholds"]]


def threshold_table(run) -> pd.DataFrame:
    """F1 and BoN per hard-label threshold t (positive iff more than t of K rollouts right)."""
    k = run.profile.sizes.k
    cols = ["0"] + [f"{t}/8" for t in range(1, 8)]
    rows = []
    for t, name in threshold_names(run):
        m = run.metrics(name)
        rows.append({"threshold": f"{t}/{k}", "ProcessBench F1": m["processbench"]["avg_f1"],
                     "paper F1": paper(_F5, "ProcessBench mean F1", cols[t]) if k == 8 else float("nan"),
                     f"BoN@{run.profile.sizes.n} (product)": m["bon"]["product"],
                     "paper BoN": paper(_F5, "Best-of-8 mean acc", cols[t]) if k == 8 else float("nan")})
    return pd.DataFrame(rows).set_index("threshold")


def threshold_label_table(run) -> pd.DataFrame:
    """The training labels themselves, per hard-label threshold t, against the exact first errors.

    No PRM is involved: each training solution's MC first error at threshold t (the first step with
    at most t of K completions right) is scored like a PRM's prediction on ProcessBench. Columns:
    ``F1 of the labels`` (harmonic mean of the next two), ``erroneous: first error found (%)``,
    ``correct: no error (%)``, and where the labels put the error on erroneous solutions:
    ``too early (%)``, ``too late (%)``, ``missed (%)``. Read beside :func:`threshold_table`: if
    the PRM's F1 follows the labels' F1 across t, the sweep's shape comes from the labels. Needs
    exact step labels on the training solutions; a real world returns a :class:`Skipped` note.
    """
    from prmlib.eval.label_quality import first_error_agreement
    from prmlib.eval.processbench import processbench_f1
    from prmlib.lessons.display import Skipped

    if not run.world.has_exact_labels:
        return Skipped("the training solutions carry no exact step labels (a real policy)")
    exact = [int(sol.meta["first_error"]) for sol in run.train_solutions]
    erroneous = [i for i, fe in enumerate(exact) if fe >= 0]
    rows = []
    for t, _ in threshold_names(run):
        mc = [res.first_error_at(t) for res in run.mc_results]
        m = processbench_f1(mc, exact)
        where = (first_error_agreement([mc[i] for i in erroneous], [exact[i] for i in erroneous]) if erroneous
                 else {"too_early": 0.0, "too_late": 0.0, "missed_error": 0.0})  # shares of the erroneous
        rows.append({"threshold": f"{t}/{run.profile.sizes.k}", "F1 of the labels": m["f1"],
                     "erroneous: first error found (%)": m["error_acc"], "correct: no error (%)": m["correct_acc"],
                     "too early (%)": where["too_early"], "too late (%)": where["too_late"],
                     "missed (%)": where["missed_error"]})
    return pd.DataFrame(rows).set_index("threshold")


def recovery_table(run) -> pd.DataFrame:
    """Why threshold-0 labels miss wrong steps: how completions after a wrong step reach the answer.

    For every erroneous training solution, K fresh completions of the prefix that ends with its
    first wrong step (the policy that wrote it, seed ``run.seed``), counted by the kind of that
    first error (rows, plus ``all``) with :func:`prmlib.synth.recovery.recovery_routes`. Columns:
    ``erroneous solutions``; ``first wrong step called correct at t = 0 (%)`` (at least one of the
    K completions right); ``right completions (% of K)``; and, as shares of the right completions,
    one column per route (:data:`prmlib.synth.recovery.ROUTES`). Needs the synthetic world; a real
    world returns a :class:`Skipped` note.
    """
    from prmlib.lessons.display import Skipped
    from prmlib.synth.recovery import recovery_routes, route_shares

    policy = synthetic_policy(run)
    if policy is None:
        return Skipped("needs the synthetic world: its policy's routes to the answer are known by construction")
    per_kind = recovery_routes(policy, run.train_solutions, k=run.profile.sizes.k, seed=run.seed)
    per_kind = {**dict(sorted(per_kind.items())), "all": sum(per_kind.values(), Counter())}
    rows = []
    for kind, c in per_kind.items():
        if not c["solutions"]:
            continue
        rows.append({"first error": kind, "erroneous solutions": c["solutions"],
                     "first wrong step called correct at t = 0 (%)": 100.0 * c["prefixes right"] / c["solutions"],
                     "right completions (% of K)": 100.0 * c["right"] / c["completions"],
                     **{k.replace("(%)", "(% of right)"): v for k, v in route_shares(c).items()}})
    return pd.DataFrame(rows).set_index("first error")


_NO_NOTICE = {"arithmetic": 0.0, "value": 0.0, "operation": 0.0}
WHAT_IF = {  # policies that recover from their mistakes less than the calibrated one (docs/lessons.md)
    "no self-correction": {"notice": _NO_NOTICE, "review": _NO_NOTICE},
    "no recovery route": {"notice": _NO_NOTICE, "review": _NO_NOTICE, "compensate": 0.0, "skip_distractor": 1.0},
}


def threshold_label_what_if(run, worlds: dict[str, dict] | None = None) -> pd.DataFrame:
    """The labels' F1 per threshold (as in :func:`threshold_label_table`) in the run's world and in
    what-if worlds whose policy recovers less from its own mistakes.

    Each what-if world is the run's profile with ``policy`` overrides (default :data:`WHAT_IF`:
    ``no self-correction`` sets the policy's ``notice`` and ``review`` chances to 0; ``no recovery
    route`` also sets ``compensate`` to 0 and always skips distractors). Its training solutions and
    MC estimates are sampled afresh with the run's seed, through the same cached chain, under
    ``<run folder>/what-if/``; no PRM is trained. Rows: thresholds; columns: the worlds' label F1,
    then ``t = 0: first error too late or missed (%)`` (the erroneous solutions whose first wrong step
    still has a right completion among the K: the threshold-0 labels call it correct) and, on the
    training solutions of the easiest and the hardest level, the share of right answers reached
    through a wrong step (lesson 5's C7 quantity: what a policy that recovers less gives up). Needs
    the synthetic world.
    """
    from prmlib.lessons.display import Skipped

    if synthetic_policy(run) is None:
        return Skipped("needs the synthetic world: the what-if worlds change its policy's knobs")
    runs = {"this world": run}
    for label, policy in (WHAT_IF if worlds is None else worlds).items():
        runs[label] = what_if_run(run, policy)
    cols = {}
    zero = f"0/{run.profile.sizes.k}"
    for label, r in runs.items():
        t = threshold_label_table(r)
        late = t.loc[zero, "too late (%)"] + t.loc[zero, "missed (%)"] if zero in t.index else float("nan")
        cols[label] = pd.concat([t["F1 of the labels"], pd.Series({
            "t = 0: first error too late or missed (%)": late, **_wrong_process(r)})])
    return pd.DataFrame(cols).rename_axis("threshold")


def what_if_run(run, policy: dict | str):
    """The run's profile and seed with ``policy`` overrides (or the name of one of :data:`WHAT_IF`),
    as a :class:`~prmlib.lessons.experiment.LessonRun` whose store is ``<run folder>/what-if/``."""
    from dataclasses import replace

    from prmlib.lessons.experiment import LessonRun

    if isinstance(policy, str) and policy not in WHAT_IF:
        raise ValueError(f"world must be one of {list(WHAT_IF)}, got {policy!r}")
    policy = WHAT_IF[policy] if isinstance(policy, str) else policy
    return LessonRun(replace(run.profile, policy={**run.profile.policy, **policy}), seed=run.seed,
                     run_dir=run.root / "what-if", progress=run.progress, stored_only=run.stored_only)


def threshold_prm_what_if(run, world: str = "no self-correction", thresholds=(0, 1)) -> pd.DataFrame:
    """The MC-hard PRMs of ``thresholds`` trained in a what-if world (:data:`WHAT_IF`) beside this
    world's: do the PRMs follow their labels there too? Trains the what-if PRMs that are not
    stored yet (unless the run is ``stored_only``), ``profile.workers`` at a time; a script that
    calls it needs the ``if __name__ == "__main__":`` guard. Each world's PRMs are scored on that
    world's own test sets (sampled with its policy). Rows: thresholds; columns: the labels' F1
    and the PRMs' ProcessBench-style F1 and Best-of-N (product), for each world.
    """
    from prmlib.lessons.display import Skipped

    if synthetic_policy(run) is None:
        return Skipped("needs the synthetic world: the what-if worlds change its policy's knobs")
    sweep = dict(threshold_names(run))
    if world not in WHAT_IF or not thresholds or any(t not in sweep for t in thresholds):
        raise ValueError(f"world must be one of {list(WHAT_IF)} and thresholds a non-empty subset of the "
                         f"profile's sweep {list(sweep)}; got {world!r} and {list(thresholds)}")
    names = [sweep[t] for t in thresholds]
    other = what_if_run(run, world)
    other.train_all(names)
    rows = []
    for label, r in (("this world", run), (world, other)):
        labels = threshold_label_table(r)["F1 of the labels"]
        for t in thresholds:
            m, row = r.metrics(sweep[t]), f"{t}/{r.profile.sizes.k}"
            rows.append({"threshold": row, "world": label, "F1 of the labels": labels.loc[row],
                         "PRM ProcessBench F1": m["processbench"]["avg_f1"],
                         f"PRM BoN@{r.profile.sizes.n} (product)": m["bon"]["product"]})
    out = pd.DataFrame(rows).pivot(index="threshold", columns="world").swaplevel(axis=1)
    metrics = [c for c in rows[0] if c not in ("threshold", "world")]
    return out[pd.MultiIndex.from_product([["this world", world], metrics])]


def _wrong_process(run) -> dict[str, float]:
    """Lesson 5's Figure 6 share on the training solutions, at the easiest and the hardest level."""
    from prmlib.lessons.lesson5_bon_bias import _share_table

    t = _share_table((s.meta["difficulty"], s.meta["answer_correct"], int(s.meta["first_error"]))
                     for s in run.train_solutions)
    levels = run.profile.sizes.levels
    return {f"level {lv}: right answers with a wrong step (%)":
            t.loc[lv, "share (%)"] if lv in t.index and t.loc[lv, "right answers"] else float("nan")
            for lv in dict.fromkeys((levels[0], levels[-1]))}


def claims(run) -> list[Claim]:
    f1 = {n: run.metrics(n)["processbench"]["avg_f1"] for n in NAMES}
    before, after = f1["mc_hard"] - f1["mc_soft"], f1["consensus_hard"] - f1["consensus_soft"]
    sweep = [(t, run.metrics(n)["processbench"]["avg_f1"]) for t, n in threshold_names(run)]
    ts, fs = [t for t, _ in sweep], [f for _, f in sweep]
    rho = spearman(ts, fs)
    best = ts[max(range(len(fs)), key=lambda i: (fs[i], -ts[i]))]
    return [
        Claim("C5_hard_vs_soft", 4, "before filtering |F1 hard - soft| <= 3; after filtering hard - soft >= 3",
              "40.2 / 40.2 -> 66.5 / 49.3",
              f"{r1(f1['mc_hard'])} / {r1(f1['mc_soft'])} -> {r1(f1['consensus_hard'])} / {r1(f1['consensus_soft'])}",
              abs(before) <= 3 and after >= 3, f1),
        Claim("C6_threshold", 4, "F1 is highest at threshold 0 (a tie goes to the lower threshold) and falls with "
              "the threshold (Spearman rho of threshold and F1 <= -0.7)",
              "40.2 at 0 (1/8 ties it) -> 29.5 at 7/8",
              f"best at {best}/{run.profile.sizes.k}, rho {rho:.2f}; " + ", ".join(f"{t}: {r1(f)}" for t, f in sweep),
              best == 0 and rho <= -0.7, {"f1": dict(sweep), "spearman": rho}),
    ]


def figure(run, ax=None):
    """F1 per hard-label threshold: our PRMs with their 95% test-set intervals
    (:func:`prmlib.lessons.noise.intervals`), the paper's Figure 5 and the training labels' own F1."""
    import matplotlib.pyplot as plt

    from prmlib.lessons.display import error_extent
    from prmlib.lessons.noise import intervals

    t = threshold_table(run)
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    f1 = t["ProcessBench F1"]
    prms = [n for _, n in threshold_names(run)]
    ci = intervals(run, prms).reindex(prms)
    yerr = error_extent(f1, ci["F1 low"], ci["F1 high"])
    ax.errorbar(range(len(t)), f1, yerr=yerr, marker="o", capsize=3,
                label="our PRMs (each trained on its threshold's labels; 95% test-set interval)")
    if t["paper F1"].notna().all():
        ax.plot(range(len(t)), t["paper F1"], marker="s", linestyle="--", label="paper (Figure 5)")
    labels = threshold_label_table(run)
    if isinstance(labels, pd.DataFrame):  # a world with exact labels: the training labels' own F1
        ax.plot(range(len(t)), labels["F1 of the labels"], marker="^", linestyle=":",
                label="the MC labels themselves (no PRM)")
    ax.set_xticks(range(len(t)), t.index)
    ax.set_xlabel("hard-label threshold (positive iff more than t of K rollouts right)")
    ax.set_ylabel("ProcessBench-style F1 (%)")
    handles, names = ax.get_legend_handles_labels()  # ours first (matplotlib lists error bars last)
    order = sorted(range(len(names)), key=lambda i: not names[i].startswith("our PRMs"))
    ax.legend([handles[i] for i in order], [names[i] for i in order], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))  # beside the axes: no point hidden
    ax.set_title("Lesson 4: the hard-label threshold")
    return ax


def what_if_figure(run, table: pd.DataFrame | None = None, ax=None):
    """The labels' F1 per threshold in each world of :func:`threshold_label_what_if` (pass its
    ``table`` to avoid recomputing it). Outside the synthetic world it returns the table's
    :class:`Skipped` note, which ``display.show_figure`` shows as such."""
    import matplotlib.pyplot as plt

    t = threshold_label_what_if(run) if table is None else table
    if not isinstance(t, pd.DataFrame):
        return t
    f1 = t.loc[[i for i in t.index if "/" in str(i) and ":" not in str(i)]]  # the threshold rows
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for (world, col), marker in zip(f1.items(), "o^sv"):
        ax.plot(range(len(f1)), col, marker=marker, label=world)
    ax.set_xticks(range(len(f1)), f1.index)
    ax.set_xlabel("hard-label threshold (positive iff more than t of K rollouts right)")
    ax.set_ylabel("F1 of the MC labels vs exact (%)")
    ax.legend(title="policy")
    ax.set_title("Lesson 4: MC label quality when the policy recovers less (no PRM)")
    return ax


def labels_vs_prm_note(run) -> str:
    """One computed sentence that reads :func:`threshold_table` beside :func:`threshold_label_table`:
    the Spearman correlation of the PRMs' F1 with their labels' F1 across the thresholds, and where
    each peaks. Markdown."""
    from prmlib.lessons.display import Skipped

    labels = threshold_label_table(run)
    if isinstance(labels, Skipped):
        return f"*Not read here: {labels.reason}.*"
    prm = threshold_table(run)["ProcessBench F1"]
    lab = labels["F1 of the labels"].reindex(prm.index)
    rho = spearman(lab, prm)
    return (f"Read together: across the {len(prm)} thresholds the PRMs' F1 and their labels' F1 have Spearman "
            f"rho **{rho:.2f}**; the labels' F1 is highest at t = {lab.idxmax()}, the PRMs' at t = {prm.idxmax()}.")


def what_if_note(run, table: pd.DataFrame) -> str:
    """One computed sentence on :func:`threshold_label_what_if`'s table: per world, the labels' F1 at
    threshold 1/K minus at 0, and whether 0 ever comes out ahead. Markdown."""
    from prmlib.lessons.display import Skipped

    if isinstance(table, Skipped):
        return f"*Not read here: {table.reason}.*"
    k = run.profile.sizes.k
    zero, one = f"0/{k}", f"1/{k}"
    if zero not in table.index or one not in table.index:
        return f"*Not read here: the sweep lacks threshold {zero} or {one}.*"
    gaps = {w: float(table.loc[one, w] - table.loc[zero, w]) for w in table.columns}
    text = (f"Labels' F1 at t = {one} minus at t = 0: "
            + ", ".join(f"{w} {g:+.1f}" for w, g in gaps.items()) + " points. ")
    ahead = [w for w, g in gaps.items() if g < 0]
    return text + (f"Threshold 0 comes out ahead in: {', '.join(ahead)}." if ahead
                   else "Threshold 0 comes out ahead in none of these worlds.")
