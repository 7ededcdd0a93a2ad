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

Example::

    from prmlib.prm.train import train_prm
    result = train_prm(rows, "Qwen/Qwen2.5-Math-7B-Instruct", label_type="hard",
                       config="prmlib/configs/qwen25_math_7b_gpu.yaml")
    print(result.metrics["eval_accuracy"])
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_SEPARATOR = "<extra_0>"
LABEL_TYPES = ("hard", "soft")
CONFIG_FILENAME = "prm_train_config.yaml"
METRICS_FILENAME = "metrics.json"
FORMAT_FILENAME = "prmlib_prm.json"
DEFAULT_TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 512}


@dataclass
class PRMTrainConfig:
    """Everything that defines a PRM training run (mirrored by YAML, see ``prmlib/configs``).

    Args:
        model: hub id or local path of the base model, or ``"tiny"`` to build a tiny random Qwen2
            (and a BPE tokenizer trained on the training texts; sizes in ``tiny``).
        tokenizer: tokenizer path when it differs from ``model``.
        data: training data for ``prmlib train``: a ``datasets.load_from_disk`` folder, a JSONL
            file of stepwise rows, or ``synthetic:n=...,seed=...`` (see :mod:`prmlib.prm.cli_train`).
        eval_data: optional held-out data, same forms; otherwise ``eval_fraction`` is split off.
        separator: the step separator, made one special token of the tokenizer.
        label_type: ``"hard"`` (bool / 0-1 labels, cross-entropy) or ``"soft"`` (floats, BCE).
        learning_rate, num_train_epochs, max_steps, per_device_train_batch_size,
        per_device_eval_batch_size, gradient_accumulation_steps, warmup_ratio, weight_decay,
        lr_scheduler_type, logging_steps, save_strategy, save_steps: as in ``TrainingArguments``.
        max_length: truncation length of prompt + steps in tokens; labels of cut steps are lost
            (counted in the result as ``labels_lost_to_truncation``).
        max_completion_length: optional truncation of the steps alone.
        train_on_last_step_only: TRL's option: supervise only the last step of each row.
        seed: seed of model init (tiny), data split and training.
        output_dir: where model, tokenizer, this config and ``metrics.json`` are written.
        bf16: mixed bf16 precision; ``None`` = on when a bf16-capable GPU is present.
        use_cpu: force CPU; ``None`` = when no GPU is present.
        gradient_checkpointing: trade compute for memory (large models on GPU).
        model_dtype: dtype the base model is loaded in (``"bfloat16"``, ``"float32"``, ``"auto"``);
            ``None`` keeps transformers' default (float32).
        eval_fraction: share of prompts held out for evaluation when ``eval_data`` is not given
            (split by prompt, so solutions of one problem stay on one side).
        eval_before_training: also evaluate the untrained model (``initial_eval_*`` metrics).
        train_metrics_max_rows: size of the training subset on which train step accuracy is
            measured after training (0 = skip).
        dataset_num_proc: processes for tokenisation.
        torch_num_threads: ``torch.set_num_threads`` before training (``None`` = torch's default).
            On a small shared CPU, 1 thread can be ~10x faster than 2 competing ones.
        resume_from_checkpoint: checkpoint folder (or ``True`` for the latest in ``output_dir``).
        tiny: the ``"tiny"`` model: hidden_size, num_hidden_layers, num_attention_heads,
            vocab_size (tokenizer), intermediate_size; ``whole_numbers`` (numbers below it are
            one token), ``number_sense`` (size-encoding number embeddings,
            :func:`prmlib.tiny.number_sense_init`), ``sliding_window`` (attention window in every
            layer, 0 = full attention).
        step_rows: train on one row per step (:func:`prmlib.prm.step_rows.step_rows`, for
            windowed models): its keyword arguments, e.g. ``{"context_steps": 1,
            "negative_repeats": 2}``; ``None`` trains on whole solutions.
        training_args: extra keyword arguments passed to ``PRMConfig`` unchanged.
    """

    model: str = "tiny"
    tokenizer: str | None = None
    data: str | None = None
    eval_data: str | None = None
    separator: str = DEFAULT_SEPARATOR
    label_type: str = "hard"
    learning_rate: float = 1e-5
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 16
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    lr_scheduler_type: str = "linear"
    max_length: int | None = 1024
    max_completion_length: int | None = None
    train_on_last_step_only: bool = False
    seed: int = 0
    output_dir: str = "runs/prm"
    bf16: bool | None = None
    use_cpu: bool | None = None
    gradient_checkpointing: bool = False
    model_dtype: str | None = None
    eval_fraction: float = 0.05
    eval_before_training: bool = True
    train_metrics_max_rows: int = 1000
    logging_steps: int = 10
    save_strategy: str = "no"
    save_steps: int = 500
    dataset_num_proc: int | None = None
    torch_num_threads: int | None = None
    resume_from_checkpoint: str | bool | None = None
    tiny: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TINY))
    step_rows: dict[str, Any] | None = None
    training_args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._coerce_numbers()
        if self.label_type not in LABEL_TYPES:
            raise ValueError(f"label_type must be one of {LABEL_TYPES}, not {self.label_type!r}")
        if not self.separator:
            raise ValueError("separator must be a non-empty string")
        if self.separator in ("\\n", "\\n\\n"):
            raise ValueError(
                f"separator {self.separator!r} is a literal backslash-n (a shell/YAML quoting slip); "
                "write it as a real newline or use the default <extra_0>")
        if not 0.0 <= self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in [0, 1), got {self.eval_fraction}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            # passed to transformers as warmup_steps, which reads values below 1 as a ratio
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        self.tiny = {**DEFAULT_TINY, **(self.tiny or {})}

    def _coerce_numbers(self) -> None:
        """YAML 1.1 reads ``1e-5`` (no dot) as a string: turn such strings into the field's number
        type, and name the field when a value is no number at all."""
        for f in fields(self):
            kind = {"float": float, "float | None": float, "int": int, "int | None": int}.get(str(f.type))
            value = getattr(self, f.name)
            if kind is None or not isinstance(value, str):
                continue
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"{f.name} must be a number, got {value!r}") from None
            if kind is int and not number.is_integer():
                raise ValueError(f"{f.name} must be a whole number, got {value!r}")
            setattr(self, f.name, kind(number))

    # -- YAML -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "config") -> PRMTrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown PRMTrainConfig field(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> PRMTrainConfig:
        import yaml

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"training config {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise TypeError(f"{path}: expected a mapping of PRMTrainConfig fields, got {type(data).__name__}")
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_yaml(self, path: str | os.PathLike) -> Path:
        import yaml

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path

    def replace(self, **overrides: Any) -> PRMTrainConfig:
        return self.from_dict({**self.to_dict(), **overrides}, source="overrides")


