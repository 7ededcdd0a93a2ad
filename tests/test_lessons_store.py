"""The run store, the profiles and the synthetic sampler behind the lessons."""

from __future__ import annotations

import pytest

from prmlib.lessons.profiles import available_profiles, load_profile
from prmlib.lessons.store import RunStore, stable_hash
from prmlib.synth.sampling import bon_candidates, processbench_set, sample_labelled, split_seed


# -- store ----------------------------------------------------------------------------------
def test_store_reuses_and_invalidates(tmp_path):
    store = RunStore(tmp_path)
    calls = []

    def compute(x):
        calls.append(x)
        return {"value": x * 2}

    k1, v1 = store.json("stage", {"x": 1}, lambda: compute(1))
    k2, v2 = store.json("stage", {"x": 1}, lambda: compute(1))
    assert (k1, v1) == (k2, v2) == (k1, {"value": 2})
    assert calls == [1]  # second call reused
    k3, v3 = store.json("stage", {"x": 2}, lambda: compute(2))
    assert k3 != k1 and v3 == {"value": 4} and calls == [1, 2]
    assert store.summary() == {"reused": 1, "computed": 2}
    assert (tmp_path / "stage" / k1 / "inputs.json").exists()


def test_store_records_where_each_stage_was_computed(tmp_path, monkeypatch):
    """Every finished stage keeps the machine and code that computed it (not in its key: a store
    copied to another machine is reused), and made_by counts them, older stages included."""
    import json

    from prmlib.lessons import provenance
    from prmlib.lessons.store import NOT_RECORDED

    store = RunStore(tmp_path)
    k1, _ = store.json("stage", {"x": 1}, lambda: 1)
    here = provenance.machine()
    made = json.loads((tmp_path / "stage" / k1 / "made.json").read_text())
    assert made["machine"] == here and made["code"] == provenance.code_version()
    assert made["seconds"] >= 0 and made["finished"]
    # another machine, same inputs: the stage is reused, not recomputed, and keeps its first machine
    monkeypatch.setattr(provenance, "machine", lambda: "machine B")
    assert store.json("stage", {"x": 1}, lambda: 2) == (k1, 1)
    store.json("stage", {"x": 2}, lambda: 2)
    old = tmp_path / "stage" / store.key("stage", {"x": 3})
    store.json("stage", {"x": 3}, lambda: 3)
    (old / "made.json").unlink()  # a stage from before made.json existed
    (tmp_path / "other" / "unfinished").mkdir(parents=True)  # no DONE: not counted
    by = store.made_by()
    assert by["machine"] == {here: 1, "machine B": 1, NOT_RECORDED: 1}
    assert by["code"] == {provenance.code_version(): 2, NOT_RECORDED: 1}


def test_report_says_where_the_stored_stages_were_computed():
    from collections import Counter

    from prmlib.lessons.report import made_by_note

    here = Counter({"A": 3})
    assert made_by_note({"machine": here, "code": Counter({"git 1": 3})}, "A") == (
        "the store's 3 stages: all recorded ones on this machine, by 1 code version (git 1: 3)")
    mixed = {"machine": Counter({"A": 2, "B": 5, "not recorded": 1}),
             "code": Counter({"git 1": 6, "git 2": 1, "not recorded": 1})}
    assert made_by_note(mixed, "A") == (
        "the store's 8 stages: 5 computed on another machine (B: 5), 1 from before the store recorded where "
        "a stage was computed, by 2 code versions (git 1: 6; git 2: 1)")
    assert made_by_note({"machine": Counter(), "code": Counter()}, "A") == "the store holds no finished stage"


def test_store_key_ignores_dict_order():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})


def test_store_interrupted_stage_is_redone(tmp_path):
    store = RunStore(tmp_path)

    def boom():
        raise KeyboardInterrupt  # a kill in the middle of the computation

    with pytest.raises(KeyboardInterrupt):
        store.json("stage", {"x": 1}, boom)
    key = store.key("stage", {"x": 1})
    assert not store.done("stage", key)
    assert not list((tmp_path / "stage").glob("*"))  # nothing half-written left behind
    # a temporary folder left by a process that was killed hard is cleaned up and redone
    (tmp_path / "stage" / f"{key}.tmp-999999").mkdir()
    _, value = store.json("stage", {"x": 1}, lambda: [1, 2, 3])
    assert value == [1, 2, 3]
    assert not list((tmp_path / "stage").glob("*.tmp-*"))


def test_store_datasets_and_models(tmp_path):
    store = RunStore(tmp_path)
    _, ds = store.dataset("rows", {"n": 2}, lambda: [{"a": 1}, {"a": 2}])
    assert ds["a"] == [1, 2]
    _, empty = store.dataset("rows", {"n": 0}, list)
    assert len(empty) == 0
    _, again = store.dataset("rows", {"n": 0}, lambda: pytest.fail("recomputed"))
    assert len(again) == 0
    _, folder = store.model("prm", {"m": 1}, lambda d: (d / "weights.bin").write_text("w"))
    assert (folder / "weights.bin").read_text() == "w"


# -- profiles -------------------------------------------------------------------------------
def test_shipped_profiles_load():
    names = available_profiles()
    for name in ("smoke", "cpu", "cpu-long", "cpu-vllm", "gpu-small", "paper"):
        assert name in names
        p = load_profile(name)
        assert p.name == name
        assert p.recipe_path().exists(), f"{name}: recipe {p.recipe_path()} missing"
        assert 0 in p.mc["thresholds"]


