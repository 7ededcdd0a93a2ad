"""Resumable, sharded jobs; the JSONL store; the TRL stepwise dataset."""

from __future__ import annotations

import dataclasses
import json

import pytest

from prmlib.annotate.dataset import build_stepwise_dataset, stepwise_rows
from prmlib.annotate.inputs import read_solutions, synthetic_solutions
from prmlib.annotate.jobs import run_judge_job, run_mc_job
from prmlib.annotate.store import ResultStore, read_records, shard_of, shard_path
from prmlib.interfaces import Generator
from prmlib.synth import SyntheticJudge, SyntheticPolicy


class CrashingPolicy(Generator):
    """The synthetic policy, dying after ``after`` calls (a job killed mid-way)."""

    def __init__(self, after):
        self.inner = SyntheticPolicy()
        self.after = after
        self.calls = 0

    def sample(self, problems, n, seed=None):
        return self.continue_steps(problems, [[] for _ in problems], n, seed)

    def continue_steps(self, problems, prefixes, k, seed=None):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt("killed")
        return self.inner.continue_steps(problems, prefixes, k, seed)


@pytest.fixture(scope="module")
def sols():
    out, seen = [], set()
    for s in synthetic_solutions(30, seed=5, per_problem=2):  # easy problems repeat solutions
        if (s.problem, tuple(s.steps)) not in seen:
            seen.add((s.problem, tuple(s.steps)))
            out.append(s)
    return out


def _by_key(path):
    return {r["key"]: r for r in read_records(path)}


def test_store_appends_dedups_and_repairs_a_cut_line(tmp_path):
    path = tmp_path / "x.jsonl"
    st = ResultStore(path)
    assert st.append([{"key": "a", "v": 1}, {"key": "b", "v": 2}, {"key": "a", "v": 9}]) == 2
    assert st.append([{"key": "a", "v": 3}]) == 0
    with open(path, "a") as fh:
        fh.write('{"key": "c", "v"')  # a kill in the middle of a write
    assert [r["key"] for r in ResultStore(path, readonly=True).records()] == ["a", "b"]
    assert path.read_text().count("\n") == 2 and not path.read_text().endswith("\n")  # readonly: untouched
    st = ResultStore(path)
    assert path.read_text().endswith("\n") and len(st) == 2
    st.append([{"key": "c", "v": 4}])
    assert [json.loads(x)["key"] for x in path.read_text().splitlines()] == ["a", "b", "c"]
    path.write_text('{"key": "a"}\nnot json\n')
    with pytest.raises(ValueError, match=r"x.jsonl:2"):
        ResultStore(path)
    with pytest.raises(RuntimeError):
        ResultStore(tmp_path / "y.jsonl", readonly=True).append([{"key": "z"}])


def test_mc_job_killed_midway_resumes_to_the_same_result(tmp_path, sols):
    full = run_mc_job(sols, SyntheticPolicy(), tmp_path / "full", strategy="early_stop", batch_size=8,
                      show_progress=False)
    assert full["annotated"] == len(sols) and full["rollouts"] > 0
    with pytest.raises(KeyboardInterrupt):
        run_mc_job(sols, CrashingPolicy(after=150), tmp_path / "resumed", strategy="early_stop", batch_size=8,
                   show_progress=False)
    partial = _by_key(tmp_path / "resumed")
    assert 0 < len(partial) < len(sols)
    again = run_mc_job(sols, SyntheticPolicy(), tmp_path / "resumed", strategy="early_stop", batch_size=8,
                       show_progress=False)
    assert again["already_done"] == len(partial) and again["annotated"] == len(sols) - len(partial)
    want, got = _by_key(tmp_path / "full"), _by_key(tmp_path / "resumed")
    assert got == want
    lines = (tmp_path / "resumed" / "mc.jsonl").read_text().splitlines()
    assert len(lines) == len(sols)  # nothing duplicated
    # duplicated inputs share one record and are sampled once
    dup = run_mc_job(sols[:2] * 2, SyntheticPolicy(), tmp_path / "dup", show_progress=False)
    assert dup["solutions_in_shard"] == 2 and dup["annotated"] == 2
    # a finished job does nothing the third time
    third = run_mc_job(sols, CrashingPolicy(after=0), tmp_path / "resumed", strategy="early_stop",
                       show_progress=False)
    assert third["annotated"] == 0 and third["rollouts"] == 0
    # other settings are other keys
    other = run_mc_job(sols[:3], SyntheticPolicy(), tmp_path / "resumed", strategy="early_stop", k=4,
                       show_progress=False)
    assert other["annotated"] == 3
    # another extraction policy grades the rollouts differently: it is another key, not a reuse
    relabelled = [dataclasses.replace(s, meta={**s.meta, "extraction": "flexible"}) for s in sols[:3]]
    flexible = run_mc_job(relabelled, SyntheticPolicy(), tmp_path / "resumed", strategy="early_stop",
                          show_progress=False)
    assert flexible["annotated"] == 3
    records = [r for r in read_records(tmp_path / "resumed", "mc") if r.get("extraction") == "flexible"]
    assert len(records) == 3


