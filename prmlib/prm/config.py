"""The configuration of a PRM training run: :class:`PRMTrainConfig`, mirrored by a YAML file.

Example::

    from prmlib.prm.config import PRMTrainConfig
    cfg = PRMTrainConfig.from_yaml("prmlib/configs/tiny_cpu.yaml").replace(learning_rate=2e-5)
    cfg.to_yaml("runs/my-prm/prm_train_config.yaml")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_SEPARATOR = "<extra_0>"
LABEL_TYPES = ("hard", "soft")
DEFAULT_TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 512}
# PRMTrainConfig fields added after lesson runs were stored: to_dict leaves them out while unset.
_NEWER_FIELDS = ("prefix_rows",)


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
        solution_rows: train on whole solutions reweighted towards the erroneous ones
            (:func:`prmlib.prm.step_rows.solution_rows`, for PRMs with a global view): its keyword
            arguments, e.g. ``{"error_repeats": 2}``; ``None`` trains on each solution once.
        prefix_rows: train on one row per step WITH the problem and every earlier step, only that
            step supervised (:func:`prmlib.prm.step_rows.prefix_rows`, for PRMs with a global view):
            its keyword arguments, e.g. ``{"negative_repeats": 2, "positives_per_negative": 4}``.
            At most one of ``step_rows``, ``solution_rows`` and ``prefix_rows``.
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
    logging_steps: float = 10  # a value below 1 is a share of the training steps (TrainingArguments)
    save_strategy: str = "no"
    save_steps: int = 500
    dataset_num_proc: int | None = None
    torch_num_threads: int | None = None
    resume_from_checkpoint: str | bool | None = None
    tiny: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TINY))
    step_rows: dict[str, Any] | None = None
    solution_rows: dict[str, Any] | None = None
    prefix_rows: dict[str, Any] | None = None
    training_args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._coerce_numbers()
        if sum(x is not None for x in (self.step_rows, self.solution_rows, self.prefix_rows)) > 1:
            raise ValueError("give at most one of step_rows, solution_rows and prefix_rows")
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
        self._check_schedule()
        self.tiny = {**DEFAULT_TINY, **(self.tiny or {})}

    def _check_schedule(self) -> None:
        """Fail at once, naming the field, on values TrainingArguments would reject only after the
        data are built (or would silently misread)."""
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.max_steps <= 0 and not self.num_train_epochs > 0:
            raise ValueError(f"num_train_epochs must be > 0 (or max_steps > 0), got {self.num_train_epochs}")
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"max_length must be >= 1 or None, got {self.max_length}")
        # below 1: a share of the training steps; from 1 on: every that many steps (a whole number)
        if not self.logging_steps > 0 or (self.logging_steps >= 1 and not float(self.logging_steps).is_integer()):
            raise ValueError(f"logging_steps must be a share in (0, 1) or a whole number of steps >= 1, "
                             f"got {self.logging_steps}")

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
        """Build a config from a mapping of its fields.

        Args:
            data: field names and values.
            source: what the mapping came from, named in the error message.
        Raises:
            ValueError: for keys that are no field (all of them are named).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown PRMTrainConfig field(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> PRMTrainConfig:
        """Read a YAML file holding a mapping of fields (see :meth:`from_dict`)."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"training config {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise TypeError(f"{path}: expected a mapping of PRMTrainConfig fields, got {type(data).__name__}")
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what :meth:`to_yaml` writes). Fields added after lesson runs
        were stored (:data:`_NEWER_FIELDS`) are left out while unset, so that the run store's keys,
        hashes of this dict, stay the same and stored PRMs are reused."""
        out = asdict(self)
        for name in _NEWER_FIELDS:
            if out.get(name) is None:
                out.pop(name, None)
        return out

    def to_yaml(self, path: str | os.PathLike) -> Path:
        """Write the fields to ``path`` (parent folders are created) and return the path."""
        import yaml

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path

    def replace(self, **overrides: Any) -> PRMTrainConfig:
        """A copy with ``overrides`` applied, validated like a new config."""
        return self.from_dict({**self.to_dict(), **overrides}, source="overrides")


def resolve_config(
    config: PRMTrainConfig | Mapping[str, Any] | str | os.PathLike | None,
    label_type: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> PRMTrainConfig:
    """The config of a run from what :func:`prmlib.prm.train.train_prm` accepts.

    Args:
        config: a :class:`PRMTrainConfig`, a dict of its fields, a YAML path, or ``None`` (defaults).
        label_type: overrides the config's ``label_type`` unless ``None``.
        overrides: further field values that win over the config's.
    """
    if config is None:
        cfg = PRMTrainConfig()
    elif isinstance(config, PRMTrainConfig):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = PRMTrainConfig.from_dict(config)
    else:
        cfg = PRMTrainConfig.from_yaml(config)
    overrides = dict(overrides or {})
    if label_type is not None:
        overrides = {**overrides, "label_type": label_type}
    return cfg.replace(**overrides) if overrides else cfg
