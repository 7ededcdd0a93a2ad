"""Train a process reward model with TRL's ``PRMTrainer`` (hard or soft step labels).

A PRM here is a 2-class token classifier (class 1 = correct step) read at a separator token
placed after every step. Input rows are TRL stepwise-supervision rows
``{"prompt": str, "completions": [step, ...], "labels": [bool | float, ...]}``; the tokenised
sequence is ``prompt + step_1 + SEP + step_2 + SEP + ...`` (TRL's layout, no chat template) and the
label of step *i* sits on its ``SEP`` token.

The separator (default ``<extra_0>``, as in the released Qwen2.5-Math-PRMs) is made ONE special
token of the tokenizer, added if missing (embeddings resized), so that scoring can rebuild the
exact training tokenisation: with a plain ``"\\n\\n"`` separator, BPE merges it with the step's
last characters and the training positions never occur at inference.

* Hard labels (bool or 0/1) use TRL's own tokenisation, collator and 2-class cross-entropy.
* Soft labels (floats in [0, 1], e.g. the share of Monte Carlo rollouts that reach the gold
  answer) use :mod:`prmlib.prm.soft`: same positions, float targets, BCE on ``logit_1 - logit_0``.

The pieces live in their own modules and are re-exported here: :mod:`prmlib.prm.config`
(:class:`PRMTrainConfig`), :mod:`prmlib.prm.data` (validation, split, tokenisation),
:mod:`prmlib.prm.model` (base model, tiny model, separator token) and :mod:`prmlib.prm.metrics`.

Example::

    from prmlib.prm.train import train_prm
    result = train_prm(rows, "Qwen/Qwen2.5-Math-7B-Instruct", label_type="hard",
                       config="prmlib/configs/qwen25_math_7b_gpu.yaml")
    print(result.metrics["eval_accuracy"])
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prmlib.prm.config import DEFAULT_SEPARATOR, DEFAULT_TINY, LABEL_TYPES, PRMTrainConfig, resolve_config
from prmlib.prm.data import (
    _tokenize_row,  # noqa: F401 (kept importable from here)
    as_stepwise_dataset,
    split_by_prompt,
    tokenize_stepwise,
)
from prmlib.prm.metrics import margin_for_metrics, step_accuracy
from prmlib.prm.model import (
    _dtype,  # noqa: F401 (kept importable from here)
    build_tiny_base,
    ensure_separator_token,
    load_prm_base,
)

__all__ = [  # noqa: RUF022 (grouped by module; the names of config, data, model and metrics are re-exported)
    "train_prm", "TrainResult", "build_prm_config", "CONFIG_FILENAME", "METRICS_FILENAME", "FORMAT_FILENAME",
    "LOG_FILENAME", "loss_log", "read_loss_log",
    "PRMTrainConfig", "DEFAULT_SEPARATOR", "DEFAULT_TINY", "LABEL_TYPES", "resolve_config",
    "as_stepwise_dataset", "split_by_prompt", "tokenize_stepwise",
    "margin_for_metrics", "step_accuracy",
    "build_tiny_base", "ensure_separator_token", "load_prm_base",
]

logger = logging.getLogger(__name__)

CONFIG_FILENAME = "prm_train_config.yaml"
METRICS_FILENAME = "metrics.json"
FORMAT_FILENAME = "prmlib_prm.json"
LOG_FILENAME = "training_log.json"  # the training loss every ``logging_steps`` (read_loss_log)

_resolve_config = resolve_config  # the name before the split (private names stay importable too)


@dataclass
class TrainResult:
    """What :func:`train_prm` returns.

    Attributes:
        output_dir: folder with the saved model, tokenizer, ``prm_train_config.yaml`` and
            ``metrics.json`` (``None`` when saving was switched off).
        metrics: flat dict: ``train_*`` (on a training subset after training), ``eval_*``,
            ``initial_eval_*`` (untrained model), ``train_seconds``, ``training_loss`` (mean loss
            during training), label and truncation counts.
        config: the resolved configuration.
        separator_token_id: id of the separator token in the saved tokenizer.
        model, tokenizer: the trained model and its tokenizer (not serialised).
        log: the training loss as logged every ``logging_steps`` (:func:`loss_log`), saved as
            ``training_log.json``.
    """

    output_dir: str | None
    metrics: dict[str, Any]
    config: PRMTrainConfig
    separator_token_id: int
    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)
    log: list[dict[str, float]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model and tokenizer, JSON-ready."""
        return {"output_dir": self.output_dir, "separator_token_id": self.separator_token_id,
                "metrics": self.metrics, "config": self.config.to_dict(), "log": self.log}


