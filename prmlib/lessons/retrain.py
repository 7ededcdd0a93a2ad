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
    retrain.figure_curves(run, ["consensus_soft"], train_seeds=[1, 2])  # the training losses
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from prmlib.lessons.display import Skipped
from prmlib.lessons.experiment import prm_title
from prmlib.lessons.noise import measure_names


def variants(run, names: Iterable[str], train_seeds: Iterable[int] | None) -> list[str]:
    """Train and score (if not in the store) each PRM of ``names`` again with each training seed, in
    parallel (``profile.workers``); returns the names, ``"<name>@<seed>"``. The run's own seed is
    left out of ``train_seeds``: its PRM is the one the lessons use."""
    out = [f"{n}@{s}" for n in dict.fromkeys(names) for s in _seeds(run, train_seeds)[1:]]
    if out:
        run.train_all(out)
    return out


def values(run, names: Sequence[str], train_seeds: Iterable[int] | None = (1, 2),
           agg: str = "product") -> pd.DataFrame | Skipped:
    """One row per PRM and measure (ProcessBench F1, Best-of-N with ``agg``): its value at each
    training seed (the run's own first), and their range (max - min; NaN when a seed's PRM is
    missing). Trains what is missing. A :class:`~prmlib.lessons.display.Skipped` note when no seed
    besides the run's is given."""
    seeds = _seeds(run, train_seeds)
    if len(seeds) == 1:
        return _nothing_asked(run)
    names = _present(run, names)
    variants(run, names, seeds)
    cols, rows = _columns(run, seeds), []
    for n in names:
        for measure, label in measure_names(run, agg).items():
            vals = [_value(run, _variant(n, s, run), measure, agg) for s in seeds]
            rows.append({"PRM": prm_title(n, run.profile.sizes.k), "measure": label, **dict(zip(cols, vals)),
                         "range (max - min)": _range(vals)})
    return pd.DataFrame(rows, columns=["PRM", "measure", *cols, "range (max - min)"]).set_index("PRM")


def differences(run, pairs: Sequence[tuple[str, str]], train_seeds: Iterable[int] | None = (1, 2),
                agg: str = "product") -> pd.DataFrame | Skipped:
    """One row per pair ``(a, b)`` and measure: ``a - b`` with both PRMs trained with the same
    training seed, for each seed (the run's own first), their range, and whether ``a - b`` has the
    same sign on every training seed (a difference of 0 has no sign; ``None`` when a seed's PRM is
    missing). Same labels and test sets throughout: what moves is the training run alone. Pairs with
    a PRM the run does not have are left out; trains what is missing. A
    :class:`~prmlib.lessons.display.Skipped` note when no seed besides the run's is given."""
    seeds = _seeds(run, train_seeds)
    if len(seeds) == 1:
        return _nothing_asked(run)
    pairs = [(run.own_name(a), run.own_name(b)) for a, b in pairs]
    present = set(_present(run, [n for pair in pairs for n in pair]))
    pairs = [(a, b) for a, b in dict.fromkeys(pairs) if {a, b} <= present]
    variants(run, present, seeds)
    cols, rows, k = _columns(run, seeds), [], run.profile.sizes.k
    for a, b in pairs:
        for measure, label in measure_names(run, agg).items():
            diffs = [_value(run, _variant(a, s, run), measure, agg) - _value(run, _variant(b, s, run), measure, agg)
                     for s in seeds]
            signs = set(np.sign(diffs))
            rows.append({"PRMs (a - b)": f"{prm_title(a, k)} - {prm_title(b, k)}", "measure": label,
                         **dict(zip(cols, diffs)), "range (max - min)": _range(diffs),
                         "same sign on every training seed": None if np.isnan(diffs).any()
                         else len(signs) == 1 and 0 not in signs})
    out = pd.DataFrame(rows, columns=["PRMs (a - b)", "measure", *cols, "range (max - min)",
                                      "same sign on every training seed"]).set_index("PRMs (a - b)")
    out.attrs["caption"] = (
        f"a - b with both PRMs trained on the same labels with training seed {', '.join(map(str, seeds))} "
        "(initialisation, row sampling, batch order); the same test sets, thresholds tuned on the same validation "
        "set for each PRM. Percentage points; ranges from unrounded values.")
    return out