def test_profile_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="shipped profiles"):
        load_profile("no-such-profile")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nprm: {recipe: lessons_cpu.yaml}\nsizez: {}\n")
    with pytest.raises(ValueError, match="unknown profile keys"):
        load_profile(bad)
    own = tmp_path / "own.yaml"
    own.write_text("name: own\nprm: {recipe: lessons_cpu.yaml}\nsizes: {k: 8, n: 4}\nmc: {thresholds: [0, 2]}\n")
    with pytest.raises(ValueError, match="thresholds"):
        load_profile(own, mc={"thresholds": [1, 2]})
    with pytest.raises(ValueError, match="thresholds"):
        load_profile(own, sizes={"k": 2})  # threshold 2 needs K >= 3
    with pytest.raises(ValueError, match="sizes.k"):
        load_profile(own, sizes={"k": 0})
    merged = load_profile(own, sizes={"k": 5})
    assert (merged.sizes.k, merged.sizes.n) == (5, 4)  # sizes entries merge; the others stay


# -- sampler --------------------------------------------------------------------------------
def test_sampler_is_deterministic_and_labelled():
    a = sample_labelled(5, levels=[1, 4], seed=3)
    b = sample_labelled(5, levels=[1, 4], seed=3)
    assert [s.text for s in a] == [s.text for s in b]
    assert {s.meta["difficulty"] for s in a} == {1, 4}
    for s in a:
        fe = s.meta["first_error"]
        assert s.labels == [fe < 0 or i < fe for i in range(len(s.steps))]
    c = sample_labelled(5, levels=[1, 4], seed=4)
    assert [s.problem for s in a] != [s.problem for s in c]
    assert split_seed(0, "train", 1) != split_seed(0, "test", 1) != split_seed(1, "train", 1)


def test_test_sets_are_balanced_and_held_out():
    train = sample_labelled(30, levels=[1, 5], seed=0)
    seen = {s.problem for s in train}
    pb = processbench_set(6, levels=[1, 5], seed=0, exclude=seen)
    assert set(pb) == {"level-1", "level-5"}
    for rows in pb.values():
        assert sum(r["label"] >= 0 for r in rows) == sum(r["label"] < 0 for r in rows) == 6
        assert not seen & {r["problem"] for r in rows}
        assert all(len(r["steps"]) > 0 and "final_answer_correct" in r for r in rows)
    bon = bon_candidates(3, n=4, levels=[1, 5], seed=0, exclude=seen)
    assert len(bon) == 6 and all(len(r["responses"]) == 4 == len(r["first_errors"]) for r in bon)
    assert not seen & {r["problem"] for r in bon}


def test_store_leaves_a_live_process_alone(tmp_path):
    """A second process computing the same stage neither deletes the first one's work in progress
    nor fails when the first one finishes first."""
    import os
    import subprocess
    import sys

    store = RunStore(tmp_path)
    key = store.key("stage", {"x": 1})
    (tmp_path / "stage").mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / "stage" / f"{key}.tmp-{sleeper.pid}"
        live.mkdir()

        def finish_first():  # the other process completes while we compute
            other = RunStore(tmp_path)
            other._compute("stage", {"x": 1}, lambda d: (d / "data.json").write_text("[1]"))
            return [2]

        _, value = store.json("stage", {"x": 1}, finish_first)
        assert value == [1]  # the finished artifact wins; ours is discarded
        assert live.exists()  # the live process's folder was not touched
    finally:
        sleeper.kill()
        sleeper.wait()
    assert os.path.exists(tmp_path / "stage" / key / "DONE")


# -- parallel trainings ----------------------------------------------------------------------
def test_unguarded_script_gets_a_clear_error(tmp_path):
    """A script that starts trainings without the main guard: its spawned processes die at start
    (they import the script again), and the error names the guard instead of only 'terminated
    abruptly'. The jobs are never run, so they need no content."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("from prmlib.lessons.training import run_jobs\n"
                      "run_jobs([{'name': 'a'}, {'name': 'b'}], workers=2, progress=False)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False,
                          cwd=tmp_path)
    assert proc.returncode != 0
    assert "training or scoring PRM" in proc.stderr
    assert 'if __name__ == \\"__main__\\"' in proc.stderr or 'if __name__ == "__main__"' in proc.stderr


def test_read_only_store_reads_what_is_there_and_computes_nothing(tmp_path):
    RunStore(tmp_path / "run").json("mc", {"k": 8}, lambda: {"counts": [1, 2]})
    ro = RunStore(tmp_path / "run", read_only=True)
    assert ro.json("mc", {"k": 8}, lambda: pytest.fail("computed"))[1] == {"counts": [1, 2]}
    with pytest.raises(LookupError, match="read-only"):
        ro.json("mc", {"k": 16}, lambda: pytest.fail("computed"))
    assert sorted(p.name for p in (tmp_path / "run" / "mc").iterdir()) == [RunStore(tmp_path / "run").key("mc", {"k": 8})]
    with pytest.raises(LookupError):
        RunStore(tmp_path / "elsewhere", read_only=True).json("mc", {"k": 8}, dict)
    assert not (tmp_path / "elsewhere").exists()
