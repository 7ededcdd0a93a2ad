"""Choosing an adapter from a hub id / folder, and ``load_prm`` on local tiny models."""

from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip("torch")

from prmlib.prm.adapters import (
    ADAPTERS,
    MathShepherdAdapter,
    QwenORMAdapter,
    QwenPRM800KAdapter,
    QwenPRMAdapter,
    RLHFlowAdapter,
    SkyworkPRMAdapter,
    TRLStepAdapter,
    adapter_for,
    get_adapter,
    load_prm,
    resolve_model_path,
)
from prmlib.tiny import build_tiny_causal_lm, build_tiny_prm, build_tokenizer, save_pretrained_pair

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.mark.parametrize(
    "hub_id, cls",
    [
        ("Qwen/Qwen2.5-Math-PRM-7B", QwenPRMAdapter),
        ("Qwen/Qwen2.5-Math-PRM-72B", QwenPRMAdapter),
        ("Qwen/Qwen2.5-Math-7B-PRM800K", QwenPRM800KAdapter),
        ("Qwen/Qwen2.5-Math-RM-72B", QwenORMAdapter),
        ("peiyi9979/math-shepherd-mistral-7b-prm", MathShepherdAdapter),
        ("Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B", SkyworkPRMAdapter),
        ("Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B", SkyworkPRMAdapter),
        ("RLHFlow/Llama3.1-8B-PRM-Deepseek-Data", RLHFlowAdapter),
        ("RLHFlow/Llama3.1-8B-PRM-Mistral-Data", RLHFlowAdapter),
        ("qwen/qwen2.5-math-prm-7b", QwenPRMAdapter),  # case-insensitive
        ("/models/snapshots/Qwen2.5-Math-PRM-7B", QwenPRMAdapter),  # a local copy named like the release
    ],
)
def test_adapter_for_hub_ids(hub_id, cls):
    assert type(adapter_for(hub_id)) is cls


def test_every_adapter_is_registered_with_defaults():
    assert set(ADAPTERS) == {"prmlib", "qwen2.5-math-prm", "qwen2.5-math-prm800k", "qwen2.5-math-rm",
                             "math-shepherd", "skywork-prm", "rlhflow-prm"}
    for name, cls in ADAPTERS.items():
        assert cls.name == name
        assert type(get_adapter(name)) is cls
        if cls.hub_ids:
            assert resolve_model_path(name) == cls.hub_ids[0]
    assert resolve_model_path("runs/x") == "runs/x"
    with pytest.raises(ValueError, match="unknown adapter"):
        get_adapter("no-such-format")


def test_local_folder_formats(tmp_path):
    tok = build_tokenizer()
    ours = save_pretrained_pair(build_tiny_prm(tok), tok, tmp_path / "ours")
    assert type(adapter_for(str(ours))) is TRLStepAdapter
    TRLStepAdapter(separator="\n", prompt_template="Q: {problem}\n").save_to_model_dir(ours)
    found = adapter_for(str(ours))
    assert (found.separator, found.prompt_template) == ("\n", "Q: {problem}\n")
    # a checkpoint declaring the Qwen PRM architecture gets the Qwen format
    qwen = save_pretrained_pair(build_tiny_prm(tok), tok, tmp_path / "some-qwen-prm")
    cfg = json.loads((qwen / "config.json").read_text())
    cfg["architectures"] = ["Qwen2ForProcessRewardModel"]
    (qwen / "config.json").write_text(json.dumps(cfg))
    assert type(adapter_for(str(qwen))) is QwenPRMAdapter


@pytest.mark.parametrize("arch", ["MistralForCausalLM", "Qwen2ForRewardModel", "LlamaForSequenceClassification"])
def test_local_released_checkpoint_of_unknown_format_asks_for_an_adapter(tmp_path, arch):
    """A local copy of a released model (say a hub cache snapshot, named by its hash) must not be
    read in our own format: its head would be randomly initialised."""
    tok = build_tokenizer()
    path = save_pretrained_pair(build_tiny_causal_lm(tok), tok, tmp_path / "snapshots" / "3f1c2a")
    cfg = json.loads((path / "config.json").read_text())
    cfg["architectures"] = [arch]
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="adapter=.*math-shepherd"):
        adapter_for(str(path))
    with pytest.raises(ValueError, match=arch):
        load_prm(str(path), device="cpu")
    # naming the format works
    assert type(adapter_for("math-shepherd")) is MathShepherdAdapter
    assert load_prm(str(path), adapter="math-shepherd", device="cpu").adapter.name == "math-shepherd"


def test_local_folder_without_config_asks_for_an_adapter(tmp_path):
    with pytest.raises(ValueError, match="no config.json in the folder"):
        adapter_for(str(tmp_path))


def test_unknown_hub_id_is_judged_by_its_config(monkeypatch, caplog):
    """A hub id not in the registry: its config.json decides (as fetched for from_pretrained);
    one that cannot be read falls back to our format, with a warning."""
    import logging

    from prmlib.prm.adapters import registry

    configs = {"someone/causal-lm": ["MistralForCausalLM"], "someone/qwen-prm": ["Qwen2ForProcessRewardModel"],
               "someone/our-prm": ["Qwen2ForTokenClassification"]}
    monkeypatch.setattr(registry, "read_architectures", lambda path, **_: configs.get(path, []))
    with pytest.raises(ValueError, match="MistralForCausalLM"):
        adapter_for("someone/causal-lm")
    assert type(adapter_for("someone/qwen-prm")) is QwenPRMAdapter
    assert type(adapter_for("someone/our-prm")) is TRLStepAdapter
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        assert type(adapter_for("runs/my-prm")) is TRLStepAdapter
    assert "could not read the config of runs/my-prm" in caplog.text


def test_load_prm_tiny_models(tmp_path):
    tok = build_tokenizer(extra_tokens=["ки", "+", "-"])
    problem, steps = "What is 2 + 3?", ["2 + 3 = 5.", "The answer is 5."]
    prm = save_pretrained_pair(build_tiny_prm(tok), tok, tmp_path / "prm")
    lm = save_pretrained_pair(build_tiny_causal_lm(tok), tok, tmp_path / "lm")
    for path, adapter in [(prm, None), (prm, "qwen2.5-math-prm"), (prm, "qwen2.5-math-prm800k"),
                          (lm, "math-shepherd"), (lm, "rlhflow-prm")]:
        scorer = load_prm(str(path), adapter=adapter, device="cpu", batch_size=4)
        scores = scorer.score([problem], [steps])[0]
        assert len(scores) == 2 and all(0.0 < s < 1.0 for s in scores), (adapter, scores)
        assert scorer.adapter.name == (adapter or "prmlib")
    with pytest.raises(ValueError, match="unknown backend"):
        load_prm(str(prm), backend="onnx")
