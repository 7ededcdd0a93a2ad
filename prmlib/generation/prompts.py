"""Prompts of a policy: the chat template of an instruct maths model, plus a step prefix."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from prmlib.generation.config import QWEN_MATH_SYSTEM_PROMPT
from prmlib.solution import STEP_SEPARATOR, join_steps


def chat_prompt(
    tokenizer, problem: str, system_prompt: str | None = QWEN_MATH_SYSTEM_PROMPT, use_chat_template: bool = True
) -> str:
    """The problem as the user turn of the chat template, with the assistant turn opened.

    Without a chat template on the tokenizer (or with ``use_chat_template=False``) the problem is
    returned followed by the step separator, so that a base model starts a new paragraph.
    """
    if use_chat_template and getattr(tokenizer, "chat_template", None):
        messages = []
        if system_prompt:
            messages.append({"role": "system", "content": system_prompt})
        messages.append({"role": "user", "content": problem})
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if use_chat_template:
        warnings.warn("tokenizer has no chat template: using the raw problem as the prompt", stacklevel=2)
    head = f"{system_prompt}{STEP_SEPARATOR}" if system_prompt else ""
    return f"{head}{problem}{STEP_SEPARATOR}"


def continuation_prompt(
    tokenizer,
    problem: str,
    prefix: Sequence[str] = (),
    system_prompt: str | None = QWEN_MATH_SYSTEM_PROMPT,
    use_chat_template: bool = True,
    separator: str = STEP_SEPARATOR,
) -> str:
    """Prompt that makes the policy continue a partial solution.

    ``chat_prompt(problem) + join(prefix) + separator``: the model writes the next step. An empty
    prefix gives the plain chat prompt (sampling from scratch).
    """
    base = chat_prompt(tokenizer, problem, system_prompt, use_chat_template)
    if not prefix:
        return base
    return base + join_steps(list(prefix), separator) + separator
