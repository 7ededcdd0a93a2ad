"""The label-free base: replaced-number detection on reference solutions (prmlib.prm.pretrain)."""

import pytest
import torch

from prmlib.prm.model import build_tiny_base
from prmlib.prm.pretrain import number_token_ids, reference_rows, replaced_number_pretrain

TINY = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64,
        "vocab_size": 400, "number_sense": True, "sliding_window": 32}


@pytest.fixture(scope="module")
def rows():
    return reference_rows(4, levels=[1, 3], seed=0)


def test_reference_rows_have_no_mistakes(rows):
    from prmlib.synth.policy import PolicyConfig, SyntheticPolicy
    from prmlib.synth.sampling import sample_labelled

    sols = sample_labelled(4, [1, 3], seed=0, split="pretrain", policy=SyntheticPolicy(PolicyConfig(error_scale=0.0)))
    assert sols and all(s.meta["first_error"] == -1 and s.meta["answer_correct"] for s in sols)
    assert [r["completions"] for r in rows] == [list(s.steps) for s in sols]
    assert set(rows[0]) == {"prompt", "completions"}  # text only: no labels travel with the rows


def test_pretraining_runs_changes_the_model_and_reports(rows):
    texts = [r["prompt"] for r in rows] + [c for r in rows for c in r["completions"]]
    model, tok = build_tiny_base(texts, TINY, seed=0)
    spaced, bare = number_token_ids(tok)
    assert len(spaced) + len(bare) >= 50 and not set(spaced.values()) & set(bare.values())
    assert all(tok.decode([i]) == f" {v}" for v, i in spaced.items())
    before = [p.detach().clone() for p in model.parameters()]
    torch.manual_seed(0)
    stats = replaced_number_pretrain(model, tok, rows, "<extra_0>", seconds=1.0, batch_size=4)
    assert stats["steps"] >= 1 and stats["sequences"] == len(rows)
    assert 0.0 <= stats["number_accuracy"] <= 1.0 and 0.0 <= stats["replaced_recall"] <= 1.0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_pretraining_needs_rows(rows):
    model, tok = build_tiny_base([r["prompt"] for r in rows], TINY, seed=0)
    with pytest.raises(ValueError, match="no rows"):
        replaced_number_pretrain(model, tok, [], "<extra_0>", seconds=0.1)


def test_step_corruption_is_a_slip_and_the_row_ends_at_the_corrupted_step(rows):
    import random

    from prmlib.prm.pretrain import _corrupt, _encode, _number_pools

    texts = [r["prompt"] for r in rows] + [c for r in rows for c in r["completions"]]
    _, tok = build_tiny_base(texts, TINY, seed=0)
    pools = _number_pools(tok)
    (ids, spans), = _encode(rows[-1:], tok, "<extra_0>")
    assert len(spans) == len(rows[-1]["completions"])
    rng = random.Random(0)
    for _ in range(20):
        x, labels = _corrupt(ids, spans, pools, rng, 0.15, step_prob=1.0)
        changed = [i for i in range(len(x)) if x[i] != ids[i]]
        assert len(changed) == 1  # one number of one step
        k = changed[0]
        assert abs(pools[x[k]][1] - pools[ids[k]][1]) <= 3 and labels[k] == 0
        bad = next(j for j, (a, b) in enumerate(spans) if a <= k < b)
        assert len(x) == spans[bad][1] + 1  # the row ends at the corrupted step's separator
        assert [labels[sep] for _, sep in spans[:bad + 1]] == [1] * bad + [0]
