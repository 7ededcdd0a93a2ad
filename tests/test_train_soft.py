"""Soft labels: the loss equals 2-class cross-entropy on 0/1 targets, and floats survive collation."""

import os

import pytest
import torch
import torch.nn.functional as F

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from prmlib.prm.soft import SoftLabelCollator, soft_step_loss, tokenize_soft_row
from prmlib.tiny import build_tiny_prm, build_tokenizer


def _random_batch(seed=0, batch=3, seq=11):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, seq, 2, generator=g) * 3
    labels = torch.full((batch, seq), -100, dtype=torch.long)
    mask = torch.rand(batch, seq, generator=g) < 0.4
    labels[mask] = torch.randint(0, 2, (int(mask.sum()),), generator=g)
    return logits, labels


def test_soft_loss_equals_cross_entropy_on_hard_targets():
    for seed in range(5):
        logits, labels = _random_batch(seed)
        ce = F.cross_entropy(logits.view(-1, 2), labels.view(-1), ignore_index=-100)
        soft = soft_step_loss(logits, labels.float())
        torch.testing.assert_close(soft, ce, rtol=1e-5, atol=1e-6)
        ce_sum = F.cross_entropy(logits.view(-1, 2), labels.view(-1), ignore_index=-100, reduction="sum")
        torch.testing.assert_close(soft_step_loss(logits, labels.float(), reduction="sum"), ce_sum,
                                   rtol=1e-5, atol=1e-5)


def test_soft_loss_matches_the_models_own_loss():
    tok = build_tokenizer(["Ann has 3 apples.", "Bob has 4 apples."], vocab_size=300)
    model = build_tiny_prm(tok).eval()
    ids = torch.tensor([tok.encode("Ann has 3 apples.<extra_0>Bob has 4.<extra_0>", add_special_tokens=False)])
    labels = torch.full_like(ids, -100)
    sep = ids[0] == tok.convert_tokens_to_ids("<extra_0>")
    labels[0, sep] = torch.tensor([1, 0])
    out = model(input_ids=ids, labels=labels)
    torch.testing.assert_close(soft_step_loss(out.logits, labels.float()), out.loss, rtol=1e-5, atol=1e-6)


def test_soft_loss_on_soft_targets_is_cross_entropy_against_the_distribution():
    logits = torch.tensor([[[0.3, -1.2], [2.0, 0.5], [0.0, 0.0]]])
    labels = torch.tensor([[0.875, -100.0, 0.25]])
    probs = torch.softmax(logits, -1)[..., 1]
    expected = -(0.875 * torch.log(probs[0, 0]) + 0.125 * torch.log(1 - probs[0, 0])
                 + 0.25 * torch.log(probs[0, 2]) + 0.75 * torch.log(1 - probs[0, 2])) / 2
    torch.testing.assert_close(soft_step_loss(logits, labels), expected)


def test_ignored_positions_do_not_move_the_loss():
    logits, labels = _random_batch(7)
    noisy = logits.clone()
    noisy[labels == -100] += 100.0
    torch.testing.assert_close(soft_step_loss(noisy, labels.float()), soft_step_loss(logits, labels.float()))


def test_soft_loss_rejects_out_of_range_targets():
    logits, _ = _random_batch(1, batch=1, seq=2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        soft_step_loss(logits, torch.tensor([[1.5, -100.0]]))


def test_soft_labels_stay_floats_through_tokenisation_and_collator():
    tok = build_tokenizer(["Ann has 3 apples.", "Bob has 4 apples."], vocab_size=300)
    row = {"prompt": "Count.", "completions": ["Ann has 3 apples.", "Bob has 4 apples."], "labels": [0.9, 0.125]}
    feat = tokenize_soft_row(row, tok, "<extra_0>", max_length=None)
    assert sorted(v for v in feat["labels"] if v != -100) == [0.125, 0.9]
    short = {"input_ids": feat["input_ids"][:3], "labels": feat["labels"][:3]}
    batch = SoftLabelCollator(tok)([feat, short])
    assert batch["labels"].dtype == torch.float32
    assert batch["input_ids"].shape == batch["labels"].shape == (2, len(feat["input_ids"]))
    labelled = batch["labels"][0][batch["labels"][0] != -100]
    torch.testing.assert_close(labelled, torch.tensor([0.9, 0.125]))
    assert (batch["labels"][1, 3:] == -100).all() and (batch["attention_mask"][1, 3:] == 0).all()
    assert (batch["input_ids"][1, 3:] == tok.pad_token_id).all()
    # what TRL's own collator would do: 0.9 becomes 0
    from transformers import DataCollatorForTokenClassification

    trl_batch = DataCollatorForTokenClassification(tok)([dict(feat)])
    assert trl_batch["labels"].dtype == torch.int64 and 0.9 not in trl_batch["labels"].tolist()[0]


def test_soft_trainer_loss_equals_hard_trainer_loss_on_hard_targets(tmp_path):
    from transformers import DataCollatorForTokenClassification
    from trl.experimental.prm import PRMConfig, PRMTrainer

    from prmlib.prm.soft import SoftPRMTrainer

    tok = build_tokenizer(["Ann has 3 apples.", "Bob has 4 apples."], vocab_size=300)
    model = build_tiny_prm(tok).eval()
    rows = [{"prompt": "Count.", "completions": ["Ann has 3 apples.", "Bob has 4."], "labels": [1, 0]},
            {"prompt": "Again.", "completions": ["Bob has 4 apples."], "labels": [1]}]
    feats = [tokenize_soft_row(r, tok, "<extra_0>", max_length=None) for r in rows]
    args = PRMConfig(output_dir=str(tmp_path), bf16=False, use_cpu=True, report_to="none",
                     step_separator="<extra_0>", gradient_checkpointing=False)
    from datasets import Dataset

    ds = Dataset.from_list(feats)
    soft = SoftPRMTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                          data_collator=SoftLabelCollator(tok))
    hard = PRMTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                      data_collator=DataCollatorForTokenClassification(tok))
    soft_batch = SoftLabelCollator(tok)(feats)
    hard_batch = DataCollatorForTokenClassification(tok)([dict(f) for f in feats])
    with torch.no_grad():
        ls = soft.compute_loss(model, soft_batch)
        lh = hard.compute_loss(model, hard_batch)
    torch.testing.assert_close(ls, lh, rtol=1e-5, atol=1e-6)