@dataclass
class TrainResult:
    """What :func:`train_prm` returns.

    Attributes:
        output_dir: folder with the saved model, tokenizer, ``prm_train_config.yaml`` and
            ``metrics.json`` (``None`` when saving was switched off).
        metrics: flat dict: ``train_*`` (on a training subset after training), ``eval_*``,
            ``initial_eval_*`` (untrained model), ``train_seconds``, ``training_loss`` (mean loss
            during training), label and
            truncation counts.
        config: the resolved configuration.
        separator_token_id: id of the separator token in the saved tokenizer.
        model, tokenizer: the trained model and its tokenizer (not serialised).
    """

    output_dir: str | None
    metrics: dict[str, Any]
    config: PRMTrainConfig
    separator_token_id: int
    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"output_dir": self.output_dir, "separator_token_id": self.separator_token_id,
                "metrics": self.metrics, "config": self.config.to_dict()}


# -- model and tokenizer ------------------------------------------------------------------------
def ensure_separator_token(tokenizer, model=None, separator: str = DEFAULT_SEPARATOR) -> int:
    """Make ``separator`` one special token of ``tokenizer``; grow ``model``'s embeddings if needed.

    Returns:
        The separator's token id.
    Raises:
        ValueError: when the separator still does not encode to exactly one token.
    """
    from tokenizers import AddedToken

    ids = tokenizer.encode(separator, add_special_tokens=False)
    if len(ids) != 1:
        tokenizer.add_tokens([AddedToken(separator, special=True, normalized=False)], special_tokens=True)
        ids = tokenizer.encode(separator, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"separator {separator!r} encodes to {len(ids)} tokens even after adding it")
        logger.info("added the step separator %r to the tokenizer as id %d", separator, ids[0])
    if model is not None:
        rows = model.get_input_embeddings().num_embeddings
        if len(tokenizer) > rows:  # never shrink (Qwen checkpoints have padded embedding matrices)
            model.resize_token_embeddings(len(tokenizer))
    return int(ids[0])


def _dtype(name: str | None):
    if name in (None, "auto"):
        return name
    import torch

    try:
        return getattr(torch, name)
    except AttributeError:
        raise ValueError(f"model_dtype {name!r} is not a torch dtype") from None


