"""Step labels land exactly on the separator tokens, with TRL's own tokenisation."""

import os

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from prmlib.tiny import build_tiny_prm, build_tokenizer

SEP = "<extra_0>"
ROWS = [
    {"prompt": "Ann has 12 apples. Bob has 5 more apples than Ann. How many apples does Bob have?",
     "completions": ["Bob has 12 + 5 = 17 apples.", "The answer is \\boxed{17}."], "labels": [True, True]},
    {"prompt": "Cara has 7 coins. Dan has 3 times as many coins as Cara. How many coins does Dan have?",
     "completions": ["Dan has 7 * 3 = 21 coins.\nSo far so good.", "Wait: 21 + 0 = 22.", "The answer is 22."],
     "labels": [True, False, False]},
]


@pytest.fixture(scope="module")
def tok():
    texts = [r["prompt"] for r in ROWS] + [s for r in ROWS for s in r["completions"]]
    return build_tokenizer(texts, vocab_size=320)


def _label_positions(out):
    return [i for i, lab in enumerate(out["labels"]) if lab != -100]


def test_hard_labels_sit_on_separator_tokens(tok):
    from trl.experimental.prm import PRMTrainer

    sep_id = tok.convert_tokens_to_ids(SEP)
    for row in ROWS:
        out = PRMTrainer.tokenize_row(row, tokenizer=tok, step_separator=SEP, max_length=None,
                                      max_completion_length=None, train_on_last_step_only=False, is_eval=False)
        sep_positions = [i for i, t in enumerate(out["input_ids"]) if t == sep_id]
        assert len(sep_positions) == len(row["completions"])
        assert _label_positions(out) == sep_positions
        assert [out["labels"][i] for i in sep_positions] == [int(v) for v in row["labels"]]
        # decoding the sequence gives back prompt + steps, each followed by the separator
        assert tok.decode(out["input_ids"]) == row["prompt"] + "".join(s + SEP for s in row["completions"])


def test_tokenize_stepwise_hard_and_soft_share_positions(tok):
    from prmlib.prm.train import as_stepwise_dataset, tokenize_stepwise

    sep_id = tok.convert_tokens_to_ids(SEP)
    soft_rows = [dict(r, labels=[0.875 if v else 0.125 for v in r["labels"]]) for r in ROWS]
    hard, hard_stats = tokenize_stepwise(as_stepwise_dataset(ROWS), tok, SEP, "hard", max_length=None)
    soft, _ = tokenize_stepwise(as_stepwise_dataset(soft_rows, "soft"), tok, SEP, "soft", max_length=None)
    assert hard_stats["labels_lost_to_truncation"] == 0
    for h, s, row, srow in zip(hard, soft, ROWS, soft_rows):
        sep_positions = [i for i, t in enumerate(h["input_ids"]) if t == sep_id]
        assert h["input_ids"] == s["input_ids"]
        assert _label_positions(h) == _label_positions(s) == sep_positions
        assert [h["labels"][i] for i in sep_positions] == [int(v) for v in row["labels"]]
        assert [s["labels"][i] for i in sep_positions] == pytest.approx(srow["labels"])


def test_unsupervised_steps_stay_in_the_text_without_a_target(tok):
    from prmlib.prm.step_rows import UNSUPERVISED
    from prmlib.prm.train import as_stepwise_dataset, tokenize_stepwise

    sep_id = tok.convert_tokens_to_ids(SEP)
    hard_row = dict(ROWS[1], labels=[float(UNSUPERVISED), 0.0, float(UNSUPERVISED)])
    soft_row = dict(ROWS[1], labels=[float(UNSUPERVISED), 0.25, 1.0])
    for row, kind, targets in ((hard_row, "hard", [0]), (soft_row, "soft", [0.25, 1.0])):
        out, stats = tokenize_stepwise(as_stepwise_dataset([row], kind), tok, SEP, kind, max_length=None)
        seps = [i for i, t in enumerate(out[0]["input_ids"]) if t == sep_id]
        assert len(seps) == 3  # every step is still in the text
        assert out[0]["labels"][seps[0]] == -100
        assert [out[0]["labels"][i] for i in _label_positions(out[0])] == pytest.approx(targets)
        assert stats["labels"] == len(targets) and stats["labels_lost_to_truncation"] == 0
    with pytest.raises(ValueError, match="not 0/1"):
        as_stepwise_dataset([dict(ROWS[1], labels=[float(UNSUPERVISED), 0.5, 0.0])], "hard")


def test_truncation_losses_are_counted(tok):
    from trl.experimental.prm import PRMTrainer

    from prmlib.prm.train import as_stepwise_dataset, tokenize_stepwise

    row = ROWS[1]
    full = PRMTrainer.tokenize_row(row, tokenizer=tok, step_separator=SEP, max_length=None,
                                   max_completion_length=None, train_on_last_step_only=False, is_eval=False)
    positions = _label_positions(full)
    cut = positions[1]  # keeps the first label of this row, cuts the second separator off
    _, stats = tokenize_stepwise(as_stepwise_dataset([row, ROWS[0]]), tok, SEP, "hard", max_length=cut)
    kept_first = sum(1 for p in _label_positions(PRMTrainer.tokenize_row(
        ROWS[0], tokenizer=tok, step_separator=SEP, max_length=None, max_completion_length=None,
        train_on_last_step_only=False, is_eval=False)) if p < cut)
    assert stats["labels"] == 5
    assert stats["labels_kept"] == 1 + kept_first
    assert stats["labels_lost_to_truncation"] == 5 - 1 - kept_first


def test_separator_added_as_one_token_and_embeddings_grow(tok):
    from prmlib.prm.train import ensure_separator_token

    local = build_tokenizer([r["prompt"] for r in ROWS], vocab_size=300)
    model = build_tiny_prm(local)
    before = model.get_input_embeddings().num_embeddings
    assert len(local.encode("<step>", add_special_tokens=False)) > 1
    sep_id = ensure_separator_token(local, model, "<step>")
    assert local.encode("a.<step>b", add_special_tokens=False).count(sep_id) == 1
    assert model.get_input_embeddings().num_embeddings == len(local) > before
    # already present: nothing changes
    assert ensure_separator_token(local, model, "<step>") == sep_id
    assert model.get_input_embeddings().num_embeddings == len(local)


def test_bad_rows_are_named():
    from prmlib.prm.train import as_stepwise_dataset

    with pytest.raises(ValueError, match="row 1.*not 0/1"):
        as_stepwise_dataset([ROWS[0], dict(ROWS[1], labels=[1.0, 0.9, 0.0])], "hard")
    with pytest.raises(ValueError, match="row 0.*as long as"):
        as_stepwise_dataset([dict(ROWS[0], labels=[True])], "hard")
    with pytest.raises(ValueError, match="lacks the stepwise field"):
        as_stepwise_dataset([{"prompt": "p", "steps": ["a"], "labels": [True]}])


def test_step_containing_separator_is_rejected(tok):
    from prmlib.prm.train import as_stepwise_dataset, tokenize_stepwise

    bad = dict(ROWS[0], completions=["Bob has 17<extra_0> apples.", "done"])
    with pytest.raises(ValueError, match="contains the separator"):
        tokenize_stepwise(as_stepwise_dataset([bad]), tok, SEP, "hard", max_length=None)
