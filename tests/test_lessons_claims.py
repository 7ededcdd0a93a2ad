"""The claim-by-seed table: cells say whether each claim held, with our numbers, and unmeasured
claims neither hold nor count."""

from __future__ import annotations

from prmlib.lessons.claims import measured, seeds_table
from prmlib.lessons.common import Claim


def _claim(cid, holds, value):
    return Claim(id=cid, lesson=1, claim="c", paper="p", ours=f"ours {value}", holds=holds, values={"x": value})


def test_seeds_table_cells_and_counts():
    nan = float("nan")
    by_seed = {0: [_claim("C1", True, 1.0), _claim("C2", False, 2.0)],
               1: [_claim("C1", True, 3.0), _claim("C2", False, nan)],
               2: [_claim("C1", False, 5.0), _claim("C2", True, 6.0)]}
    t = seeds_table(by_seed)
    assert list(t.columns) == ["seed 0", "seed 1", "seed 2", "holds"]
    assert list(t.index) == ["C1", "C2"]
    assert t.loc["C1", "seed 0"] == "yes: ours 1.0" and t.loc["C1", "seed 2"] == "no: ours 5.0"
    assert t.loc["C2", "seed 1"] == "not measured"
    assert t.loc["C1", "holds"] == "2/3"
    assert t.loc["C2", "holds"] == "1/2"  # the unmeasured seed is not counted


def test_measured_looks_into_nested_values():
    assert measured(_claim("C1", True, 1.0))
    nested = Claim(id="C6", lesson=4, claim="c", paper="p", ours="o", holds=False,
                   values={"sweep": [[0, 40.0], [1, float("nan")]]})
    assert not measured(nested)