def test_shards_cover_everything_once(tmp_path, sols):
    whole = _by_key(run_mc_job(sols, SyntheticPolicy(), tmp_path / "one", show_progress=False)["output"])
    parts = {}
    for i in range(3):
        s = run_mc_job(sols, SyntheticPolicy(), tmp_path / "three", shard=i, num_shards=3, show_progress=False)
        assert s["output"].endswith(f"mc-{i:05d}-of-00003.jsonl")
        got = _by_key(s["output"])
        assert all(shard_of(k, 3) == i for k in got)
        assert not set(got) & set(parts)
        parts.update(got)
    assert parts == whole
    assert {k: r for k, r in ((r["key"], r) for r in read_records(tmp_path / "three", "mc"))} == whole
    with pytest.raises(ValueError):
        shard_path(tmp_path, "mc", 3, 3)


def test_dataset_schema_consensus_and_labels(tmp_path, sols):
    run_mc_job(sols, SyntheticPolicy(), tmp_path, strategy="exhaustive", show_progress=False)
    js = run_judge_job(sols, SyntheticJudge(), tmp_path, batch_size=7, show_progress=False)
    assert js["judged"] == len(sols) and js["judge_unparseable"] == 0
    mc, jd = read_records(tmp_path, "mc"), read_records(tmp_path, "judge")
    ds, report = build_stepwise_dataset(mc, jd, labels="hard")
    cons = report["consensus"]
    assert cons["total"] == len(sols) and cons["kept"] == len(ds) and 0 < len(ds) < len(sols)
    assert sum(cons["reasons"].values()) == len(sols)
    for name in ("prompt", "completions", "labels", "source", "mc_counts", "judge_index", "difficulty",
                 "rollouts", "tokens", "consensus"):
        assert name in ds.column_names
    for row in ds:
        assert len(row["completions"]) == len(row["labels"])
        fe = row["judge_index"]
        assert row["mc_first_error"] == fe
        assert row["labels"] == ([True] * len(row["labels"]) if fe == -1 else [True] * fe + [False])
        assert row["source"] == "synthetic" and 1 <= row["difficulty"] <= 5
    soft, _ = build_stepwise_dataset(mc, jd, labels="soft", consensus=False)
    assert len(soft) == len(sols) and all(0.0 <= x <= 1.0 for r in soft["labels"] for x in r)
    judge_rows, _ = stepwise_rows(mc, jd, labels="judge", consensus=False)
    assert all(r["labels"] == ([True] * len(r["labels"]) if r["judge_index"] == -1 else
                               [True] * r["judge_index"] + [False]) for r in judge_rows)
    ds.save_to_disk(str(tmp_path / "ds"))
    from datasets import load_from_disk

    back = load_from_disk(str(tmp_path / "ds"))
    assert back[0] == ds[0]
    with pytest.raises(ValueError, match="judge records"):
        stepwise_rows(mc, None, consensus=True)
    # the rows tokenise with TRL's PRM trainer
    from trl.experimental.prm import PRMTrainer

    from prmlib.tiny import build_tokenizer

    tok = build_tokenizer()
    row = ds[0]
    feats = PRMTrainer.tokenize_row(row, tok, "\n", None, None, False, False)
    assert sum(x != -100 for x in feats["labels"]) == len(row["labels"])


def test_early_stop_records_refuse_soft_labels(tmp_path, sols):
    run_mc_job(sols[:6], SyntheticPolicy(), tmp_path, strategy="early_stop", show_progress=False)
    with pytest.raises(ValueError, match="soft labels need complete counts"):
        stepwise_rows(read_records(tmp_path, "mc"), labels="soft", consensus=False)


def test_read_solutions_errors(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"problem": "Q", "response": "a\n\nb \\boxed{1}", "gold": "1", "source": "x"}) + "\n"
                 + json.dumps({"problem": "Q2", "steps": ["s"], "gold": 3}) + "\n")
    a, b = read_solutions(p)
    assert a.steps == ["a", "b \\boxed{1}"] and a.meta == {"source": "x"} and b.gold == "3"
    p.write_text(json.dumps({"problem": "Q", "steps": ["s"]}) + "\n")
    with pytest.raises(ValueError, match=r"in.jsonl:1: field 'gold'"):
        read_solutions(p)
    assert read_solutions(p, require_gold=False)[0].gold is None
    p.write_text(json.dumps({"problem": "Q", "gold": "1"}) + "\n")
    with pytest.raises(ValueError, match="'steps' list or a 'response'"):
        read_solutions(p)
