"""A label-free base for tiny PRMs: replaced-number detection on reference solutions.

A real PRM starts from a maths LM that already notices a number that does not fit; a tiny random
model has to learn that from one bit per step. This module trains the tiny model's body once, on
text only, with an ELECTRA-style objective: in reference solutions (the synthetic policy without
mistakes), some numbers are swapped for other numbers, and every number token is classified as
kept (class 1, like a correct step) or replaced (class 0). No step label of any source is used,
so every label source can start from the same base (docs/synthetic_surface.md, criteria (e)-(g)).

* :func:`reference_rows`: stepwise rows (problem + steps) of error-free solutions of a split.
* :func:`replaced_number_pretrain`: train a token-classification model on those rows for a time
  budget; returns its statistics. The model is changed in place; its 2-class head keeps the
  PRM's meaning (1 = consistent).

Example::

    rows = reference_rows(200, seed=0)
    stats = replaced_number_pretrain(model, tok, rows, "<extra_0>", seconds=60)
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["number_token_ids", "reference_rows", "replaced_number_pretrain"]


def reference_rows(problems_per_level: int, levels: Sequence[int] = (1, 2, 3, 4, 5), seed: int = 0,
                   split: str = "pretrain") -> list[dict[str, Any]]:
    """Stepwise rows ``{"prompt", "completions"}`` of the synthetic policy's solutions with every
    error probability set to zero (``PolicyConfig(error_scale=0)``), on the problems of ``split``."""
    from prmlib.synth.policy import PolicyConfig, SyntheticPolicy
    from prmlib.synth.sampling import sample_labelled

    sols = sample_labelled(problems_per_level, levels, seed=seed, split=split,
                           policy=SyntheticPolicy(PolicyConfig(error_scale=0.0)))
    return [{"prompt": s.problem, "completions": list(s.steps)} for s in sols]


def number_token_ids(tokenizer, limit: int = 100) -> tuple[dict[int, int], dict[int, int]]:
    """The whole-number tokens below ``limit``, as ``{value: token id}``: ``(with a leading space,
    without)``."""
    spaced: dict[int, int] = {}
    bare: dict[int, int] = {}
    for token, idx in tokenizer.get_vocab().items():
        text = tokenizer.convert_tokens_to_string([token])
        digits = text.strip()
        if digits.isdigit() and int(digits) < limit and str(int(digits)) == digits:
            (spaced if text.startswith(" ") else bare)[int(digits)] = idx
    return spaced, bare


def _number_pools(tokenizer) -> dict[int, tuple[dict[int, int], int]]:
    """token id -> (the value -> id map of its spacing, its value)."""
    spaced, bare = number_token_ids(tokenizer)
    return {i: (m, v) for m in (spaced, bare) for v, i in m.items()}


_SLIPS = (-3, -2, -1, 1, 2, 3)


def _slip(token: int, pools, rng) -> int:
    """Another number token of the same spacing whose value is 1-3 away (a slip, not noise)."""
    values, v = pools[token]
    near = [values[v + d] for d in _SLIPS if v + d in values]
    return rng.choice(near) if near else token


def _encode(rows, tokenizer, separator: str) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Token ids of each row as PRM training tokenises it, with the ``(start, separator)`` token span
    of every step."""
    from trl.experimental.prm import PRMTrainer

    out = []
    for r in rows:
        row = {"prompt": r["prompt"], "completions": r["completions"], "labels": [True] * len(r["completions"])}
        enc = PRMTrainer.tokenize_row(row, tokenizer, separator, None, None, False, True)
        seps = [i for i, lab in enumerate(enc["labels"]) if lab != -100]
        if len(seps) != len(r["completions"]):
            continue
        first = len(tokenizer(r["completions"][0], add_special_tokens=False)["input_ids"]) if seps else 0
        starts = [seps[0] - first] + [s + 1 for s in seps[:-1]] if seps else []
        out.append((enc["input_ids"], list(zip(starts, seps))))
    return out


