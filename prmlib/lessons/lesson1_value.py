"""Lesson 1: a PRM is not a value model. MC estimation measures whether the policy still reaches the
right answer from a step, not whether the step is right.

Measured on the run's training solutions: MC hard labels (threshold 0, K completions) against the
exact verifier, per difficulty level, over the steps up to and including each solution's exact first
error (later steps are dropped from training anyway). "Wrong" is the positive class.
"""

from __future__ import annotations

import pandas as pd

from prmlib.lessons.common import Claim, r1


def value_table(run) -> pd.DataFrame:
    """Per level: MC precision and recall of "wrong", mean MC score of correct and of wrong steps."""
    records = []
    for sol, res in zip(run.train_solutions, run.mc_results):
        fe = int(sol.meta["first_error"])
        last = len(sol.steps) if fe < 0 else fe + 1
        for i in range(last):
            c = res.counts[i]
            records.append({"level": sol.meta["difficulty"], "wrong": i == fe, "mc_wrong": c == 0,
                            "mc_score": c / res.k})
    df = pd.DataFrame(records)
    rows = []
    for level, g in df.groupby("level"):
        tp = int((g.wrong & g.mc_wrong).sum())
        rows.append({"level": int(level), "steps": len(g), "truly wrong": int(g.wrong.sum()),
                     "MC precision (wrong)": 100.0 * tp / max(int(g.mc_wrong.sum()), 1),
                     "MC recall (wrong)": 100.0 * tp / max(int(g.wrong.sum()), 1),
                     "MC score of correct steps": g.loc[~g.wrong, "mc_score"].mean(),
                     "MC score of wrong steps": g.loc[g.wrong, "mc_score"].mean()})
    return pd.DataFrame(rows).set_index("level")


def example(run, level: int | None = None) -> pd.DataFrame:
    """One training solution step by step: its MC value beside its truth (a hard level by default:
    the first solution there with a correct step that MC calls wrong, or a wrong step MC calls right,
    among the steps up to its first error, the steps the lesson's table counts). ``correct (exact)``
    follows the PRM labels' convention: every step from the first error on counts as wrong."""
    level = max(run.profile.sizes.levels) if level is None else level
    pick = None
    for sol, res in zip(run.train_solutions, run.mc_results):
        if sol.meta["difficulty"] != level:
            continue
        fe = int(sol.meta["first_error"])
        truth = [fe < 0 or i < fe for i in range(len(sol.steps))]
        upto = len(sol.steps) if fe < 0 else fe + 1
        if any((c == 0) == t for c, t in zip(res.counts[:upto], truth[:upto])):
            pick = (sol, res, truth)
            break
    if pick is None:
        return pd.DataFrame()
    sol, res, truth = pick
    return pd.DataFrame({"step": sol.steps, "correct (exact)": truth,
                         "MC value c/K": [c / res.k for c in res.counts],
                         "MC says correct (c > 0)": [c > 0 for c in res.counts]})


def claims(run) -> list[Claim]:
    if not run.world.has_exact_labels:
        return [Claim("C1_value", 1, "MC precision and recall of 'wrong' fall with difficulty",
                      "qualitative (PRM versus value model)", "not measurable here: no exact step labels in this world",
                      False, {"measurable": False})]
    t = value_table(run)
    lo, hi = t.index.min(), t.index.max()
    p, r, s = t["MC precision (wrong)"], t["MC recall (wrong)"], t["MC score of correct steps"]
    holds = bool(p[hi] < p[lo] and r[hi] < r[lo] and s[hi] < s[lo])
    return [Claim(
        "C1_value", 1,
        f"MC precision and recall of 'wrong' fall from level {lo} to {hi}; correct steps score lower at level {hi}",
        "qualitative (the paper's PRM-versus-value-model discussion: MC labels are value estimates)",
        f"precision {r1(p[lo])} -> {r1(p[hi])}, recall {r1(r[lo])} -> {r1(r[hi])}, "
        f"MC score of correct steps {s[lo]:.2f} -> {s[hi]:.2f}",
        holds, {"precision": p.to_dict(), "recall": r.to_dict(), "correct_score": s.to_dict()})]


def figure(run, ax=None):
    """MC score of correct and wrong steps by level (bars)."""
    import matplotlib.pyplot as plt

    t = value_table(run)
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    long = t[["MC score of correct steps", "MC score of wrong steps"]].reset_index().melt(
        "level", var_name="step", value_name="mean MC score")
    import seaborn as sns

    sns.barplot(long, x="level", y="mean MC score", hue="step", ax=ax)
    ax.set_xlabel("difficulty level")
    ax.set_ylabel("mean MC score c/K (fraction of rollouts right)")
    ax.set_ylim(0, 1)
    ax.set_title("Lesson 1: the MC score of correct steps falls with difficulty")
    return ax
