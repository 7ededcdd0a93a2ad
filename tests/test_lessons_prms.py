"""The PRM names of a run: the fixed PRMs and the hard-label sweep at any threshold below K."""

import pytest

from prmlib.lessons import LessonRun
from prmlib.lessons import display as d
from prmlib.lessons.experiment import PRMS, prm_spec, prm_title, training_seed_of


def test_sweep_names_past_the_default_thresholds(tmp_path):
    run = LessonRun(d.make_profile("smoke", k=16, thresholds=[0, 4, 8, 12]), seed=0, run_dir=str(tmp_path))
    names = run.prm_names()
    assert [n for n in names if n.startswith("mc_hard_t")] == ["mc_hard_t4", "mc_hard_t8", "mc_hard_t12"]
    assert prm_spec("mc_hard_t12") == ("mc_hard", 12, "hard", "recipe")
    assert prm_title("mc_hard_t12", 16) == "MC hard, threshold 12/16"
    assert prm_title("mc_hard_t1", 4) == "MC hard, threshold 1/4"  # the run's K, not the default 8


def test_fixed_prms_and_unknown_names():
    assert prm_spec("mc_soft") == ("mc_soft", 0, "soft", "recipe")
    assert prm_spec("prm800k_like") == ("offpolicy_exact", 0, "hard", "recipe")  # exact labels, another policy
    assert prm_spec("exact_windowed") == ("exact", 0, "hard", "ablation_recipe")
    assert {prm_spec(n)[2] for n in PRMS} == {"hard", "soft"}
    assert prm_title("judge") == "LLM-as-a-judge"
    for bad in ("mc_hard_t0", "mc_hard_t", "mc_soft_t2", "judge2"):
        with pytest.raises(KeyError, match="unknown PRM"):
            prm_spec(bad)


def test_retrained_names():
    assert training_seed_of("mc_hard@2") == ("mc_hard", 2) and training_seed_of("mc_hard") == ("mc_hard", None)
    assert prm_spec("mc_hard_t3@1") == prm_spec("mc_hard_t3")
    assert prm_title("judge@1") == "LLM-as-a-judge (training seed 1)"
    assert prm_title("mc_hard_t3@1", 8) == "MC hard, threshold 3/8 (training seed 1)"
    for bad in ("judge@", "judge@x", "nope@1"):
        with pytest.raises(KeyError, match="unknown PRM"):
            prm_spec(bad)


def test_figure_alt_text_is_one_line(monkeypatch):
    """A two-line title becomes a one-line alt text (the report's Markdown image syntax)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(d, "_display", shown.append)
    ax = plt.subplots()[1]
    ax.set_title("Figure 7: first line\n(second line)")
    d.show_figure(ax)
    assert shown[0].metadata == {"alt": "Figure 7: first line (second line)"}