def loss_log(log_history: list[dict[str, Any]]) -> list[dict[str, float]]:
    """The training-loss entries of a trainer's ``state.log_history``: one dict per logging step
    with ``step``, ``epoch``, ``loss`` (mean over the steps since the previous entry) and, when
    logged, ``learning_rate`` and ``grad_norm``. The final summary entry (``train_loss``) is left
    out."""
    keep = ("step", "epoch", "loss", "learning_rate", "grad_norm")
    return [{k: float(e[k]) for k in keep if e.get(k) is not None} for e in log_history if "loss" in e]


def read_loss_log(model_dir: str | os.PathLike) -> list[dict[str, float]] | None:
    """The saved loss log of a trained PRM folder; ``None`` when it has none (PRMs trained before
    the log was kept, or released PRMs)."""
    path = Path(model_dir) / LOG_FILENAME
    return json.loads(path.read_text()) if path.is_file() else None


# -- training -----------------------------------------------------------------------------------
def build_prm_config(cfg: PRMTrainConfig):
    """The ``trl.experimental.prm.PRMConfig`` for a :class:`PRMTrainConfig`."""
    import torch
    from trl.experimental.prm import PRMConfig

    cuda = torch.cuda.is_available()
    use_cpu = (not cuda) if cfg.use_cpu is None else bool(cfg.use_cpu)
    bf16 = (cuda and not use_cpu and torch.cuda.is_bf16_supported()) if cfg.bf16 is None else bool(cfg.bf16)
    kwargs: dict[str, Any] = {
        "output_dir": cfg.output_dir, "learning_rate": cfg.learning_rate, "num_train_epochs": cfg.num_train_epochs,
        "max_steps": cfg.max_steps, "per_device_train_batch_size": cfg.per_device_train_batch_size,
        "per_device_eval_batch_size": cfg.per_device_eval_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps, "warmup_steps": cfg.warmup_ratio,
        "weight_decay": cfg.weight_decay, "lr_scheduler_type": cfg.lr_scheduler_type, "max_length": cfg.max_length,
        "max_completion_length": cfg.max_completion_length, "step_separator": cfg.separator,
        "train_on_last_step_only": cfg.train_on_last_step_only or cfg.step_rows is not None
        or cfg.prefix_rows is not None,
        "seed": cfg.seed, "data_seed": cfg.seed,
        "bf16": bf16, "use_cpu": use_cpu, "gradient_checkpointing": cfg.gradient_checkpointing,
        "logging_steps": cfg.logging_steps, "save_strategy": cfg.save_strategy, "save_steps": cfg.save_steps,
        "eval_strategy": "no", "report_to": "none", "dataset_num_proc": cfg.dataset_num_proc,
        "remove_unused_columns": False,
    }
    kwargs.update(cfg.training_args)
    return PRMConfig(**kwargs)


