"""The interface every PRM input format implements, and helpers to build exact token ids.

A process reward model is read in two halves that differ from model to model:

1. **Input**: how (problem, steps) become token ids, and at which token positions the step
   scores are read (:meth:`PRMAdapter.encode` returns :class:`ScoringInput` objects).
2. **Output**: which model head is read at those positions and how it becomes a probability
   (:attr:`PRMAdapter.head` says what the model returns, :meth:`PRMAdapter.step_scores` maps the
   values read at the positions to one score per step).

The scorers (:class:`prmlib.prm.score.PRMScorer`, :class:`prmlib.prm.vllm_score.VLLMPRMScorer`)
do everything else (batching, padding, truncation) the same way for every format.

Positions are always computed while the ids are built, never found afterwards by searching the
ids for a tag: a tag token that also occurs in the problem text cannot shift the scores.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# The heads a scorer knows how to read.
HEAD_CLASSIFIER = "classifier"  # per-token logits of a classification head: (batch, tokens, k)
HEAD_LM = "lm"  # a causal LM: the logits of `candidate_token_ids` at each position


@dataclass
class ScoringInput:
    """One sequence to run through the model and where to read it.

    Args:
        input_ids: the exact token ids.
        positions: token indices at which a step score is read (ascending).
        step_indices: which step each position scores (same length as ``positions``).
        text: the formatted text the ids came from, when there is one (for inspection).
    """

    input_ids: list[int]
    positions: list[int]
    step_indices: list[int]
    text: str | None = None

    def __post_init__(self) -> None:
        if len(self.positions) != len(self.step_indices):
            raise ValueError("positions and step_indices differ in length")
        if any(not 0 <= p < len(self.input_ids) for p in self.positions):
            raise ValueError("a score position lies outside the input ids")
        if list(self.positions) != sorted(self.positions):
            raise ValueError("score positions must be ascending")

    def __len__(self) -> int:
        return len(self.input_ids)


class PRMAdapter(ABC):
    """Input format and output reading of one family of reward models.

    Subclasses (dataclasses holding their options) set the class attributes :attr:`name`,
    :attr:`hub_ids`, :attr:`head` and :attr:`vllm_pooling`, and implement :meth:`encode` and
    :meth:`step_scores`. Override :meth:`load_model` when the checkpoint needs special loading.
    """

    #: registry name (``--adapter NAME``).
    name: str = ""
    #: Hugging Face hub ids of the released models in this format (the first is the default).
    hub_ids: tuple[str, ...] = ()
    #: what the model returns: :data:`HEAD_CLASSIFIER` or :data:`HEAD_LM`.
    head: str = HEAD_CLASSIFIER
    #: vLLM pooling used by :class:`~prmlib.prm.vllm_score.VLLMPRMScorer` ("STEP", "ALL"), or
    #: ``None`` when this format cannot run on vLLM's pooling runner.
    vllm_pooling: str | None = None

    # -- input ------------------------------------------------------------------------------
    @abstractmethod
    def encode(self, tokenizer, problem: str, steps: Sequence[str]) -> list[ScoringInput]:
        """Token ids and score positions for one solution (one sequence for a PRM; one per
        prefix for an outcome model)."""

    def format_text(self, tokenizer, problem: str, steps: Sequence[str]) -> str:
        """The formatted input text of a whole solution (for inspection and tests)."""
        inputs = self.encode(tokenizer, problem, steps)
        text = inputs[-1].text
        if text is None:
            return tokenizer.decode(inputs[-1].input_ids)
        return text

    def step_tag_id(self, tokenizer) -> int | None:
        """The token at every score position (vLLM's STEP pooling selects it), if there is one."""
        return None

    # -- output -----------------------------------------------------------------------------
    def candidate_token_ids(self, tokenizer) -> list[int] | None:
        """For ``head == "lm"``: the vocabulary ids whose logits are read (e.g. ``+`` and ``-``)."""
        return None

    @abstractmethod
    def step_scores(self, values):
        """Map a ``(n, k)`` float tensor of values read at the positions to ``n`` step scores."""

    # -- loading ----------------------------------------------------------------------------
    def load_model(self, path: str, *, dtype=None, device=None, **kwargs: Any):
        """Load the model this adapter reads (``AutoModelForTokenClassification`` by default)."""
        from transformers import AutoModelForTokenClassification

        model = AutoModelForTokenClassification.from_pretrained(path, dtype=dtype, **kwargs)
        return _place(model, device)

    def load_tokenizer(self, path: str, **kwargs: Any):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path, **kwargs)

    def describe(self) -> dict[str, Any]:
        return {"adapter": self.name, "hub_ids": list(self.hub_ids), "head": self.head}


def _place(model, device):
    model.eval()
    if device is not None:
        model.to(device)
    return model


# -- helpers for building ids -----------------------------------------------------------------
def single_token_id(tokenizer, text: str, *, what: str = "tag") -> int:
    """The id of ``text`` when the tokenizer keeps it as ONE token; a clear error otherwise."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    if len(ids) != 1:
        raise ValueError(
            f"the {what} {text!r} is not a single token for this tokenizer (it encodes to {ids}); "
            "scores would be read at the wrong positions"
        )
    return ids[0]


def last_token_id(tokenizer, text: str) -> int:
    """The id of the last token of ``text`` (how the released PRMs' own code picks their tags)."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    if not ids:
        raise ValueError(f"{text!r} encodes to no tokens")
    return ids[-1]


def encode_with_char_marks(
    tokenizer, text: str, mark_ends: Sequence[int], expected_id: int | None, add_special_tokens: bool = False
):
    """Tokenise ``text`` in one call and map character offsets to token positions.

    Args:
        tokenizer: a fast tokenizer (offsets are needed).
        text: the full formatted input.
        mark_ends: for each score, the character index just past the marked piece of text
            (the tag); its score is read at the token that covers character ``end - 1``.
        expected_id: when given, the token at every mark must have this id (the tag is one
            token and was not merged with its neighbours).

    Returns:
        ``(input_ids, positions)``.
    """
    enc = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    offsets = enc["offset_mapping"]
    positions = []
    cursor = 0
    for end in mark_ends:
        char = end - 1
        # special tokens added by the tokenizer have empty spans (0, 0) and are skipped
        while cursor < len(offsets) and not (offsets[cursor][0] <= char < offsets[cursor][1]):
            cursor += 1
        if cursor == len(offsets):
            raise ValueError(f"no token covers character {char} of the formatted input")
        if expected_id is not None and ids[cursor] != expected_id:
            raise ValueError(
                f"the tag at character {char} was tokenised as {tokenizer.convert_ids_to_tokens([ids[cursor]])} "
                f"(id {ids[cursor]}), not as the tag id {expected_id}: it merged with its neighbours"
            )
        positions.append(cursor)
    return ids, positions


def check_steps(problem: Any, steps: Any, where: str = "") -> None:
    """Clear errors for malformed inputs."""
    prefix = f"{where}: " if where else ""
    if not isinstance(problem, str):
        raise TypeError(f"{prefix}problem must be a str, got {type(problem).__name__}")
    if isinstance(steps, str) or not isinstance(steps, (list, tuple)):
        raise TypeError(f"{prefix}steps must be a list of str, got {type(steps).__name__}")
    for i, s in enumerate(steps):
        if not isinstance(s, str):
            raise TypeError(f"{prefix}step {i} must be a str, got {type(s).__name__}")
