"""The two interfaces every label source and policy implements.

* :class:`Generator`: a policy model. Real backends (vLLM, transformers) and the synthetic
  policy of :mod:`prmlib.synth` implement it, so MC estimation and Best-of-N sampling run through
  one code path whatever writes the text.
* :class:`Judge`: anything that returns the index of the first wrong step of a solution (an
  LLM-as-a-judge, the synthetic noisy judge, a simulated human annotator).

Problems are plain strings and solutions are lists of step strings everywhere: the synthetic
world re-reads its own problem text, exactly as a real model must.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Completion:
    """One sampled text and the number of tokens generated for it."""

    text: str
    num_tokens: int
    finish_reason: str | None = None


class Generator(ABC):
    """A policy that writes step-by-step solutions (steps separated by ``step_separator``)."""

    step_separator: str = "\n\n"

    @abstractmethod
    def sample(self, problems: Sequence[str], n: int, seed: int | None = None) -> list[list[Completion]]:
        """Sample ``n`` full solutions for each problem; returns one list of ``n`` per problem."""

    @abstractmethod
    def continue_steps(
        self,
        problems: Sequence[str],
        prefixes: Sequence[Sequence[str]],
        k: int,
        seed: int | None = None,
    ) -> list[list[Completion]]:
        """Sample ``k`` continuations for each ``(problem, prefix steps)`` pair.

        Each ``Completion.text`` is the text written *after* the prefix (starting with the next
        step); the full solution is ``prefix + split_steps(text)``. An empty prefix means
        sampling from scratch.
        """

    def close(self) -> None:  # engines with resources override this
        """Release resources (GPU memory, worker processes)."""


class Judge(ABC):
    """Returns the first wrong step of each solution."""

    @abstractmethod
    def first_errors(self, problems: Sequence[str], solutions: Sequence[Sequence[str]]) -> list[int | None]:
        """Per solution: index of the first wrong step, -1 if every step is right, ``None`` when the
        judgement could not be parsed (never silently counted as correct)."""