def _corrupt(seq, spans, pools, rng, replace_prob, step_prob):
    """One draw of the corruption: ``(ids, labels)`` (labels: -100 = not trained).

    Token level: number tokens are replaced with probability ``replace_prob`` (label 0, kept ones 1).
    Step level (``step_prob`` > 0): instead, with probability ``step_prob`` one number of one step is
    replaced, the row ends at that step, and every step's separator is labelled (1 before it, 0 on
    it), as in PRM training rows up to the first error; number tokens keep their kept/replaced labels.
    """
    ids = list(seq)
    labels = [-100] * len(ids)
    if step_prob > 0:
        end = len(ids)
        numbered = [j for j, (a, b) in enumerate(spans) if any(t in pools for t in ids[a:b])]
        bad = rng.choice(numbered) if numbered and rng.random() < step_prob else None
        changed = False
        if bad is not None:
            a, b = spans[bad]
            k = rng.choice([i for i in range(a, b) if ids[i] in pools])
            ids[k] = _slip(ids[k], pools, rng)
            changed = ids[k] != seq[k]
            labels[k] = 0 if changed else 1
            end = b + 1
        for j, (_, sep) in enumerate(spans):
            if sep < end:
                labels[sep] = 0 if j == bad and changed else 1
        for i in range(end):
            if labels[i] == -100 and seq[i] in pools:
                labels[i] = 1
        return ids[:end], labels[:end]
    for i, tok in enumerate(seq):
        if tok not in pools:
            continue
        if rng.random() < replace_prob:
            ids[i] = _slip(tok, pools, rng)
        labels[i] = 0 if ids[i] != tok else 1
    return ids, labels


def replaced_number_pretrain(model, tokenizer, rows: Sequence[dict[str, Any]], separator: str, seconds: float,
                             lr: float = 1e-3, batch_size: int = 16, replace_prob: float = 0.15,
                             step_prob: float = 0.0, seed: int = 0) -> dict[str, Any]:
    """Train ``model`` (a 2-label token classifier) to tell kept numbers from replaced ones.

    Each epoch re-draws the replacements, always by a number 1-3 away written with the same spacing
    (a slip, so neither size nor spacing gives it away). With ``step_prob`` = 0, each whole-number token is replaced with
    probability ``replace_prob`` and only number tokens are classified. With ``step_prob`` > 0, a
    row gets one replaced number in one of its steps with that probability and ends there, and the
    step separators are classified too (1 before the replaced step, 0 on it): the PRM's own
    read-out, trained on corrupted reference text instead of on any label source. The loss is
    the cross-entropy on the classified tokens. Learning rate: 5% warm-up, then linear decay to
    10%, over ``seconds`` of wall time.

    Returns:
        ``{"steps", "seconds", "final_loss", "number_accuracy", "replaced_recall", "sequences"}``
        (the accuracies over the last 50 batches).
    Raises:
        ValueError: the tokenizer has no whole-number tokens, or ``rows`` is empty.
    """
    import torch

    pools = _number_pools(tokenizer)
    if len(pools) < 2:
        raise ValueError("the tokenizer has no whole-number tokens (build it with whole_numbers=100)")
    encoded = _encode(rows, tokenizer, separator)
    seqs = [ids for ids, _ in encoded]
    if not seqs:
        raise ValueError("no rows to pretrain on")
    rng = random.Random(seed)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    t0, steps, loss = time.perf_counter(), 0, None
    recent: list[tuple[int, int, int, int]] = []  # (numbers right, numbers, replaced found, replaced)
    while time.perf_counter() - t0 < seconds:
        rng.shuffle(chunks)
        for chunk in chunks:
            width = max(len(seqs[i]) for i in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            labels = torch.full_like(ids, -100)
            mask = torch.zeros_like(ids)
            for j, i in enumerate(chunk):
                seq, labs = _corrupt(seqs[i], encoded[i][1], pools, rng, replace_prob, step_prob)
                ids[j, :len(seq)] = torch.tensor(seq)
                labels[j, :len(seq)] = torch.tensor(labs)
                mask[j, :len(seq)] = 1
            frac = min(1.0, (time.perf_counter() - t0) / seconds)
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, 20 * frac) * (1.0 - 0.9 * frac)
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            opt.zero_grad()
            out.loss.backward()
            opt.step()
            steps += 1
            loss = float(out.loss.detach())
            with torch.no_grad():
                pred = out.logits.argmax(-1)
                sel = labels != -100
                rep = labels == 0
                recent.append((int((pred[sel] == labels[sel]).sum()), int(sel.sum()),
                               int((pred[rep] == 0).sum()), int(rep.sum())))
                recent = recent[-50:]
            if time.perf_counter() - t0 >= seconds:
                break
    model.eval()
    right, total, found, replaced = (sum(x[i] for x in recent) for i in range(4))
    return {"steps": steps, "seconds": round(time.perf_counter() - t0, 1), "final_loss": loss,
            "number_accuracy": right / max(total, 1), "replaced_recall": found / max(replaced, 1),
            "sequences": len(seqs)}