def load_prm_base(model: str, tokenizer: str | None = None, model_dtype: str | None = None):
    """Load a base model with a fresh 2-class token-classification head, and its tokenizer."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer or model)
    kwargs: dict[str, Any] = {"num_labels": 2, "id2label": {0: "wrong", 1: "correct"},
                              "label2id": {"wrong": 0, "correct": 1}}
    if model_dtype is not None:
        kwargs["dtype"] = _dtype(model_dtype)
    return AutoModelForTokenClassification.from_pretrained(model, **kwargs), tok


def build_tiny_base(texts: Sequence[str], tiny: Mapping[str, Any], seed: int = 0):
    """Tokenizer trained on ``texts`` plus a random tiny Qwen2 PRM (sizes from ``tiny``)."""
    from prmlib.tiny import build_tiny_prm, build_tokenizer

    sizes = dict(tiny)
    vocab_size = int(sizes.pop("vocab_size", DEFAULT_TINY["vocab_size"]))
    whole_numbers = int(sizes.pop("whole_numbers", 0))
    number_sense = bool(sizes.pop("number_sense", False))
    window = int(sizes.pop("sliding_window", 0) or 0)
    if window:
        sizes.update(use_sliding_window=True, sliding_window=window, max_window_layers=0)
    if number_sense and not whole_numbers:
        whole_numbers = 100
    tok = build_tokenizer(texts, vocab_size=vocab_size, whole_numbers=whole_numbers)
    return build_tiny_prm(tok, seed=seed, number_sense=number_sense, **sizes), tok


# -- data ---------------------------------------------------------------------------------------
def as_stepwise_dataset(data: Any, label_type: str = "hard", name: str = "dataset"):
    """Validate stepwise rows and return a ``datasets.Dataset`` (extra columns are kept).

    Accepts a ``datasets.Dataset``, a list of row dicts or of :class:`prmlib.solution.Solution`
    (with labels). Raises ``ValueError`` naming the first bad row and field.
    """
    from datasets import Dataset

    from prmlib.solution import Solution

    if isinstance(data, Dataset):
        ds = data
    else:
        rows = [s.to_stepwise() if isinstance(s, Solution) else dict(s) for s in data]
        if not rows:
            raise ValueError(f"{name} is empty")
        ds = Dataset.from_list(rows)
    missing = [k for k in ("prompt", "completions", "labels") if k not in ds.column_names]
    if missing:
        raise ValueError(f"{name} lacks the stepwise field(s) {missing}; columns: {ds.column_names}")
    for i, (prompt, steps, labels) in enumerate(zip(ds["prompt"], ds["completions"], ds["labels"])):
        where = f"{name} row {i}"
        if not isinstance(prompt, str):
            raise TypeError(f"{where}: 'prompt' must be a string")
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise TypeError(f"{where}: 'completions' must be a list of strings")
        if not isinstance(labels, list) or len(labels) != len(steps):
            raise ValueError(f"{where}: 'labels' must be a list as long as 'completions' ({len(steps)})")
        for lab in labels:
            if lab is None or (isinstance(lab, float) and math.isnan(lab)):
                raise ValueError(f"{where}: missing label {lab!r}")
            if label_type == "hard" and not (isinstance(lab, bool) or float(lab) in (0.0, 1.0)):
                raise ValueError(f"{where}: label {lab!r} is not 0/1; use label_type='soft' or binarise it")
            if label_type == "soft" and not 0.0 <= float(lab) <= 1.0:
                raise ValueError(f"{where}: soft label {lab!r} is outside [0, 1]")
    return ds


def split_by_prompt(ds, eval_fraction: float, seed: int):
    """Hold out ``eval_fraction`` of the distinct prompts (all their rows) for evaluation."""
    prompts = sorted(set(ds["prompt"]))
    rng = random.Random(seed)
    if len(prompts) >= 2:
        rng.shuffle(prompts)
        held = set(prompts[: max(1, round(eval_fraction * len(prompts)))])
        is_eval = [p in held for p in ds["prompt"]]
    else:
        order = list(range(len(ds)))
        rng.shuffle(order)
        held_idx = set(order[: max(1, round(eval_fraction * len(ds)))])
        is_eval = [i in held_idx for i in range(len(ds))]
    train_idx = [i for i, e in enumerate(is_eval) if not e]
    eval_idx = [i for i, e in enumerate(is_eval) if e]
    if not train_idx:
        raise ValueError("eval_fraction leaves no training rows")
    return ds.select(train_idx), ds.select(eval_idx)


def _tokenize_row(row, tokenizer, separator, max_length, max_completion_length, train_on_last_step_only,
                  is_eval, label_type):
    from trl.experimental.prm import PRMTrainer

    from prmlib.prm.soft import tokenize_soft_row

    for j, step in enumerate(row["completions"]):
        if separator in step:
            raise ValueError(f"step {j} of prompt {row['prompt'][:60]!r} contains the separator {separator!r}")
    args = {"tokenizer": tokenizer, "step_separator": separator, "max_length": max_length,
            "max_completion_length": max_completion_length, "train_on_last_step_only": train_on_last_step_only,
            "is_eval": is_eval}
    out = (tokenize_soft_row(row, **args) if label_type == "soft" else PRMTrainer.tokenize_row(row, **args))
    wanted = 1 if (train_on_last_step_only and not is_eval) else len(row["labels"])
    kept = sum(1 for lab in out["labels"] if lab != -100)
    out["num_labels_wanted"] = wanted
    out["num_labels_kept"] = kept
    return out


def tokenize_stepwise(ds, tokenizer, separator: str, label_type: str, max_length: int | None,
                      max_completion_length: int | None = None, train_on_last_step_only: bool = False,
                      is_eval: bool = False, num_proc: int | None = None, desc: str = "Tokenizing"):
    """Tokenise stepwise rows exactly as ``PRMTrainer`` does and count truncated labels.

    Returns:
        ``(dataset with input_ids/labels only, stats)`` where ``stats`` holds ``rows``,
        ``labels`` (wanted), ``labels_kept``, ``labels_lost_to_truncation`` and
        ``rows_without_labels`` (rows whose every label was cut).
    """
    from datasets import Features, Value
    from datasets import Sequence as HFSequence

    label_value = Value("float32") if label_type == "soft" else Value("int64")
    feats = Features({"input_ids": HFSequence(Value("int64")), "labels": HFSequence(label_value),
                      "num_labels_wanted": Value("int64"), "num_labels_kept": Value("int64")})
    out = ds.map(
        _tokenize_row,
        fn_kwargs={"tokenizer": tokenizer, "separator": separator, "max_length": max_length,
                   "max_completion_length": max_completion_length,
                   "train_on_last_step_only": train_on_last_step_only, "is_eval": is_eval,
                   "label_type": label_type},
        remove_columns=ds.column_names, features=feats, num_proc=num_proc, desc=desc,
    )
    wanted = out["num_labels_wanted"]
    kept = out["num_labels_kept"]
    stats = {"rows": len(out), "labels": int(sum(wanted)), "labels_kept": int(sum(kept)),
             "labels_lost_to_truncation": int(sum(wanted) - sum(kept)),
             "rows_without_labels": int(sum(1 for k in kept if k == 0))}
    if stats["labels_lost_to_truncation"]:
        logger.warning("%s: %d of %d step labels fall beyond max_length=%s and are dropped (%d rows lose all)",
                       desc, stats["labels_lost_to_truncation"], stats["labels"], max_length,
                       stats["rows_without_labels"])
    keep = [i for i, k in enumerate(kept) if k > 0]
    out = out.remove_columns(["num_labels_wanted", "num_labels_kept"])
    if len(keep) < len(out):
        out = out.select(keep)
    return out, stats


# -- metrics ------------------------------------------------------------------------------------
def margin_for_metrics(logits, labels):
    """``preprocess_logits_for_metrics``: keep only ``logit_1 - logit_0`` (halves eval memory)."""
    from prmlib.prm.soft import label_margin

    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    return label_margin(logits)


def step_accuracy(eval_pred) -> dict[str, float]:
    """Step accuracy at label positions: predicted correct iff ``logit_1 > logit_0``; target
    correct iff label >= 0.5 (hard labels are 0/1). Also accuracy on correct and on wrong steps."""
    import numpy as np

    margin = np.asarray(eval_pred.predictions, dtype=np.float64)
    labels = np.asarray(eval_pred.label_ids, dtype=np.float64)
    if margin.ndim == 3:  # raw logits without preprocessing
        margin = margin[..., 1] - margin[..., 0]
    mask = labels != -100
    target = labels[mask] >= 0.5
    pred = margin[mask] > 0
    hit = pred == target
    out = {"accuracy": float(hit.mean()) if hit.size else float("nan"),
           "num_step_labels": float(hit.size),
           "positive_rate": float(target.mean()) if hit.size else float("nan")}
    out["correct_step_accuracy"] = float(hit[target].mean()) if target.any() else float("nan")
    out["wrong_step_accuracy"] = float(hit[~target].mean()) if (~target).any() else float("nan")
    return out


# -- training -----------------------------------------------------------------------------------
def _resolve_config(config, label_type, overrides) -> PRMTrainConfig:
    if config is None:
        cfg = PRMTrainConfig()
    elif isinstance(config, PRMTrainConfig):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = PRMTrainConfig.from_dict(config)
    else:
        cfg = PRMTrainConfig.from_yaml(config)
    if label_type is not None:
        overrides = {**overrides, "label_type": label_type}
    return cfg.replace(**overrides) if overrides else cfg


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
        "train_on_last_step_only": cfg.train_on_last_step_only or cfg.step_rows is not None,
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

    cfg = _resolve_config(config, label_type, overrides)
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
    model = trainer.model
    if isinstance(model, torch.nn.Module):
        model.eval()
    return TrainResult(output_dir=out_dir, metrics=metrics, config=cfg, separator_token_id=sep_id,
                       model=model, tokenizer=tok)
