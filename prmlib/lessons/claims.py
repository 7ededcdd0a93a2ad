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
    out: list[Claim] = []
    for lesson in LESSONS:
        for c in lesson.claims(run):
            if any(math.isnan(v) for v in _numbers(c.values)):
                c.holds = False
                c.ours += " (not measured: a PRM it needs could not be trained)"
            out.append(c)
    return out


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """claim / paper / ours / holds, one row per claim."""
    return pd.DataFrame([{"id": c.id, "lesson": c.lesson, "claim": c.claim, "paper": c.paper, "ours": c.ours,
                          "holds": "yes" if c.holds else "no"} for c in claims]).set_index("id")
