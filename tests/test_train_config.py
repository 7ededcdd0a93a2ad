"""PRMTrainConfig <-> YAML, the shipped configs, and the PRMConfig it builds on CPU."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from prmlib.prm.train import PRMTrainConfig, build_prm_config

CONFIGS = Path(__file__).resolve().parents[1] / "prmlib" / "configs"


def test_yaml_round_trip(tmp_path):
    cfg = PRMTrainConfig(model="some/model", label_type="soft", learning_rate=2.5e-5, num_train_epochs=2,
                         torch_num_threads=1, max_length=777, seed=3, bf16=True, gradient_checkpointing=True,
                         separator="\n\n", tiny={"hidden_size": 128}, training_args={"optim": "adamw_torch"})
    path = cfg.to_yaml(tmp_path / "c.yaml")
    back = PRMTrainConfig.from_yaml(path)
    assert back == cfg
    assert back.separator == "\n\n" and back.tiny["hidden_size"] == 128 and back.tiny["num_hidden_layers"] == 2


def test_unknown_field_and_bad_values_are_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tiny\nlearnig_rate: 0.1\n")
    with pytest.raises(ValueError, match="learnig_rate"):
        PRMTrainConfig.from_yaml(bad)
    with pytest.raises(ValueError, match="label_type"):
        PRMTrainConfig(label_type="fuzzy")
    with pytest.raises(ValueError, match="literal backslash"):
        PRMTrainConfig(separator="\\n\\n")
    for ratio in (1.0, 2, -0.1):  # transformers would read 1.0 as ONE warmup step, not all of them
        with pytest.raises(ValueError, match="warmup_ratio"):
            PRMTrainConfig(warmup_ratio=ratio)
    # YAML 1.1 reads 1e-5 as a string: numbers given that way are converted, nonsense is named
    cfg = PRMTrainConfig(learning_rate="1e-5", warmup_ratio="1e-1", max_steps="20")
    assert (cfg.learning_rate, cfg.warmup_ratio, cfg.max_steps) == (1e-5, 0.1, 20)
    with pytest.raises(ValueError, match="learning_rate must be a number"):
        PRMTrainConfig(learning_rate="fast")
    with pytest.raises(ValueError, match="max_steps must be a whole number"):
        PRMTrainConfig(max_steps="2.5")
    with pytest.raises(FileNotFoundError):
        PRMTrainConfig.from_yaml(tmp_path / "missing.yaml")


@pytest.mark.parametrize("field,value", [
    ("logging_steps", 0), ("logging_steps", -5), ("logging_steps", 2.5), ("learning_rate", 0.0),
    ("num_train_epochs", 0), ("per_device_train_batch_size", 0), ("gradient_accumulation_steps", 0),
    ("max_length", 0)])
def test_bad_schedule_values_are_named_before_training(field, value):
    with pytest.raises(ValueError, match=field):
        PRMTrainConfig(**{field: value})


def test_good_schedule_values_pass():
    # a share of the steps, a whole number given as a float (YAML "50.0"), epochs replaced by max_steps
    assert PRMTrainConfig(logging_steps=0.02).logging_steps == 0.02
    assert PRMTrainConfig(logging_steps=50.0).logging_steps == 50
    assert PRMTrainConfig(num_train_epochs=0, max_steps=10).max_steps == 10
    assert PRMTrainConfig(max_length=None).max_length is None


@pytest.mark.parametrize("name", ["tiny_cpu.yaml", "qwen25_math_7b_gpu.yaml"])
def test_shipped_configs_load(name):
    cfg = PRMTrainConfig.from_yaml(CONFIGS / name)
    assert cfg.separator == "<extra_0>" and cfg.label_type == "hard"
    if name.startswith("qwen"):
        assert cfg.model == "Qwen/Qwen2.5-Math-7B-Instruct" and cfg.bf16 and cfg.gradient_checkpointing
    else:
        assert cfg.model == "tiny" and cfg.bf16 is False and cfg.data.startswith("synthetic:")


def test_cpu_prm_config_has_no_bf16(tmp_path):
    cfg = PRMTrainConfig.from_yaml(CONFIGS / "tiny_cpu.yaml").replace(output_dir=str(tmp_path))
    args = build_prm_config(cfg)
    assert args.bf16 is False and args.use_cpu is True
    assert args.step_separator == "<extra_0>" and args.max_length == cfg.max_length
    assert args.learning_rate == cfg.learning_rate and args.gradient_checkpointing is False
