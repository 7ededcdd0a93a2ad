"""Preflight: a profile that cannot run on this machine stops at once, saying why."""

from __future__ import annotations

import time

import pytest

from prmlib.lessons import preflight
from prmlib.lessons.profiles import load_profile


@pytest.fixture(autouse=True)
def _nothing_cached(monkeypatch):
    # no model is in the cache in these tests, whatever this machine's cache holds
    monkeypatch.setattr(preflight, "in_hf_cache", lambda repo_id: False)


@pytest.mark.parametrize("name", ["smoke", "cpu", "cpu-long", "cpu-vllm"])
def test_cpu_profiles_need_nothing_from_outside(name):
    profile = load_profile(name)
    assert not preflight.needs_gpu(profile)
    assert preflight.problems(profile, cuda=False, reachable=False) == []


def test_gpu_profile_without_gpu_models_or_data(monkeypatch):
    monkeypatch.delenv("PRMLIB_DATA_DIR", raising=False)
    profile = load_profile("gpu-small")
    assert preflight.needs_gpu(profile)
    assert preflight.models_of(profile) == {"policy": "Qwen/Qwen2.5-Math-1.5B-Instruct",
                                            "judge": "Qwen/Qwen2.5-7B-Instruct",
                                            "PRM base": "Qwen/Qwen2.5-Math-1.5B-Instruct"}
    found = preflight.problems(profile, cuda=False, reachable=False)
    assert len(found) == 1 + 3 + 1  # the GPU, three models, the data
    assert "no CUDA device" in found[0]
    assert any("judge model 'Qwen/Qwen2.5-7B-Instruct'" in f for f in found)
    assert "PRMLIB_DATA_DIR" in found[-1]
    # with a GPU and the Hub reachable (models download, data from the Hub), nothing is missing
    assert preflight.problems(profile, cuda=True, reachable=True) == []
    with pytest.raises(preflight.PreflightError, match="cannot run on this machine"):
        preflight.require(profile, cuda=False, reachable=False)


def test_local_model_folders_and_data_dir_count(monkeypatch, tmp_path):
    monkeypatch.setenv("PRMLIB_DATA_DIR", str(tmp_path))
    base = load_profile("gpu-small")
    profile = load_profile("gpu-small", policy={**base.policy, "model": str(tmp_path)},
                           judge={**base.judge, "generator": {**base.judge["generator"], "model": str(tmp_path)}},
                           prm={**base.prm, "overrides": {"model": str(tmp_path)}})
    assert preflight.problems(profile, cuda=True, reachable=False) == []


def test_hub_offline_is_unreachable_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    assert preflight.hub_reachable() is False
    assert time.perf_counter() - t0 < 1.0


def test_cli_stops_a_gpu_profile_at_once(monkeypatch, capsys, tmp_path):
    from prmlib.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    t0 = time.perf_counter()
    assert main(["lessons", "--profile", "gpu-small", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot run on this machine" in err and "no CUDA device" in err and "--skip-preflight" in err
    assert main(["run", "--profile", "gpu-small", "--run-dir", str(tmp_path), "--notebooks", "01"]) == 2
    assert "cannot run on this machine" in capsys.readouterr().err
    assert time.perf_counter() - t0 < 60
    assert not any(tmp_path.iterdir())  # nothing was started


def test_notebook_open_run_names_the_missing_pieces(monkeypatch, tmp_path):
    """In a notebook the chain starts in open_run; when it fails and the preflight finds what is
    missing, the error lists it (the library's error stays chained as the cause)."""
    from prmlib.lessons import display
    from prmlib.lessons.experiment import LessonRun

    def fail(self, names=None):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(LessonRun, "train_all", fail)
    monkeypatch.setattr(preflight, "problems", lambda profile, **kw: ["judge model 'X' is not in the cache"])
    with pytest.raises(preflight.PreflightError, match="judge model 'X'") as info:
        display.open_run("smoke", 0, str(tmp_path), banner=False)
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.setattr(preflight, "problems", lambda profile, **kw: [])  # nothing missing: the error as it was
    with pytest.raises(OSError, match="couldn't connect"):
        display.open_run("smoke", 0, str(tmp_path), banner=False)
