"""Every claim of the paper, measured on one run: ``C1_value`` ... ``C11_recipe``.

Each lesson module computes its own claims from the run (the thresholds of "holds" are written in
the claim text and in docs/lessons.md, fixed before any run); this module collects them.
"""

from __future__ import annotations

import math

import pandas as pd

from prmlib.lessons import (
    lesson1_value,
    lesson2_annotation,
    lesson3_consensus,
    lesson4_labels,
    lesson5_bon_bias,
    lesson6_scoring,
    lesson7_recipe,
)
from prmlib.lessons.common import Claim

LESSONS = (lesson1_value, lesson2_annotation, lesson3_consensus, lesson4_labels, lesson5_bon_bias,
           lesson6_scoring, lesson7_recipe)


def _numbers(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _numbers(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _numbers(v)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield float(x)


def all_claims(run) -> list[Claim]:
    """Every claim of the run. A claim whose numbers include NaN (a PRM that could not be trained,
    e.g. no readable judgement) does not hold: it was not measured."""
    why = ("a PRM it needs is not in the store yet" if getattr(run, "stored_only", False)
           else "a PRM it needs could not be trained")
    out: list[Claim] = []
    for lesson in LESSONS:
        for c in lesson.claims(run):
            if not measured(c):
                c.holds = False
                c.ours += f" (not measured: {why})"
            out.append(c)
    return out


def what_if_claims(run, world: str = "no self-correction") -> list[Claim]:
    """Every claim of ``run``'s profile and seed in a what-if world of lesson 4
    (:data:`~prmlib.lessons.lesson4_labels.WHAT_IF`, a policy that recovers less from its mistakes):
    solutions, labels, every PRM and the test sets are sampled and trained afresh there, under
    ``<run folder>/what-if/`` (:func:`~prmlib.lessons.lesson4_labels.what_if_run`). A diagnostic of
    which verdicts the policy's recoveries decide (docs/lessons.md, question 8); the lessons' own
    world is unchanged. Trains ``profile.workers`` PRMs at a time: a script that calls it needs the
    ``if __name__ == "__main__":`` guard. Needs the synthetic world.
    """
    from prmlib.lessons.common import synthetic_policy
    from prmlib.lessons.lesson4_labels import what_if_run

    if synthetic_policy(run) is None:
        raise ValueError("what-if worlds change the synthetic policy's knobs: this run has no synthetic policy")
    other = what_if_run(run, world)  # refuses a world not in WHAT_IF
    try:
        other.train_all()
        return all_claims(other)
    finally:
        other.close()


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """claim / paper / ours / holds, one row per claim."""
    return pd.DataFrame([{"id": c.id, "lesson": c.lesson, "claim": c.claim, "paper": c.paper, "ours": c.ours,
                          "holds": "yes" if c.holds else "no"} for c in claims]).set_index("id")


def measured(claim: Claim) -> bool:
    """False when a number the claim needs is NaN (see :func:`all_claims`)."""
    return not any(math.isnan(v) for v in _numbers(claim.values))


def seeds_table(claims_by_seed: dict[int, list[Claim]]) -> pd.DataFrame:
    """One row per claim, one column per seed: ``yes: <ours>``, ``no: <ours>`` or ``not measured``,
    and a last column counting the seeds where it holds (``2/3``; unmeasured seeds do not count)."""
    seeds = list(claims_by_seed)
    cells: dict[str, dict[str, str]] = {}
    for seed in seeds:
        for c in claims_by_seed[seed]:
            row = cells.setdefault(c.id, {})
            row[f"seed {seed}"] = (("yes: " if c.holds else "no: ") + c.ours) if measured(c) else "not measured"
    t = pd.DataFrame.from_dict(cells, orient="index").reindex(columns=[f"seed {s}" for s in seeds]).fillna("")
    held = {cid: sum(v.startswith("yes") for v in row.values()) for cid, row in cells.items()}
    counted = {cid: sum(v != "not measured" for v in row.values()) for cid, row in cells.items()}
    t["holds"] = [f"{held[cid]}/{counted[cid]}" for cid in t.index]
    t.index.name = "claim"
    return t
