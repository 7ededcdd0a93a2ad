"""Input formats of our PRMs and of the released ones, behind one interface.

==========================  ==========================================================
adapter name                models
==========================  ==========================================================
``prmlib``                  ours (TRL ``PRMTrainer`` format, separator ``<extra_0>``)
``qwen2.5-math-prm``        Qwen/Qwen2.5-Math-PRM-7B, Qwen/Qwen2.5-Math-PRM-72B
``qwen2.5-math-prm800k``    Qwen/Qwen2.5-Math-7B-PRM800K
``qwen2.5-math-rm``         Qwen/Qwen2.5-Math-RM-72B (outcome model, scored per prefix)
``math-shepherd``           peiyi9979/math-shepherd-mistral-7b-prm
``skywork-prm``             Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B / -1.5B
``rlhflow-prm``             RLHFlow/Llama3.1-8B-PRM-Deepseek-Data / -Mistral-Data
==========================  ==========================================================

``load_prm`` (:mod:`prmlib.prm.loading`) is re-exported here lazily: it imports the scorers, which
import this package, so importing it eagerly would put the package in an import cycle.
"""

from __future__ import annotations

from .base import HEAD_CLASSIFIER, HEAD_LM, PRMAdapter, ScoringInput
from .qwen import QWEN_MATH_SYSTEM, QwenORMAdapter, QwenPRM800KAdapter, QwenPRMAdapter
from .registry import ADAPTERS, BACKENDS, adapter_for, get_adapter, resolve_model_path
from .rlhflow import RLHFlowAdapter
from .shepherd import MathShepherdAdapter
from .skywork import SkyworkPRMAdapter
from .trl import FORMAT_FILE, TRLStepAdapter

__all__ = [
    "ADAPTERS", "BACKENDS", "FORMAT_FILE", "HEAD_CLASSIFIER", "HEAD_LM", "QWEN_MATH_SYSTEM",
    "MathShepherdAdapter", "PRMAdapter", "QwenORMAdapter", "QwenPRM800KAdapter", "QwenPRMAdapter",
    "RLHFlowAdapter", "ScoringInput", "SkyworkPRMAdapter", "TRLStepAdapter", "adapter_for",
    "get_adapter", "load_prm", "resolve_model_path",
]


def __getattr__(name: str):
    if name == "load_prm":
        from ..loading import load_prm

        return load_prm
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