def curves(run, names: Sequence[str], train_seeds: Iterable[int] | None = ()) -> pd.DataFrame:
    """The training loss of each PRM of ``names`` at each training seed (the run's own first), as
    the training logged it (about 50 entries per lessons training, :data:`prmlib.lessons.training.LOG_POINTS`):
    one row per PRM, training seed and logged step, columns ``PRM``, ``training seed``, ``step``,
    ``epoch``, ``loss``. Trains what is missing (only for seeds other than the run's when asked; in a
    ``stored_only`` run nothing). ``attrs["missing"]`` maps each PRM and seed without a curve to the
    reason: not in the store, or trained before the log was kept with the model."""
    from prmlib.prm.train import read_loss_log

    seeds = _seeds(run, train_seeds)
    names = _present(run, names)
    variants(run, names, seeds)
    rows, missing = [], {}
    for n in names:
        title = prm_title(n, run.profile.sizes.k)
        for s in seeds:
            try:
                log = read_loss_log(run.model_dir(_variant(n, s, run)))
            except LookupError:  # a stored_only run without this training
                missing[f"{title} (training seed {s})"] = "not in the store"
                continue
            if log is None:
                missing[f"{title} (training seed {s})"] = "trained before the loss log was kept"
                continue
            rows += [{"PRM": title, "training seed": s, "step": int(e["step"]),
                      "epoch": e.get("epoch", float("nan")), "loss": e["loss"]} for e in log]
    out = pd.DataFrame(rows, columns=["PRM", "training seed", "step", "epoch", "loss"])
    out.attrs["missing"] = missing
    return out


SMOOTH = 5  # logged entries per running mean in figure_curves


def figure_curves(run, names: Sequence[str], train_seeds: Iterable[int] | None = ()):
    """Training loss against epoch, one panel per PRM, one colour per training seed in every panel
    (:func:`curves`): thin, as logged; thick, a running mean over :data:`SMOOTH` entries. Batches
    grouped by length (the recipes' ``group_by_length``) make the logged loss saw-toothed. Hard
    (cross-entropy) and soft (BCE against c/K, which stays above the targets' own entropy) losses
    are not on one scale: compare seeds within a panel. Curves that could not be drawn are named
    under the panels; a :class:`~prmlib.lessons.display.Skipped` note when there is none at all."""
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    t = curves(run, names, train_seeds)
    missing = "; ".join(f"{k}: {v}" for k, v in t.attrs["missing"].items())
    if t.empty:
        return Skipped(f"no training-loss curve to plot ({missing or 'none of the PRMs asked for is in this run'}); "
                       "a training writes its loss to training_log.json beside the model")
    seeds = _seeds(run, train_seeds)
    color = {s: f"C{i}" for i, s in enumerate(seeds)}
    prms = list(dict.fromkeys(t["PRM"]))
    fig, axes = plt.subplots(1, len(prms), figsize=(3.2 * len(prms) + 0.8, 3.2), squeeze=False)
    for ax, prm in zip(axes[0], prms):
        for seed, g in t[t["PRM"] == prm].groupby("training seed", sort=False):
            ax.plot(g["epoch"], g["loss"].rolling(SMOOTH, center=True, min_periods=1).mean(), color=color[seed])
            ax.plot(g["epoch"], g["loss"], color=color[seed], alpha=0.3, linewidth=0.8)
        ax.set_title(textwrap.fill(prm, 28), fontsize=9)
        ax.set_xlabel("epoch")
    axes[0][0].set_ylabel(f"training loss (nats per step label;\nthick: running mean of {SMOOTH} logs)")
    drawn = [s for s in seeds if s in set(t["training seed"])]
    fig.legend([Line2D([], [], color=color[s]) for s in drawn],
               [f"training seed {s}" + (" (the lessons')" if s == run.seed else "") for s in drawn],
               fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 0.9))
    fig.suptitle("Training loss" + (", the same labels trained again with other seeds" if len(drawn) > 1 else ""))
    if missing:
        fig.text(0.01, -0.02, textwrap.fill(f"Not drawn: {missing}.", 130), fontsize=7, va="top")
    fig.tight_layout()
    return fig


def _seeds(run, train_seeds: Iterable[int] | None) -> list[int]:
    """The run's seed, then the other training seeds asked for, each once."""
    return [run.seed] + [s for s in dict.fromkeys(int(x) for x in train_seeds or ()) if s != run.seed]


def _variant(name: str, seed: int, run) -> str:
    return name if seed == run.seed else f"{name}@{seed}"


def _present(run, names: Iterable[str]) -> list[str]:
    """The run's PRMs among ``names`` (``exact`` read as the run's human row), those it trained."""
    have = set(run.prm_names())
    names = dict.fromkeys(run.own_name(n) for n in names)
    return [n for n in names if n in have and not run.metrics(n).get("missing")]


def _value(run, name: str, measure: str, agg: str) -> float:
    m = run.metrics(name)
    return float(m["processbench"]["avg_f1"] if measure == "f1" else m["bon"].get(agg, float("nan")))


def _range(values: Sequence[float]) -> float:
    return float("nan") if np.isnan(values).any() else float(max(values) - min(values))


def _nothing_asked(run) -> Skipped:
    return Skipped(f"no training seed besides the run's own ({run.seed}) was asked for: pass train_seeds, e.g. "
                   "[1, 2] (in notebooks 02 and 04, the parameter retrain_seeds); each is one more training per PRM")


def _columns(run, seeds: Sequence[int]) -> list[str]:
    return [f"training seed {s}" + (" (the lessons')" if s == run.seed else "") for s in seeds]