def train_prm(
    dataset: Any,
    base_model: Any = None,
    label_type: str | None = None,
    config: PRMTrainConfig | Mapping[str, Any] | str | os.PathLike | None = None,
    *,
    tokenizer: Any = None,
    eval_dataset: Any = None,
    save: bool = True,
    **overrides: Any,
) -> TrainResult:
    """Train a PRM on stepwise rows with TRL's ``PRMTrainer`` (hard) or :class:`SoftPRMTrainer`.

    Args:
        dataset: stepwise rows (``datasets.Dataset``, list of dicts, or labelled ``Solution``\\ s);
            extra columns are ignored.
        base_model: hub id / path (a 2-class head is added), a ``(model, tokenizer)`` pair, a model
            object (pass ``tokenizer=``), or ``None`` to use ``config.model`` (``"tiny"`` builds a
            tiny Qwen2 and a tokenizer trained on the data).
        label_type: ``"hard"`` or ``"soft"``; ``None`` keeps the config's.
        config: a :class:`PRMTrainConfig`, a dict of its fields, or a YAML path.
        tokenizer: the tokenizer of a model object.
        eval_dataset: held-out rows; otherwise ``config.eval_fraction`` of the prompts is split off.
        save: write model, tokenizer, config YAML and ``metrics.json`` to ``config.output_dir``.
        **overrides: any :class:`PRMTrainConfig` field.

    Returns:
        A :class:`TrainResult`.
    """
    import torch

    cfg = resolve_config(config, label_type, overrides)
    threads = torch.get_num_threads()
    if cfg.torch_num_threads:
        torch.set_num_threads(cfg.torch_num_threads)
    try:
        return _train(dataset, base_model, cfg, tokenizer, eval_dataset, save)
    finally:
        torch.set_num_threads(threads)


