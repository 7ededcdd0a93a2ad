"""Process reward models: training (:mod:`prmlib.prm.train`, :mod:`prmlib.prm.soft`) and scoring.

Kept light on purpose: nothing heavy (torch, transformers, TRL) is imported until a name is used.
``from prmlib.prm import train_prm, PRMTrainConfig`` works and imports the module that defines
the name (:mod:`prmlib.prm.train`, :mod:`prmlib.prm.config`, ...) on first access.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "train_prm": "prmlib.prm.train",
    "PRMTrainConfig": "prmlib.prm.config",
    "TrainResult": "prmlib.prm.train",
    "ensure_separator_token": "prmlib.prm.model",
    "DEFAULT_SEPARATOR": "prmlib.prm.config",
    "soft_step_loss": "prmlib.prm.soft",
    "SoftLabelCollator": "prmlib.prm.soft",
    "SoftPRMTrainer": "prmlib.prm.soft",
}

__all__ = [  # noqa: RUF022 (grouped by module)
    "train_prm",
    "PRMTrainConfig",
    "TrainResult",
    "ensure_separator_token",
    "DEFAULT_SEPARATOR",
    "soft_step_loss",
    "SoftLabelCollator",
    "SoftPRMTrainer",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'prmlib.prm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
