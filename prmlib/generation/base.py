"""Per-item seeds, so a completion is the same whoever asks for it.

Monte Carlo strategies that stop early must see the *same* completions as the exhaustive
procedure. The convention used everywhere in prmlib:

* every ``(problem, prefix)`` pair gets an item seed :func:`item_seed` derived from the caller's
  seed and the text itself (not from its position in a batch);
* its ``j``-th completion is sampled with seed ``item_seed + j``.

This is exactly how vLLM fans out ``SamplingParams(n=k, seed=s)``: child ``j`` is sampled with seed
``s + j``, so asking for completions ``3..5`` is ``SamplingParams(n=3, seed=item_seed + 3)``.

Backends that support it natively implement ``continue_steps_seeded`` (see :class:`PromptBackend`);
:func:`continue_seeded` falls back to one ``continue_steps(k=1, seed=...)`` call per completion for
any other :class:`~prmlib.interfaces.Generator` (exact for any generator that is deterministic given
its seed, but unbatched).
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence

from prmlib.interfaces import Completion, Generator
from prmlib.solution import STEP_SEPARATOR

# Item seeds stay below 2**31 minus room for completion offsets (torch / vLLM accept them).
_SEED_SPACE = 2**31 - 2**20


def item_seed(seed: int, problem: str, prefix: Sequence[str]) -> int:
    """The seed of a ``(problem, prefix)`` pair: a hash of the caller's seed and the text."""
    h = hashlib.sha256()
    h.update(str(int(seed)).encode())
    h.update(b"\x00")
    h.update(problem.encode())
    for step in prefix:
        h.update(b"\x01")
        h.update(step.encode())
    return int.from_bytes(h.digest()[:8], "big") % _SEED_SPACE


def continue_seeded(
    generator: Generator,
    problems: Sequence[str],
    prefixes: Sequence[Sequence[str]],
    ks: Sequence[int],
    seeds: Sequence[int],
) -> list[list[Completion]]:
    """``ks[i]`` continuations of item ``i``, completion ``j`` drawn with seed ``seeds[i] + j``.

    Uses ``generator.continue_steps_seeded`` when the generator has it (one batched call), else
    one ``continue_steps(..., k=1, seed=seeds[i] + j)`` call per completion.
    """
    if not (len(problems) == len(prefixes) == len(ks) == len(seeds)):
        raise ValueError("problems, prefixes, ks and seeds must have the same length")
    native = getattr(generator, "continue_steps_seeded", None)
    if native is not None:
        return native(problems, prefixes, ks, seeds)
    out: list[list[Completion]] = []
    for problem, prefix, k, s in zip(problems, prefixes, ks, seeds):
        row = []
        for j in range(int(k)):
            got = generator.continue_steps([problem], [list(prefix)], 1, seed=int(s) + j)
            if len(got) != 1 or len(got[0]) != 1:
                raise RuntimeError(f"{type(generator).__name__}.continue_steps returned a wrong shape")
            row.append(got[0][0])
        out.append(row)
    return out


class PromptBackend(Generator):
    """Base of the model backends: prompt building plus per-item seeded sampling.

    Subclasses implement :meth:`_generate` on fully formatted prompts.
    """

    def __init__(self, tokenizer, system_prompt: str | None, use_chat_template: bool = True) -> None:
        self.tokenizer = tokenizer
        self.system_prompt = system_prompt
        self.use_chat_template = use_chat_template

    def build_prompt(self, problem: str, prefix: Sequence[str] = ()) -> str:
        """Chat-formatted problem, then the prefix steps joined and followed by the separator."""
        from prmlib.generation.prompts import continuation_prompt

        return continuation_prompt(
            self.tokenizer, problem, prefix, system_prompt=self.system_prompt,
            use_chat_template=self.use_chat_template, separator=self.step_separator,
        )

    @abstractmethod
    def _generate(self, prompts: Sequence[str], ks: Sequence[int], seeds: Sequence[int | None]) -> list[list[Completion]]:
        """``ks[i]`` completions of ``prompts[i]``; with a seed, completion ``j`` uses ``seeds[i] + j``."""

    def continue_steps_seeded(self, problems, prefixes, ks, seeds) -> list[list[Completion]]:
        prompts = [self.build_prompt(p, list(pre)) for p, pre in zip(problems, prefixes)]
        return self._generate(prompts, list(ks), list(seeds))

    def continue_steps(self, problems, prefixes, k, seed=None) -> list[list[Completion]]:
        if len(problems) != len(prefixes):
            raise ValueError(f"{len(problems)} problems but {len(prefixes)} prefixes")
        seeds = [None if seed is None else item_seed(seed, p, pre) for p, pre in zip(problems, prefixes)]
        prompts = [self.build_prompt(p, list(pre)) for p, pre in zip(problems, prefixes)]
        return self._generate(prompts, [k] * len(prompts), seeds)

    def sample(self, problems, n, seed=None) -> list[list[Completion]]:
        return self.continue_steps(problems, [[] for _ in problems], n, seed=seed)


def trim_at_stop(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    """Cut ``text`` before the earliest stop string; returns (text, whether one was found)."""
    if not stop:
        return text, False
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    if cut < 0:
        return text, False
    return text[:cut], True


__all__ = ["STEP_SEPARATOR", "PromptBackend", "continue_seeded", "item_seed", "trim_at_stop"]
