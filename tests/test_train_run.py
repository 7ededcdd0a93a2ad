"""End-to-end PRM training on tiny models: it learns, saves, and the CLI prints its metrics."""

import json
import math
import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from prmlib.tiny import build_tiny_prm, build_tokenizer

NAMES = ["Ann", "Bob", "Cara", "Dan", "Eve", "Finn"]


def toy_rows(n, seed=0):
    """A step is wrong exactly when it counts pears: learnable from the step's own tokens."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        steps, labels = [], []
        for _ in range(rng.randint(1, 4)):
            wrong = rng.random() < 0.3
            steps.append(f"{rng.choice(NAMES)} has {rng.randint(2, 99)} {'pears' if wrong else 'apples'}.")
            labels.append(not wrong)
        rows.append({"prompt": f"Problem {i}: count the fruit.", "completions": steps, "labels": labels,
                     "source": "toy", "index": i})
    return rows


def _tiny_pair(rows):
    tok = build_tokenizer([r["prompt"] for r in rows] + [s for r in rows for s in r["completions"]],
                          vocab_size=320)
    return build_tiny_prm(tok, seed=0), tok


@pytest.mark.parametrize("label_type", ["hard", "soft"])
def test_tiny_prm_learns_the_toy_rule(tmp_path, label_type):
    import torch

    from prmlib.prm.train import CONFIG_FILENAME, METRICS_FILENAME, PRMTrainConfig, read_loss_log, train_prm

    threads = torch.get_num_threads()
    rows = toy_rows(240)
    if label_type == "soft":
        rows = [dict(r, labels=[0.9 if v else 0.1 for v in r["labels"]]) for r in rows]
    model, tok = _tiny_pair(rows)
    res = train_prm(rows, model, label_type=label_type, tokenizer=tok, output_dir=str(tmp_path / "run"),
                    learning_rate=3e-3, num_train_epochs=4, per_device_train_batch_size=16, eval_fraction=0.25,
                    max_length=128, logging_steps=10, seed=0, torch_num_threads=1)
    m = res.metrics
    assert torch.get_num_threads() == threads  # torch_num_threads is restored after training
    assert 40 <= m["global_steps"] <= 80  # a few dozen optimiser steps
    majority = max(m["eval_positive_rate"], 1 - m["eval_positive_rate"])
    assert m["eval_accuracy"] > m["initial_eval_accuracy"]
    assert m["eval_accuracy"] >= 0.95 > majority  # learnt the rule, not the majority class
    assert m["eval_wrong_step_accuracy"] >= 0.9 and m["train_accuracy"] >= 0.95
    assert m["train_labels_lost_to_truncation"] == 0 and m["num_eval_rows"] > 0
    saved = tmp_path / "run"
    assert (saved / "model.safetensors").is_file() and (saved / "tokenizer.json").is_file()
    saved_cfg = PRMTrainConfig.from_yaml(saved / CONFIG_FILENAME)
    assert saved_cfg.label_type == label_type
    assert saved_cfg.model == "<model object>"  # a model passed as an object is not recorded as "tiny"
    fmt = json.loads((saved / "prmlib_prm.json").read_text())
    assert fmt["separator"] == "<extra_0>" and fmt["separator_token_id"] == res.separator_token_id
    assert json.loads((saved / METRICS_FILENAME).read_text())["eval_accuracy"] == pytest.approx(m["eval_accuracy"])
    # the loss every 10 steps, kept with the model: it falls as the rule is learnt
    steps = [e["step"] for e in res.log]
    assert steps == [10.0 * (i + 1) for i in range(m["global_steps"] // 10)]
    assert res.log[-1]["loss"] < 0.5 * res.log[0]["loss"] and all(e["epoch"] > 0 for e in res.log)
    assert read_loss_log(saved) == res.log and read_loss_log(tmp_path) is None

    # the saved model reloads and scores the separator positions like the trained one
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tok2 = AutoTokenizer.from_pretrained(saved)
    model2 = AutoModelForTokenClassification.from_pretrained(saved).eval()
    assert model2.config.prm_step_separator == "<extra_0>"
    assert tok2.convert_tokens_to_ids("<extra_0>") == res.separator_token_id == model2.config.prm_step_token_id
    ids = tok2("Problem 0: count.Ann has 5 apples.<extra_0>Bob has 7 pears.<extra_0>",
               add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        probs = model2(input_ids=ids).logits.softmax(-1)[0, :, 1]
    at_sep = probs[ids[0] == res.separator_token_id]
    assert at_sep[0] > 0.5 > at_sep[1]


def test_cli_train_on_synthetic_source(tmp_path, capsys):
    pytest.importorskip("prmlib.synth")
    from prmlib.cli import main

    out_dir = tmp_path / "cli"
    config = Path(__file__).resolve().parents[1] / "prmlib" / "configs" / "tiny_cpu.yaml"
    code = main(["train", "--config", str(config), "--data",
                 "synthetic:n=12,difficulty=1-2,seed=1", "--output-dir", str(out_dir),
                 "--set", "max_steps=3", "--set", "eval_fraction=0.25"])
    assert code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    metrics = json.loads(last)
    assert metrics["output_dir"] == str(out_dir) and metrics["global_steps"] == 3
    # 24 solutions, a quarter held out whole; tiny_cpu.yaml trains on one row per step (step_rows)
    assert metrics["num_eval_rows"] == 6 and metrics["num_train_rows"] >= 18
    assert metrics["num_train_rows"] == metrics["num_train_labels"]
    assert isinstance(metrics["eval_accuracy"], float) and "train_accuracy" in metrics
    assert (out_dir / "prm_train_config.yaml").is_file() and (out_dir / "metrics.json").is_file()


def test_tiny_prm_learns_to_find_wrong_steps_in_the_synthetic_world(tmp_path, capsys):
    """The shipped CPU recipe (tiny_cpu.yaml) on exactly labelled synthetic solutions (difficulty
    1-2): held-out step accuracy rises above both the untrained model and the majority class, and
    the model finds a share of the wrong steps it could not find before (about 20 s on 1 thread)."""
    pytest.importorskip("prmlib.synth")
    from prmlib.cli import main

    config = Path(__file__).resolve().parents[1] / "prmlib" / "configs" / "tiny_cpu.yaml"
    code = main(["train", "--config", str(config), "--data", "synthetic:n=1000,difficulty=1-2,seed=0",
                 "--output-dir", str(tmp_path / "run"), "--set", "num_train_epochs=5",
                 "--set", "eval_fraction=0.2"])
    assert code == 0
    m = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert m["num_eval_rows"] == 400 and m["eval_num_step_labels"] > 800

    def balanced(prefix):
        return (m[f"{prefix}correct_step_accuracy"] + m[f"{prefix}wrong_step_accuracy"]) / 2

    majority = max(m["eval_positive_rate"], 1 - m["eval_positive_rate"])
    assert m["eval_accuracy"] > max(majority, m["initial_eval_accuracy"]) + 0.01
    assert m["eval_wrong_step_accuracy"] >= 0.25
    assert balanced("eval_") >= 0.6 and balanced("eval_") >= balanced("initial_eval_") + 0.1


def test_cli_reads_jsonl_and_names_bad_lines(tmp_path):
    from prmlib.prm.cli_train import load_stepwise_source

    good = tmp_path / "rows.jsonl"
    good.write_text("\n".join(json.dumps(r) for r in toy_rows(3)) + "\n")
    rows, held = load_stepwise_source(str(good))
    assert len(rows) == 3 and held is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(toy_rows(1)[0]) + "\n{oops\n")
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        load_stepwise_source(str(bad))


def test_load_from_disk_source(tmp_path):
    from datasets import Dataset, DatasetDict

    from prmlib.prm.cli_train import load_stepwise_source

    DatasetDict({"train": Dataset.from_list(toy_rows(4)), "test": Dataset.from_list(toy_rows(2, seed=1))}
                ).save_to_disk(str(tmp_path / "dd"))
    train, held = load_stepwise_source(str(tmp_path / "dd"))
    assert len(train) == 4 and len(held) == 2


def test_scoring_adapter_rebuilds_the_training_tokenisation(tmp_path):
    """The scorer (prmlib.prm.adapters) must read the separators the trainer labelled."""
    adapters = pytest.importorskip("prmlib.prm.adapters.trl")
    from trl.experimental.prm import PRMTrainer

    from prmlib.prm.train import train_prm

    rows = toy_rows(30)
    model, tok = _tiny_pair(rows)
    train_prm(rows, model, tokenizer=tok, output_dir=str(tmp_path / "m"), max_steps=1, eval_fraction=0.0,
              train_metrics_max_rows=0, torch_num_threads=1)
    adapter = adapters.TRLStepAdapter.from_model_dir(tmp_path / "m")
    for row in rows:
        [inp] = adapter.encode(tok, row["prompt"], row["completions"])
        ref = PRMTrainer.tokenize_row(row, tok, "<extra_0>", None, None, False, True)
        assert inp.input_ids == ref["input_ids"]
        assert inp.positions == [i for i, lab in enumerate(ref["labels"]) if lab != -100]


def test_how_often_the_loss_is_logged_does_not_change_the_model():
    """The lessons log every training's loss at their own rate, outside the store key: that is
    only right if logging leaves the trained weights as they are."""
    import torch

    from prmlib.prm.train import train_prm

    rows = toy_rows(60)
    weights = []
    for every in (1, 0.5):  # each step; twice in the run
        model, tok = _tiny_pair(rows)
        res = train_prm(rows, model, label_type="hard", tokenizer=tok, save=False, learning_rate=3e-3,
                        num_train_epochs=1, per_device_train_batch_size=8, eval_fraction=0.0, max_length=128,
                        logging_steps=every, seed=0, torch_num_threads=1, train_metrics_max_rows=0)
        weights.append(res.model.state_dict())
        steps = res.metrics["global_steps"]
        assert len(res.log) == (steps if every == 1 else steps // math.ceil(steps * every))
    for name, w in weights[0].items():
        assert torch.equal(w, weights[1][name]), name
