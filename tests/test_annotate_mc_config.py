"""``MCConfig``: the settings of ``mc_estimate`` as one object; the old keywords keep working."""

from __future__ import annotations

import dataclasses

import pytest

from prmlib.annotate import MCConfig
from prmlib.annotate.inputs import synthetic_solutions
from prmlib.annotate.mc import mc_estimate, mc_settings
from prmlib.synth import SyntheticPolicy


@pytest.fixture(scope="module")
def sols():
    return synthetic_solutions(10, seed=3)


def test_defaults_settings_and_validation():
    cfg = MCConfig()
    assert (cfg.k, cfg.strategy, cfg.threshold, cfg.seed, cfg.final_step, cfg.window) == (
        8, "exhaustive", 0, 0, "grade", 1)
    assert cfg.settings() == mc_settings(8, "exhaustive", 0, 0, "grade")
    assert MCConfig(k=4, seed=2).replace(threshold=3).settings() == mc_settings(4, "exhaustive", 3, 2, "grade")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.k = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="strategy"):
        MCConfig(strategy="greedy")
    with pytest.raises(ValueError, match="final_step"):
        MCConfig(final_step="skip")
    with pytest.raises(ValueError, match="threshold"):
        MCConfig(k=4, threshold=4)
    with pytest.raises(ValueError, match="window"):
        MCConfig(window=0)
    with pytest.raises(ValueError, match="threshold"):
        cfg.replace(k=2, threshold=2)


def test_config_equals_keywords(sols):
    pol = SyntheticPolicy()
    by_config = mc_estimate(sols, pol, config=MCConfig(k=4, strategy="early_stop", threshold=1, seed=3, window=2),
                            show_progress=False)
    by_keywords = mc_estimate(sols, pol, k=4, strategy="early_stop", threshold=1, seed=3, window=2,
                              show_progress=False)
    assert by_config == by_keywords
    assert all((r.k, r.strategy, r.threshold) == (4, "early_stop", 1) for r in by_config)
    # the defaults are MCConfig's
    assert mc_estimate(sols[:3], pol, show_progress=False) == mc_estimate(sols[:3], pol, config=MCConfig(),
                                                                           show_progress=False)


def test_keywords_override_the_config(sols):
    pol = SyntheticPolicy()
    cfg = MCConfig(k=4, strategy="early_stop", seed=5)
    got = mc_estimate(sols[:4], pol, k=2, config=cfg, show_progress=False)
    assert got == mc_estimate(sols[:4], pol, k=2, strategy="early_stop", seed=5, show_progress=False)
    assert {r.k for r in got} == {2}
    assert mc_estimate(sols[:2], pol, 3, show_progress=False)[0].k == 3  # k still positional
    with pytest.raises(ValueError, match="threshold"):
        mc_estimate(sols[:1], pol, threshold=4, config=cfg, show_progress=False)
    with pytest.raises(TypeError, match="MCConfig"):
        mc_estimate(sols[:1], pol, config={"k": 4}, show_progress=False)  # type: ignore[arg-type]
