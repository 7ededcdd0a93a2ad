"""Training noise: the same labels, trained again with other training seeds.

A claim such as "exact > judge > MC" compares PRMs that each come from one training run. Two
sources of chance sit in that comparison besides the data and labels: the draw of the test set
(:mod:`prmlib.lessons.noise`, the bootstrap) and the training run itself (the model's
initialisation, which right steps the recipe samples into rows, the order of the batches). This
module measures the second one: every PRM of a pair is trained again on exactly the same labelled
rows, with only the training seed changed (``"mc_hard@1"``, :func:`prmlib.lessons.experiment.training_seed_of`),
and scored on the same evaluation sets. Each retraining is one more PRM in the store (about
100 s each on the ``cpu`` profile, two at a time), so nothing here runs unless asked.

    from prmlib.lessons import LessonRun, retrain
    run = LessonRun("cpu", seed=0)
    retrain.differences(run, [("exact", "judge")], train_seeds=[1, 2])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from prmlib.lessons.display import Skipped
from prmlib.lessons.experiment import prm_title


def variants(run, names: Iterable[str], train_seeds: Iterable[int]) -> list[str]:
    """Train and score (if not in the store) each PRM of ``names`` again with each training seed, in
    parallel (``profile.workers``); returns the names, ``"<name>@<seed>"``. The run's own seed is
    left out of ``train_seeds``: its PRM is the one the lessons use."""
    seeds = [s for s in dict.fromkeys(int(x) for x in train_seeds) if s != run.seed]
    out = [f"{n}@{s}" for n in dict.fromkeys(names) for s in seeds]
    if out:
        run.train_all(out)
    return out


def _value(run, name: str, measure: str, agg: str) -> float:
    m = run.metrics(name)
    return float(m["processbench"]["avg_f1"] if measure == "f1" else m["bon"].get(agg, float("nan")))


def _seeds(run, train_seeds: Iterable[int] | None) -> list[int]:
    return [run.seed] + [s for s in dict.fromkeys(int(x) for x in train_seeds or ()) if s != run.seed]


def _nothing_asked(run) -> Skipped:
    return Skipped(f"no training seed besides the run's own ({run.seed}) was asked for: pass train_seeds, e.g. "
                   "[1, 2] (in notebook 02, the parameter retrain_seeds); each is one more training per PRM")


def _columns(run, seeds: Sequence[int]) -> list[str]:
    return [f"training seed {s}" + (" (the lessons')" if s == run.seed else "") for s in seeds]


def values(run, names: Sequence[str], train_seeds: Iterable[int] | None = (1, 2),
           agg: str = "product") -> pd.DataFrame | Skipped:
    """One row per PRM and measure (ProcessBench F1, Best-of-N with ``agg``): its value at each
    training seed (the run's own first), and their range (max - min). Trains what is missing. A
    :class:`~prmlib.lessons.display.Skipped` note when no seed besides the run's is given."""
    seeds = _seeds(run, train_seeds)
    if len(seeds) == 1:
        return _nothing_asked(run)
    human = {"exact": run.human}
    names = [human.get(n, n) for n in names]
    names = [n for n in dict.fromkeys(names) if n in run.prm_names() and not run.metrics(n).get("missing")]
    variants(run, names, seeds)
    cols, rows = _columns(run, seeds), []
    for n in names:
        for measure, label in _measures(run, agg).items():
            vals = [_value(run, n if s == run.seed else f"{n}@{s}", measure, agg) for s in seeds]
            rows.append({"PRM": prm_title(n, run.profile.sizes.k), "measure": label, **dict(zip(cols, vals)),
                         "range (max - min)": float(np.nanmax(vals) - np.nanmin(vals))})
    return pd.DataFrame(rows, columns=["PRM", "measure", *cols, "range (max - min)"]).set_index("PRM")


def differences(run, pairs: Sequence[tuple[str, str]], train_seeds: Iterable[int] | None = (1, 2),
                agg: str = "product") -> pd.DataFrame | Skipped:
    """One row per pair ``(a, b)`` and measure: ``a - b`` with both PRMs trained with the same
    training seed, for each seed (the run's own first), their range, and whether the sign is the same
    on every training seed. Same labels and test sets throughout: what moves is the training run
    alone. Pairs with a PRM the run does not have are left out; trains what is missing. A
    :class:`~prmlib.lessons.display.Skipped` note when no seed besides the run's is given."""
    seeds = _seeds(run, train_seeds)
    if len(seeds) == 1:
        return _nothing_asked(run)
    human, names = {"exact": run.human}, set(run.prm_names())
    pairs = [(human.get(a, a), human.get(b, b)) for a, b in pairs]
    pairs = [(a, b) for a, b in pairs if {a, b} <= names and not any(run.metrics(n).get("missing") for n in (a, b))]
    variants(run, [n for pair in pairs for n in pair], seeds)
    cols, rows, k = _columns(run, seeds), [], run.profile.sizes.k
    for a, b in pairs:
        for measure, label in _measures(run, agg).items():
            diffs = [_value(run, a if s == run.seed else f"{a}@{s}", measure, agg)
                     - _value(run, b if s == run.seed else f"{b}@{s}", measure, agg) for s in seeds]
            signs = {int(np.sign(d)) for d in diffs if not np.isnan(d)}
            rows.append({"PRMs (a - b)": f"{prm_title(a, k)} - {prm_title(b, k)}", "measure": label,
                         **dict(zip(cols, diffs)), "range (max - min)": float(np.nanmax(diffs) - np.nanmin(diffs)),
                         "same sign on every training seed": len(signs) == 1 and 0 not in signs})
    out = pd.DataFrame(rows, columns=["PRMs (a - b)", "measure", *cols, "range (max - min)",
                                      "same sign on every training seed"]).set_index("PRMs (a - b)")
    out.attrs["caption"] = (
        f"a - b with both PRMs trained on the same labels with training seed {', '.join(map(str, seeds))} "
        "(initialisation, row sampling, batch order); the same test sets, thresholds tuned on the same validation "
        "set for each PRM. Percentage points.")
    return out


def _measures(run, agg: str) -> dict[str, str]:
    n = len(run.sets["bon"][0]["responses"]) if run.sets["bon"] else "N"
    return {"f1": "ProcessBench F1", "bon": f"BoN@{n} ({agg})"}
