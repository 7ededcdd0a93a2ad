"""Checks before a long run starts: does this machine have what the profile needs?

A GPU profile on a machine without a GPU, or a model that is neither on disk nor downloadable,
would otherwise fail minutes into the run, after retries, with a library's traceback. The checks:

* **GPU**: the PRM recipe trains on a GPU (``use_cpu: false`` after the profile's overrides) and
  torch sees no CUDA device.
* **models**: each model the profile names (policy, judge, other policy, PRM base) is a local
  folder, or in the Hugging Face cache, or the Hub can be reached to download it.
* **data**: real problems (``problems: gsm8k+math``) need ``PRMLIB_DATA_DIR`` or the Hub.

:func:`problems` lists what is missing (empty when the run can start); :func:`require` raises
:class:`PreflightError` with all of them. ``prmlib lessons`` and ``prmlib run`` call it before
the chain starts (``--skip-preflight`` turns it off).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

#: model names the project builds itself (no download): the tiny PRM and the tiny random policy
LOCAL_MODELS = {"tiny", "tiny-random"}


class PreflightError(RuntimeError):
    """The profile cannot run on this machine; the message lists every reason."""


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub can be reached (``False`` at once when ``HF_HUB_OFFLINE`` is set)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def in_hf_cache(repo_id: str) -> bool:
    """Whether ``repo_id``'s ``config.json`` is in the local Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except (ImportError, ValueError, OSError):  # an id the cache cannot parse is simply not cached
        return False


def models_of(profile) -> dict[str, str]:
    """``{role: model}`` for every model the profile's chain loads (the tiny built-in ones included)."""
    out: dict[str, str] = {}
    if profile.world == "model":
        for role, cfg in (("policy", profile.policy), ("other policy", profile.offpolicy_policy),
                          ("judge", (profile.judge or {}).get("generator") or {})):
            if isinstance(cfg, dict) and cfg.get("model"):
                out[role] = str(cfg["model"])
    out["PRM base"] = str(_recipe(profile).get("model", "tiny"))
    return out


def _recipe(profile) -> dict[str, Any]:
    """The PRM training config the chain builds (``LessonRun._job``): the recipe, then the overrides."""
    from prmlib.prm.config import PRMTrainConfig

    return {**PRMTrainConfig.from_yaml(profile.recipe_path()).to_dict(), **(profile.prm.get("overrides") or {})}


def needs_gpu(profile) -> bool:
    """True when the profile's PRMs train on a GPU (``use_cpu: false`` in the recipe after overrides)."""
    return _recipe(profile).get("use_cpu") is False


def problems(profile, *, cuda: bool | None = None, reachable: bool | None = None) -> list[str]:
    """What this machine lacks for ``profile`` (empty: the run can start). ``cuda`` and ``reachable``
    override the checks of a CUDA device and of the Hub (for tests)."""
    found: list[str] = []
    if needs_gpu(profile):
        if cuda is None:
            import torch

            cuda = torch.cuda.is_available()
        if not cuda:
            found.append(f"profile {profile.name!r} trains its PRMs on a GPU (recipe {profile.prm['recipe']}: "
                         "use_cpu false) and torch sees no CUDA device here. On a CPU use the cpu, cpu-long "
                         "or cpu-vllm profile.")
    missing = {role: m for role, m in models_of(profile).items()
               if m not in LOCAL_MODELS and not Path(m).expanduser().exists() and not in_hf_cache(m)}
    needs_data = profile.problems != "synthetic" and not os.environ.get("PRMLIB_DATA_DIR")
    if missing or needs_data:
        if reachable is None:
            reachable = hub_reachable()
        if not reachable:
            for role, m in missing.items():
                found.append(f"{role} model {m!r} is not a local folder, not in the Hugging Face cache, and the Hub "
                             f"cannot be reached: download it where there is network (huggingface-cli download "
                             f"{m}) and copy the cache, or name a local folder in the profile.")
            if needs_data:
                found.append(f"profile {profile.name!r} reads real data sets ({profile.problems}): set "
                             "PRMLIB_DATA_DIR to their local copy (data/README.md); the Hub cannot be reached.")
    return found


def require(profile, **checks: Any) -> None:
    """Raise :class:`PreflightError` listing :func:`problems` when there are any."""
    found = problems(profile, **checks)
    if found:
        raise PreflightError(f"profile {profile.name!r} cannot run on this machine:\n"
                             + "\n".join(f"  - {p}" for p in found))
