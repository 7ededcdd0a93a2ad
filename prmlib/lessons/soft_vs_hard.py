"""Why soft MC labels beat hard ones before filtering in the synthetic world (docs/lessons.md,
question 7), where the paper has them level (Figure 4: 40.2 / 40.2).

The reading under test: threshold-0 hard labels call a first wrong step right whenever one of its K
completions still reaches the answer (60% of first wrong steps here, mostly the policy correcting
itself: lesson 4's ``recovery_table``), while its soft target c/K stays low. :func:`hidden_first_errors`
measures that on the training labels; :func:`what_if` trains MC hard and MC soft again in lesson 4's
"no self-correction" world, where fewer first wrong steps are hidden, and sets the two worlds side
by side.

    >>> from prmlib.lessons.experiment import LessonRun  # doctest: +SKIP
    >>> what_if(LessonRun("cpu", seed=0))                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: the PRMs compared: threshold-0 hard labels and soft labels of the same MC counts
NAMES = ("mc_hard", "mc_soft")


def hidden_first_errors(run) -> dict[str, float]:
    """What the threshold-0 labels of ``run``'s training solutions do with the exact first errors.

    Returns ``erroneous training solutions``; ``first wrong steps called right at t = 0 (%)`` (the
    MC labels run past the exact first error: at least one of its K completions reached the
    answer); ``their mean soft target`` (c/K of those steps, the soft label they get instead of 1);
    ``right steps' mean soft target`` (every step before the exact first error that the soft labels
    keep). Needs exact step labels on the training solutions.
    """
    exact = [int(sol.meta["first_error"]) for sol in run.train_solutions]
    hidden, right = [], []
    for fe, res in zip(exact, run.mc_results, strict=True):
        soft = res.soft_labels(0)
        right += soft[:fe] if fe >= 0 else soft
        if fe >= 0 and fe < len(soft) and res.first_error_at(0) != fe:  # step fe kept with c >= 1
            hidden.append(soft[fe])
    erroneous = sum(fe >= 0 for fe in exact)
    mean = (lambda xs: sum(xs) / len(xs) if xs else float("nan"))
    return {"erroneous training solutions": float(erroneous),
            "first wrong steps called right at t = 0 (%)": 100.0 * len(hidden) / erroneous if erroneous else float("nan"),
            "their mean soft target": mean(hidden), "right steps' mean soft target": mean(right)}


def table(run) -> pd.DataFrame:
    """:func:`hidden_first_errors` of ``run`` as a one-row table (labels only: no PRM is trained);
    outside a world with exact labels, a :class:`~prmlib.lessons.display.Skipped` note."""
    from prmlib.lessons.display import Skipped

    if not run.world.has_exact_labels:
        return Skipped("the training solutions carry no exact step labels (a real policy)")
    return _counts_as_int(pd.DataFrame({"this world": hidden_first_errors(run)}).T.rename_axis("world"))


def what_if(run, world: str = "no self-correction") -> pd.DataFrame:
    """MC hard (threshold 0) against MC soft in ``run``'s world and in a what-if world of lesson 4
    (:data:`prmlib.lessons.lesson4_labels.WHAT_IF`), each world's PRMs scored on its own test sets.

    Trains the what-if world's two PRMs when they are not stored (unless the run is ``stored_only``),
    ``profile.workers`` at a time: a script that calls it needs the ``if __name__ == "__main__":``
    guard. Rows: the two worlds; columns: both PRMs' ProcessBench-style F1, ``soft - hard (F1
    points)``, both PRMs' Best-of-N (product), then :func:`hidden_first_errors` of that world's
    training labels. Outside the synthetic world: a :class:`~prmlib.lessons.display.Skipped` note.
    """
    from prmlib.lessons.common import synthetic_policy
    from prmlib.lessons.display import Skipped
    from prmlib.lessons.lesson4_labels import what_if_run

    if synthetic_policy(run) is None or not run.world.has_exact_labels:
        return Skipped("needs the synthetic world: the what-if world changes its policy's knobs")
    other = what_if_run(run, world)  # refuses a world not in WHAT_IF
    other.train_all(list(NAMES))
    n = run.profile.sizes.n
    rows = {}
    for label, r in (("this world", run), (world, other)):
        m = {name: r.metrics(name) for name in NAMES}
        f1 = {name: m[name]["processbench"]["avg_f1"] for name in NAMES}
        rows[label] = {"MC hard F1": f1["mc_hard"], "MC soft F1": f1["mc_soft"],
                       "soft - hard (F1 points)": f1["mc_soft"] - f1["mc_hard"],
                       f"MC hard BoN@{n} (product)": m["mc_hard"]["bon"]["product"],
                       f"MC soft BoN@{n} (product)": m["mc_soft"]["bon"]["product"],
                       **hidden_first_errors(r)}
    return _counts_as_int(pd.DataFrame(rows).T.rename_axis("world"))


def gaps(run, world: str = "no self-correction", training_seeds: Sequence[int] = (0, 1, 2)) -> pd.DataFrame:
    """:func:`what_if`'s F1 comparison repeated over training runs: MC hard and MC soft trained with
    each of ``training_seeds`` (the same rows; other initial weights and batch order,
    :func:`prmlib.lessons.experiment.training_seed_of`) in ``run``'s world and in ``world``.

    Trains what is not stored (``profile.workers`` at a time; a script needs the
    ``if __name__ == "__main__":`` guard). Rows: (world, training seed); columns: ``MC hard F1``,
    ``MC soft F1``, ``soft - hard (F1 points)``. Outside the synthetic world: a Skipped note.
    """
    from prmlib.lessons.common import synthetic_policy
    from prmlib.lessons.display import Skipped
    from prmlib.lessons.lesson4_labels import what_if_run

    if synthetic_policy(run) is None:
        return Skipped("needs the synthetic world: the what-if world changes its policy's knobs")
    if not training_seeds:
        raise ValueError("training_seeds non-empty are needed: which training runs to compare")
    other = what_if_run(run, world)  # refuses a world not in WHAT_IF, before anything trains
    rows = []
    for label, r in (("this world", run), (world, other)):
        names = {s: {n: f"{n}@{s}" for n in NAMES} for s in training_seeds}
        r.train_all([name for per_seed in names.values() for name in per_seed.values()])
        for s, per_seed in names.items():
            f1 = {n: r.metrics(name)["processbench"]["avg_f1"] for n, name in per_seed.items()}
            rows.append({"world": label, "training seed": s, "MC hard F1": f1["mc_hard"], "MC soft F1": f1["mc_soft"],
                         "soft - hard (F1 points)": f1["mc_soft"] - f1["mc_hard"]})
    return pd.DataFrame(rows).set_index(["world", "training seed"])


def _counts_as_int(t: pd.DataFrame) -> pd.DataFrame:
    return t.astype({"erroneous training solutions": int})
