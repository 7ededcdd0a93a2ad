"""Shared pieces of the lesson modules: the paper's numbers, claim records, rounding."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from prmlib.eval.reference import reference_table


def paper(key: str, row: str, column: str, by: str | None = None) -> float:
    """One number of the papers' tables (``prmlib/resources/reference_tables.json``): the row whose
    cell in column ``by`` (default: the first column) is ``row``, the column ``column``."""
    t = reference_table(key)
    names = t.iloc[:, 0] if by is None else t[by]
    match = t[names.astype(str) == row]
    if match.empty:
        raise KeyError(f"{key}: no row {row!r}")
    return float(str(match.iloc[0][column]).replace("%", "").strip())


@dataclass
class Claim:
    """One claim of the paper, measured: ``holds`` is computed from ``values`` by the lesson module."""

    id: str
    lesson: int
    claim: str
    paper: str
    ours: str
    holds: bool
    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["holds"] = bool(d["holds"])
        return d


def synthetic_policy(run):
    """The run's :class:`~prmlib.synth.policy.SyntheticPolicy` when its world is the synthetic one
    (exact step labels, routes known by construction), else ``None``."""
    from prmlib.synth.policy import SyntheticPolicy

    policy = getattr(run.world, "policy", None)
    return policy if run.world.has_exact_labels and isinstance(policy, SyntheticPolicy) else None


def r1(x: float) -> float:
    return float(np.round(float(x), 1))


def spearman(x, y) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either side is constant."""
    import pandas as pd

    a, b = pd.Series(list(x)).rank(), pd.Series(list(y)).rank()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def prm_table(run, names, paper_f1=None, paper_bon=None, agg: str = "product", paper_rows=None):
    """One row per PRM: training rows, ProcessBench-style F1 (error / correct accuracy), Best-of-N
    with ``agg``, and the paper's numbers beside them (``paper_f1`` / ``paper_bon``: name -> value;
    ``paper_rows``: name -> the paper's row they come from, with its data size, shown as ``paper row``
    because the paper's tables compare PRMs trained on 264k to 3M labels)."""
    import pandas as pd

    from prmlib.lessons.experiment import prm_spec, prm_title

    rows = []
    for name in names:
        m = run.metrics(name)
        source, threshold, _, _ = prm_spec(name)
        rows.append({
            "PRM": prm_title(name, run.profile.sizes.k), "name": name,
            "training solutions": len(run.label_rows(source, threshold)[1]),
            "ProcessBench F1": m["processbench"]["avg_f1"],
            "error acc.": m["processbench"]["error_acc"], "correct acc.": m["processbench"]["correct_acc"],
            "paper F1": (paper_f1 or {}).get(name, float("nan")),
            f"BoN@{run.profile.sizes.n} ({agg})": m["bon"][agg],
            "paper BoN": (paper_bon or {}).get(name, float("nan")),
            **({"paper row": paper_rows.get(name, "")} if paper_rows else {}),
        })
    return pd.DataFrame(rows).set_index("PRM")


def majority_note(run, names, agg: str = "product") -> str:
    """How these PRMs' Best-of-N compares with majority voting over the same candidates (no PRM), and
    with the paper's maj@8 (Table 6), which sits level with the paper's PRMs."""
    from prmlib.lessons.experiment import prm_title

    n = run.profile.sizes.n
    bon = {name: run.metrics(name)["bon"] for name in names}
    bon = {k: v for k, v in bon.items() if v.get(agg) == v.get(agg)}  # PRMs that were trained
    if not bon:
        return "*No PRM of this table is in the run.*"
    maj = next(iter(bon.values()))["maj"]
    best = max(bon, key=lambda k: bon[k][agg])
    paper_maj = paper("lessons_table6_bon_released_prms", "maj@8", "Avg.", by="Setting")
    above = [k for k, v in bon.items() if v[agg] >= maj]
    where = ("every one of them is below it, so these Best-of-N comparisons are among selectors weaker than a "
             "vote" if not above else f"{len(above)} of {len(bon)} reach it")
    return (f"Majority voting over the same {n} candidates, with no PRM, reaches **{r1(maj)}** (maj@{n}); the "
            f"best of these PRMs reaches {r1(bon[best][agg])} ({prm_title(best, run.profile.sizes.k)}): {where}. In the paper, "
            f"maj@8 is {paper_maj} (Table 6), level with its PRMs.")
