"""Each seed's verdicts kept beside its store, and the report's claim-by-seed table."""

from __future__ import annotations

import json

from prmlib.lessons import seed_claims


def _c(cid, holds, ours="x"):
    return {"id": cid, "holds": holds, "ours": ours, "paper": "p"}


def test_record_merges_and_skips_unmeasured(tmp_path):
    root = tmp_path / "cpu" / "seed-0"
    seed_claims.record(root, [_c("C1", True), _c("C2", False)])
    # a later run of one notebook updates only its claims; an unmeasured claim keeps the old verdict
    seed_claims.record(root, [_c("C2", True), _c("C1", False, "(not measured: a PRM it needs is not in the store yet)")])
    data = json.loads((root / "claims.json").read_text())
    assert data["knobs"] == {}
    assert {k: v["holds"] for k, v in data["claims"].items()} == {"C1": True, "C2": True}
    # other knobs replace the file: their verdicts are of another experiment
    seed_claims.record(root, [_c("C3", False)], {"k": 16})
    data = json.loads((root / "claims.json").read_text())
    assert data["knobs"] == {"k": 16} and list(data["claims"]) == ["C3"]


def test_collect_and_table(tmp_path):
    prof = tmp_path / "cpu"
    seed_claims.record(prof / "seed-2", [_c("C1", True), _c("C2", False)])
    seed_claims.record(prof / "seed-0", [_c("C1", True), _c("C2", True), _c("D1", True)])
    seed_claims.record(prof / "seed-1", [_c("C1", False)], {"k": 16})  # other knobs: not this experiment
    (prof / "seed-x").mkdir()
    (prof / "seed-x" / "claims.json").write_text("{}")  # not a seed folder: ignored
    by_seed = seed_claims.collect(prof)
    assert list(by_seed) == [0, 2]
    t = seed_claims.table(by_seed)
    assert list(t.columns) == ["seed 0", "seed 2", "holds"]
    assert t.loc["C1"].tolist() == ["yes", "yes", "2/2"]
    assert t.loc["C2"].tolist() == ["yes", "no", "1/2"]
    assert t.loc["D1"].tolist() == ["yes", "", "1/1"]  # a seed without a verdict does not count
    assert list(t.index) == ["D1", "C1", "C2"]  # the reports' order
    assert list(seed_claims.table({0: {"C11_recipe": {"holds": True}, "C2_x": {"holds": True}}}).index) == [
        "C2_x", "C11_recipe"]  # by number, not alphabetically
    assert list(seed_claims.collect(prof, {"k": 16})) == [1]


def test_report_shows_every_seed(tmp_path):
    from prmlib.lessons.report import write_report

    by_seed = {0: {"C1": {"holds": True}, "C2": {"holds": False}}, 1: {"C1": {"holds": False}, "C2": {"holds": False}}}
    md, html = write_report(tmp_path, [], {"profile": "cpu", "seed": 0, "seeds": by_seed})
    text = md.read_text()
    assert "### The same claims on every seed" in text and "| `C1` | yes | no | 1/2 |" in text
    assert "<td class=\"no\">no</td>" in html.read_text()
    # one seed only: no table
    md, _ = write_report(tmp_path, [], {"profile": "cpu", "seed": 0, "seeds": {0: by_seed[0]}})
    assert "every seed" not in md.read_text()


def test_verdicts_keep_their_machine_and_the_report_says_when_seeds_differ(tmp_path):
    from prmlib.lessons.provenance import machine
    from prmlib.lessons.report import write_report

    path = seed_claims.record(tmp_path / "seed-0", [{"id": "C1", "holds": True, "ours": "1", "paper": "2"}])
    entry = json.loads(path.read_text())["claims"]["C1"]
    assert entry["machine"] == machine() and "torch CPU kernels" in entry["machine"]
    same = {0: {"C1": {"holds": True, "machine": "A"}}, 1: {"C1": {"holds": False, "machine": "A"}}}
    assert seed_claims.machines(same) == {0: ["A"], 1: ["A"]}
    md, _ = write_report(tmp_path / "r1", [], {"profile": "cpu", "seed": 0, "seeds": same})
    assert "more than one machine" not in md.read_text()
    mixed = {0: {"C1": {"holds": True, "machine": "A"}}, 1: {"C1": {"holds": False}, "C2": {"holds": True, "machine": "B"}}}
    assert seed_claims.machines(mixed) == {0: ["A"], 1: ["not recorded", "B"]}
    md, _ = write_report(tmp_path / "r2", [], {"profile": "cpu", "seed": 0, "seeds": mixed})
    assert "more than one machine" in md.read_text() and "seed 1: not recorded / B" in md.read_text()
    older = {0: {"C1": {"holds": True, "machine": "A"}}, 1: {"C1": {"holds": False}}}  # not recorded: no claim of a difference
    md, _ = write_report(tmp_path / "r3", [], {"profile": "cpu", "seed": 0, "seeds": older})
    assert "more than one machine" not in md.read_text()
