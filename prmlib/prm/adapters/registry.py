"""Pick the adapter (input format) for a model name, hub id or local folder.

Loading a scorer with the chosen adapter is :func:`prmlib.prm.loading.load_prm` (also importable
as ``prmlib.prm.adapters.load_prm``); this module imports no scorer, so the scorers can use it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .base import PRMAdapter
from .qwen import QwenORMAdapter, QwenPRM800KAdapter, QwenPRMAdapter, read_architectures
from .rlhflow import RLHFlowAdapter
from .shepherd import MathShepherdAdapter
from .skywork import SkyworkPRMAdapter
from .trl import TRLStepAdapter

ADAPTERS: dict[str, type[PRMAdapter]] = {
    cls.name: cls
    for cls in (
        TRLStepAdapter,
        QwenPRMAdapter,
        QwenPRM800KAdapter,
        QwenORMAdapter,
        MathShepherdAdapter,
        SkyworkPRMAdapter,
        RLHFlowAdapter,
    )
}

BACKENDS = ("transformers", "vllm")

logger = logging.getLogger(__name__)


def get_adapter(name: str, **options: Any) -> PRMAdapter:
    """The adapter registered under ``name`` (see :data:`ADAPTERS`), built with ``options``."""
    try:
        cls = ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown adapter {name!r}; known: {', '.join(sorted(ADAPTERS))}") from None
    return cls(**options)


def _hub_match(name_or_path: str) -> type[PRMAdapter] | None:
    """Match a hub id exactly (case-insensitive), or a local folder named like a released model."""
    key = name_or_path.rstrip("/").lower()
    base = os.path.basename(key)
    for cls in ADAPTERS.values():
        for hub_id in cls.hub_ids:
            hub = hub_id.lower()
            if key == hub or key.endswith("/" + hub) or base == hub.split("/")[-1]:
                return cls
    return None


def adapter_for(name_or_path: str, **options: Any) -> PRMAdapter:
    """Choose the input format for a model.

    In order: a registered adapter name; a released model's hub id (or a local folder named after
    one); a folder with ``prmlib_prm.json`` or ``prm_train_config.yaml`` (our own PRM, its
    recorded separator and prompt); then the architecture in ``config.json``:
    ``*ProcessRewardModel`` is the Qwen PRM format, ``*ForTokenClassification`` our own format
    (separator ``<extra_0>``). Any other architecture (a causal LM, a sequence or reward model)
    could be one of several formats, so it raises and asks for ``adapter=`` rather than scoring a
    checkpoint with a randomly initialised head. A hub id's ``config.json`` is fetched like
    ``from_pretrained`` would; when it cannot be read (offline, no such model) the format falls
    back to our own, with a warning.
    """
    if name_or_path in ADAPTERS:
        return get_adapter(name_or_path, **options)
    cls = _hub_match(name_or_path)
    if cls is not None:
        return cls(**options)
    local = os.path.isdir(name_or_path)
    if local:
        ours = TRLStepAdapter.from_model_dir(name_or_path)
        if ours is not None:
            return TRLStepAdapter(**{**ours.__dict__, **options})
    archs = read_architectures(name_or_path)  # a hub id's config.json is fetched (and cached)
    if archs and all("ProcessRewardModel" in a for a in archs):
        return QwenPRMAdapter(**options)
    if archs and all(a.endswith("ForTokenClassification") for a in archs):
        return TRLStepAdapter(**options)
    if archs or local:
        if archs:
            found = f"architectures {archs}"
        elif os.path.isfile(os.path.join(name_or_path, "config.json")):
            found = "no architectures in its config.json"
        else:
            found = "no config.json in the folder"
        raise ValueError(
            f"cannot tell which input format {name_or_path} expects ({found}); name it with "
            f"adapter= (prmlib score --adapter), one of: {', '.join(sorted(ADAPTERS))}"
        )
    logger.warning("could not read the config of %s; scoring it in our own format (%s)", name_or_path,
                   TRLStepAdapter.name)
    return TRLStepAdapter(**options)


def resolve_model_path(name_or_path: str) -> str:
    """An adapter name stands for its default (first) hub id; anything else is used as is."""
    if name_or_path in ADAPTERS and ADAPTERS[name_or_path].hub_ids:
        return ADAPTERS[name_or_path].hub_ids[0]
    return name_or_path
