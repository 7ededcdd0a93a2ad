"""The claims of each seed of a profile, kept beside its store, so a report can show every seed.

``prmlib lessons`` and ``prmlib run`` end by recording the verdicts they computed in
``runs/<profile>/seed-<S>/claims.json`` (merged into what is there, so a run of a few notebooks
updates only its own claims). ``prmlib run`` records only runs with the profile's own settings: a
run with knobs (``-p k=16``) is another experiment, and neither records nor shows the table. A
report then reads the files of every seed of the profile and shows one table: claim by seed, with
the count of seeds where it holds. A verdict is one seed's; this is how a reader sees
which ones are stable.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from prmlib.lessons.provenance import code_version, machine

FILE = "claims.json"


def record(root: str | Path, claims: list[dict[str, Any]], knobs: dict[str, Any] | None = None) -> Path:
    """Merge ``claims`` (dicts with ``id``, ``holds``, ``ours``, ``paper``) into ``<root>/claims.json``,
    each with the time, the code (:func:`~prmlib.lessons.provenance.code_version`) and the machine
    (:func:`~prmlib.lessons.provenance.machine`) that computed it; a claim that was not measured (a PRM missing from a stored-only run) is not recorded."""
    path = Path(root) / FILE
    knobs = dict(knobs or {})
    old: dict[str, Any] = {}
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):  # a broken file is replaced
            old = {}
    entries = old.get("claims", {}) if old.get("knobs", {}) == knobs else {}
    at = _dt.datetime.now().isoformat(timespec="seconds")
    code = code_version()  # which code computed the verdict (entries of earlier runs keep theirs)
    where = machine()  # and where: trained weights can differ between CPUs (docs/lessons.md, "Across machines")
    for c in claims:
        if "(not measured" in str(c.get("ours", "")):  # no verdict: keep what an earlier run measured
            continue
        entries[str(c["id"])] = {"holds": bool(c["holds"]), "ours": str(c.get("ours", "")),
                                 "paper": str(c.get("paper", "")), "at": at, "code": code, "machine": where}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"knobs": knobs, "claims": entries}, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def collect(profile_dir: str | Path, knobs: dict[str, Any] | None = None) -> dict[int, dict[str, Any]]:
    """``{seed: {claim id: entry}}`` for every ``seed-*/claims.json`` under ``profile_dir`` recorded
    with the same ``knobs``, seeds in order."""
    out: dict[int, dict[str, Any]] = {}
    for path in Path(profile_dir).glob(f"seed-*/{FILE}"):
        try:
            seed = int(path.parent.name.removeprefix("seed-"))
            data = json.loads(path.read_text())
        except (ValueError, OSError, json.JSONDecodeError):
            continue
        if data.get("knobs", {}) == dict(knobs or {}) and data.get("claims"):
            out[seed] = data["claims"]
    return dict(sorted(out.items()))


def table(by_seed: dict[int, dict[str, Any]]) -> pd.DataFrame:
    """One row per claim, one column per seed (``yes`` / ``no`` / empty when that seed has no verdict),
    and ``holds``: on how many of the seeds with a verdict it holds (``2/3``)."""
    ids = sorted({i for entries in by_seed.values() for i in entries}, key=_order)
    cells = {i: {f"seed {s}": ("yes" if e[i]["holds"] else "no") if i in e else "" for s, e in by_seed.items()}
             for i in ids}
    t = pd.DataFrame.from_dict(cells, orient="index")
    t["holds"] = [f"{sum(v == 'yes' for v in row.values())}/{sum(v != '' for v in row.values())}"
                  for row in cells.values()]
    t.index.name = "claim"
    return t


def machines(by_seed: dict[int, dict[str, Any]]) -> dict[int, list[str]]:
    """Per seed, the machines its recorded verdicts were computed on (``"not recorded"`` for entries
    written before the machine was kept), in the order first seen."""
    return {s: list(dict.fromkeys(str(e.get("machine") or "not recorded") for e in entries.values()))
            for s, entries in by_seed.items()}


def _order(claim_id: str) -> tuple[int, int, str]:
    """The reports' order: data checks (``D1`` ...) first, then ``C1`` ... ``C11`` by number."""
    import re

    m = re.match(r"([A-Z])(\d+)", claim_id)
    return (0 if claim_id.startswith("D") else 1, int(m.group(2)) if m else 10**6, claim_id)