def _train(dataset, base_model, cfg: PRMTrainConfig, tokenizer, eval_dataset, save: bool) -> TrainResult:
    import torch
    from accelerate import PartialState
    from transformers import DataCollatorForTokenClassification, set_seed
    from trl.experimental.prm import PRMTrainer

    from prmlib.prm.soft import SoftLabelCollator, _soft_trainer_class

    set_seed(cfg.seed)
    train_ds = as_stepwise_dataset(dataset, cfg.label_type, name="training data")
    eval_ds = as_stepwise_dataset(eval_dataset, cfg.label_type, name="eval data") if eval_dataset is not None else None
    if eval_ds is None and cfg.eval_fraction > 0:
        train_ds, eval_ds = split_by_prompt(train_ds, cfg.eval_fraction, cfg.seed)

    # model + tokenizer
    if base_model is None or isinstance(base_model, (str, os.PathLike)):
        name = str(base_model) if base_model is not None else cfg.model
        cfg = cfg.replace(model=name)
        if name == "tiny":
            texts = [p for p in train_ds["prompt"]] + [s for steps in train_ds["completions"] for s in steps]
            model, tok = build_tiny_base(texts, cfg.tiny, seed=cfg.seed)
        else:
            model, tok = load_prm_base(name, cfg.tokenizer, cfg.model_dtype)
    else:
        model, tok = base_model if isinstance(base_model, tuple) else (base_model, tokenizer)
        # a model object: record where it came from in the saved config, not the default "tiny"
        cfg = cfg.replace(model=getattr(model.config, "_name_or_path", "") or "<model object>")
    if tok is None:
        raise ValueError("a model object needs its tokenizer: pass tokenizer=... or (model, tokenizer)")
    if getattr(model.config, "num_labels", 2) != 2:
        raise ValueError(f"the PRM head must have 2 labels, the model has {model.config.num_labels}")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    sep_id = ensure_separator_token(tok, model, cfg.separator)
    model.config.prm_step_separator = cfg.separator
    model.config.prm_step_token_id = sep_id
    model.config.prm_label_type = cfg.label_type

    last_only = cfg.train_on_last_step_only
    if cfg.step_rows is not None:  # after the tokenizer saw the problem texts
        from datasets import Dataset

        from prmlib.prm.step_rows import step_rows

        train_ds = Dataset.from_list(step_rows(train_ds, **{"seed": cfg.seed, **cfg.step_rows}))
        last_only = True
    elif cfg.solution_rows is not None:
        from datasets import Dataset

        from prmlib.prm.step_rows import solution_rows

        train_ds = Dataset.from_list(solution_rows(train_ds, **{"seed": cfg.seed, **cfg.solution_rows}))
    elif cfg.prefix_rows is not None:
        from datasets import Dataset

        from prmlib.prm.step_rows import prefix_rows

        train_ds = Dataset.from_list(prefix_rows(train_ds, **{"seed": cfg.seed, **cfg.prefix_rows}))
        last_only = True
    tok_args = {"separator": cfg.separator, "label_type": cfg.label_type, "max_length": cfg.max_length,
                "max_completion_length": cfg.max_completion_length,
                "train_on_last_step_only": last_only, "num_proc": cfg.dataset_num_proc}
    with PartialState().main_process_first():  # several processes under `accelerate launch`
        train_tok, train_stats = tokenize_stepwise(train_ds, tok, is_eval=False, desc="Tokenizing train", **tok_args)
        eval_tok = eval_stats = None
        if eval_ds is not None and len(eval_ds):
            eval_tok, eval_stats = tokenize_stepwise(eval_ds, tok, is_eval=True, desc="Tokenizing eval", **tok_args)
    if len(train_tok) == 0:
        raise ValueError("no training row keeps a label after truncation; raise max_length")

    args = build_prm_config(cfg)
    if cfg.label_type == "soft":
        trainer_cls, collator = _soft_trainer_class(), SoftLabelCollator(tok)
    else:
        trainer_cls, collator = PRMTrainer, DataCollatorForTokenClassification(tok)
    trainer = trainer_cls(model=model, args=args, data_collator=collator, train_dataset=train_tok,
                          eval_dataset=eval_tok, processing_class=tok, compute_metrics=step_accuracy,
                          preprocess_logits_for_metrics=margin_for_metrics)

    metrics: dict[str, Any] = {"label_type": cfg.label_type, "num_train_rows": train_stats["rows"],
                               "num_train_labels": train_stats["labels"],
                               "train_labels_lost_to_truncation": train_stats["labels_lost_to_truncation"],
                               "train_rows_without_labels": train_stats["rows_without_labels"]}
    if eval_stats is not None:
        metrics.update({"num_eval_rows": eval_stats["rows"], "num_eval_labels": eval_stats["labels"],
                        "eval_labels_lost_to_truncation": eval_stats["labels_lost_to_truncation"]})
    if eval_tok is not None and cfg.eval_before_training:
        metrics.update(trainer.evaluate(metric_key_prefix="initial_eval"))
    start = time.perf_counter()
    out = trainer.train(resume_from_checkpoint=cfg.resume_from_checkpoint)
    metrics["train_seconds"] = round(time.perf_counter() - start, 3)
    metrics["training_loss"] = float(out.training_loss)
    metrics["global_steps"] = int(out.global_step)
    log = loss_log(trainer.state.log_history)
    if eval_tok is not None:
        metrics.update(trainer.evaluate(metric_key_prefix="eval"))
    if cfg.train_metrics_max_rows:
        n = min(cfg.train_metrics_max_rows, len(train_tok))
        subset = train_tok.shuffle(seed=cfg.seed).select(range(n)) if n < len(train_tok) else train_tok
        metrics.update(trainer.evaluate(subset, metric_key_prefix="train"))
    noise = ("_model_preparation_time", "_samples_per_second", "_steps_per_second")
    metrics = {k: (float(v) if hasattr(v, "item") else v) for k, v in metrics.items() if not k.endswith(noise)}

    out_dir = None
    if save:
        out_dir = str(Path(cfg.output_dir))
        trainer.save_model(out_dir)  # model + tokenizer, main process only
        if trainer.is_world_process_zero():
            cfg.to_yaml(Path(out_dir) / CONFIG_FILENAME)
            # the input format, for scoring (prmlib.prm.adapters reads it): TRL's layout, prompt as is
            (Path(out_dir) / FORMAT_FILENAME).write_text(json.dumps(
                {"format": "trl_stepwise", "separator": cfg.separator, "separator_token_id": sep_id,
                 "prompt_template": "{problem}", "label_type": cfg.label_type}, indent=2) + "\n")
            (Path(out_dir) / METRICS_FILENAME).write_text(json.dumps(metrics, indent=2, default=str) + "\n")
            (Path(out_dir) / LOG_FILENAME).write_text(json.dumps(log) + "\n")
    model = trainer.model
    if isinstance(model, torch.nn.Module):
        model.eval()
    return TrainResult(output_dir=out_dir, metrics=metrics, config=cfg, separator_token_id=sep_id,
                       model=model, tokenizer=tok, log=log)
