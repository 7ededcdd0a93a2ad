"""``prmlib.prm.train`` split into config, data, model and metrics modules: old imports still work."""

from __future__ import annotations

import importlib

import pytest

import prmlib.prm
from prmlib.prm import config, data, metrics, model, train

# every prmlib name that ``prmlib.prm.train`` defined before the split, and where it lives now
HOMES = {
    config: ["PRMTrainConfig", "DEFAULT_SEPARATOR", "DEFAULT_TINY", "LABEL_TYPES"],
    data: ["as_stepwise_dataset", "split_by_prompt", "tokenize_stepwise", "_tokenize_row"],
    model: ["ensure_separator_token", "load_prm_base", "build_tiny_base", "_dtype"],
    metrics: ["margin_for_metrics", "step_accuracy"],
    train: ["train_prm", "_train", "TrainResult", "build_prm_config", "CONFIG_FILENAME", "METRICS_FILENAME",
            "FORMAT_FILENAME", "logger"],
}


@pytest.mark.parametrize("home", list(HOMES), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_old_names_importable_from_train(home):
    for name in HOMES[home]:
        assert getattr(train, name) is getattr(home, name), name


def test_resolve_config_kept_under_its_old_name():
    assert train._resolve_config is config.resolve_config
    cfg = config.resolve_config({"learning_rate": "1e-3"}, "soft", {"seed": 3})
    assert (cfg.learning_rate, cfg.label_type, cfg.seed) == (1e-3, "soft", 3)
    base = config.PRMTrainConfig(seed=1)
    assert config.resolve_config(base, None, {}) is base


def test_lazy_names_of_the_package():
    for name, module in prmlib.prm._LAZY.items():
        home = importlib.import_module(module)
        assert getattr(prmlib.prm, name) is getattr(home, name)
        if hasattr(train, name):
            assert getattr(prmlib.prm, name) is getattr(train, name)
    assert set(prmlib.prm.__all__) == set(prmlib.prm._LAZY)


def test_loss_log_keeps_the_logged_losses_only():
    history = [{"loss": 0.7, "grad_norm": 1.5, "learning_rate": 1e-3, "epoch": 0.5, "step": 10},
               {"loss": 0.4, "learning_rate": 5e-4, "epoch": 1.0, "step": 20, "grad_norm": None},
               {"train_runtime": 3.0, "train_loss": 0.55, "epoch": 1.0, "step": 20}]
    assert train.loss_log(history) == [
        {"step": 10.0, "epoch": 0.5, "loss": 0.7, "learning_rate": 1e-3, "grad_norm": 1.5},
        {"step": 20.0, "epoch": 1.0, "loss": 0.4, "learning_rate": 5e-4}]
    assert train.loss_log([]) == []
