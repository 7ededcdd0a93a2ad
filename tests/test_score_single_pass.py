"""The transformers scorer: single-pass scores equal per-prefix scores, order, padding, truncation,
and the exact TRL training tokenisation."""

from __future__ import annotations

import math
import os

import pytest

torch = pytest.importorskip("torch")

from prmlib.prm.adapters import TRLStepAdapter
from prmlib.prm.score import PRMScorer, length_buckets, truncate_input
from prmlib.tiny import build_tiny_prm, build_tokenizer, save_pretrained_pair

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

PROBLEMS = [
    "Bob has 7 marbles and gives away 3. How many are left?",
    "What is 12 + 30, times 3?",
    "Solve 2x + 5 = 17.",
]
STEPS = [
    ["Bob starts with 7 marbles.", "He gives away 3, so 7 - 3 = 4.", "The answer is \\boxed{4}."],
    ["First, 12 + 30 = 42.", "Then 42 * 3 = 126.", "So the result is 126.", "The answer is \\boxed{126}."],
    ["Subtract 5: 2x = 12.", "Divide by 2: x = 6."],
]


def spread(model, std: float = 0.5):
    """Give the random head larger weights so step scores differ visibly from 0.5."""
    torch.manual_seed(1)
    with torch.no_grad():
        model.score.weight.normal_(0.0, std)
    return model.eval()


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


@pytest.fixture(scope="module")
def scorer(tok):
    return PRMScorer(spread(build_tiny_prm(tok)), tok, batch_size=2, show_progress=False)


def many(n: int):
    problems, steps = [], []
    for i in range(n):
        problems.append(PROBLEMS[i % 3] + " " * (i % 5))
        steps.append(STEPS[i % 3][: 1 + i % len(STEPS[i % 3])] + ["Check: " + "1 + " * (i % 7) + "1."])
    return problems, steps


def test_single_pass_equals_naive_per_prefix(scorer):
    problems, steps = many(9)
    single = scorer.score(problems, steps)
    naive = scorer.score_per_prefix(problems, steps)
    assert [len(s) for s in single] == [len(s) for s in steps]
    flat_single = [x for row in single for x in row]
    flat_naive = [x for row in naive for x in row]
    assert max(abs(a - b) for a, b in zip(flat_single, flat_naive)) < 1e-5
    # the model is not constant: the comparison is informative
    assert max(flat_single) - min(flat_single) > 0.05
    assert all(0.0 < x < 1.0 for x in flat_single)
    # the batched per-prefix baseline gives the same scores
    flat_batched = [x for row in scorer.score_per_prefix(problems, steps, batched=True) for x in row]
    assert max(abs(a - b) for a, b in zip(flat_batched, flat_naive)) < 1e-5


def test_bucketing_keeps_input_order(scorer):
    problems, steps = many(11)
    batched = scorer.score(problems, steps)
    one_by_one = [scorer.score_one(p, s) for p, s in zip(problems, steps)]
    for a, b in zip(batched, one_by_one):
        assert a == pytest.approx(b, abs=1e-5)
    # reversed input gives reversed output
    rev = scorer.score(problems[::-1], steps[::-1])
    for a, b in zip(rev, batched[::-1]):
        assert a == pytest.approx(b, abs=1e-5)
    assert scorer.last_stats.forward_passes == math.ceil(11 / scorer.batch_size)


def test_length_buckets_sorted_and_capped():
    lengths = [5, 50, 7, 49, 6, 48]
    batches = length_buckets(lengths, batch_size=2)
    assert batches == [[1, 3], [5, 2], [4, 0]]
    assert sorted(i for b in batches for i in b) == list(range(6))
    capped = length_buckets(lengths, batch_size=10, max_batch_tokens=100)
    assert all(max(lengths[i] for i in b) * len(b) <= 100 for b in capped if len(b) > 1)
    assert length_buckets(lengths, batch_size=2, sort=False) == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        length_buckets(lengths, batch_size=0)


def test_sorting_improves_padding_efficiency(scorer):
    problems, steps = many(12)
    scorer.score(problems, steps)
    eff = scorer.last_stats.padding_efficiency
    lengths = [len(scorer.encode(p, s)[0].input_ids) for p, s in zip(problems, steps)]
    unsorted = length_buckets(lengths, scorer.batch_size, sort=False)
    padded = sum(max(lengths[i] for i in b) * len(b) for b in unsorted)
    assert eff > sum(lengths) / padded  # strictly: these lengths pad less once sorted (0.98 vs 0.90)
    assert scorer.last_stats.real_tokens == sum(lengths)


def test_padding_side_of_tokenizer_does_not_matter(tok):
    model = spread(build_tiny_prm(tok))
    problems, steps = many(6)
    right = PRMScorer(model, tok, batch_size=3).score(problems, steps)
    left_tok = build_tokenizer()
    left_tok.padding_side = "left"
    left = PRMScorer(model, left_tok, batch_size=3).score(problems, steps)
    masked = PRMScorer(model, tok, batch_size=3, attention_mask=True).score(problems, steps)
    for a, b, c in zip(right, left, masked):
        assert a == pytest.approx(b, abs=1e-6)
        assert a == pytest.approx(c, abs=1e-5)  # right padding: the mask changes nothing


def test_truncation_is_counted_and_nan(tok):
    model = spread(build_tiny_prm(tok))
    full = PRMScorer(model, tok).score(PROBLEMS[1:2], STEPS[1:2])[0]
    inp = TRLStepAdapter().encode(tok, PROBLEMS[1], STEPS[1])[0]
    cut_at = inp.positions[1] + 1  # keeps the first two separators
    scorer = PRMScorer(model, tok, max_length=cut_at)
    scores = scorer.score(PROBLEMS[1:2], STEPS[1:2])[0]
    assert scores[:2] == pytest.approx(full[:2], abs=1e-5)
    assert all(math.isnan(x) for x in scores[2:])
    assert scorer.last_stats.truncated_steps == len(STEPS[1]) - 2
    assert scorer.last_stats.truncated_sequences == 1
    with pytest.raises(ValueError, match="max_length"):
        PRMScorer(model, tok, max_length=cut_at, on_truncation="error").score(PROBLEMS[1:2], STEPS[1:2])
    cut, lost = truncate_input(inp, cut_at)
    assert lost == len(STEPS[1]) - 2 and len(cut.input_ids) == cut_at


def test_ids_identical_to_trl_training_tokenisation(tok):
    from trl.experimental.prm import PRMTrainer

    for sep in ("<extra_0>", "\n\n", "\n"):
        adapter = TRLStepAdapter(separator=sep)
        for problem, steps in zip(PROBLEMS, STEPS):
            row = {"prompt": problem, "completions": steps, "labels": [True] * len(steps)}
            trl = PRMTrainer.tokenize_row(row, tok, sep, max_length=None, max_completion_length=None,
                                          train_on_last_step_only=False, is_eval=False)
            ours = adapter.encode(tok, problem, steps)[0]
            assert ours.input_ids == trl["input_ids"]
            assert ours.positions == [i for i, lab in enumerate(trl["labels"]) if lab != -100]


def test_separator_trap_is_avoided():
    """Tokenising the joined text loses the separators the model was trained on; we do not.

    Qwen2's BPE has tokens such as ``".\n\n"`` that span the end of a step and the separator;
    the tiny tokenizer gets one as an added token to reproduce that."""
    sep = "\n\n"
    trap_tok = build_tokenizer(extra_tokens=[".\n\n"])
    adapter = TRLStepAdapter(separator=sep)
    steps = ["Step one.", "Step two.", "Done."]
    ours = adapter.encode(trap_tok, "Q?", steps)[0]
    sep_id = trap_tok.encode(sep, add_special_tokens=False)[-1]
    assert [ours.input_ids[p] for p in ours.positions] == [sep_id] * 3
    joined = trap_tok.encode("Q?" + "".join(s + sep for s in steps), add_special_tokens=False)
    merged = trap_tok.convert_tokens_to_ids(".\n\n")
    assert joined.count(merged) == 3  # every step end merged with its separator
    assert joined != ours.input_ids and len(joined) < len(ours.input_ids)


def test_bad_inputs_have_clear_errors(scorer):
    with pytest.raises(ValueError, match="problems but"):
        scorer.score(["a"], [])
    with pytest.raises(TypeError, match="solution 0: steps must be a list"):
        scorer.score(["a"], ["one step as a string"])
    with pytest.raises(TypeError, match="step 1 must be a str"):
        scorer.score(["a"], [["ok", 3]])
    assert scorer.score(["a", "b"], [[], ["x."]])[0] == []


def test_from_pretrained_reads_training_config(tmp_path, tok):
    model = spread(build_tiny_prm(tok))
    path = save_pretrained_pair(model, tok, tmp_path / "prm")
    (path / "prm_train_config.yaml").write_text("separator: \"\\n\"\nlabel_type: hard\n")
    loaded = PRMScorer.from_pretrained(str(path), device="cpu")
    assert loaded.adapter.name == "prmlib" and loaded.adapter.separator == "\n"
    direct = PRMScorer(model, tok, separator="\n").score(PROBLEMS, STEPS)
    again = loaded.score(PROBLEMS, STEPS)
    for a, b in zip(direct, again):
        assert a == pytest.approx(b, abs=1e-6)


def test_round_trip_with_prmlib_training(tmp_path):
    """A PRM saved by prmlib.prm.train is found, formatted and read exactly at its training labels."""
    train = pytest.importorskip("prmlib.prm.train")
    from trl.experimental.prm import PRMTrainer

    rows = []
    for i in range(16):
        ok = i % 2 == 0
        answer = 2 * i if ok else 2 * i + 1
        rows.append({"prompt": f"What is {i} + {i}?", "completions": [f"{i} + {i} = {answer}.", f"So {answer}."],
                     "labels": [ok, ok]})
    res = train.train_prm(rows, "tiny", label_type="hard", output_dir=str(tmp_path / "prm"), separator="\n\n",
                          max_steps=2)
    scorer = PRMScorer.from_pretrained(res.output_dir, device="cpu")
    assert scorer.adapter.separator == "\n\n"
    model = res.model.cpu().eval()
    for row in rows[:3]:
        tokens = PRMTrainer.tokenize_row(row, res.tokenizer, "\n\n", None, None, False, False)
        with torch.no_grad():
            probs = model(torch.tensor([tokens["input_ids"]])).logits[0].softmax(-1)[:, 1]
        at_labels = [float(probs[i]) for i, lab in enumerate(tokens["labels"]) if lab != -100]
        assert scorer.score_one(row["prompt"], row["completions"]) == pytest.approx(at_labels, abs=1e-5)


def test_token_budget_auto_on_cpu_and_validated(tok):
    from prmlib.prm.score import CPU_MAX_BATCH_TOKENS

    model = spread(build_tiny_prm(tok))
    assert PRMScorer(model, tok, device="cpu").max_batch_tokens == CPU_MAX_BATCH_TOKENS
    assert PRMScorer(model, tok, device="cpu", max_batch_tokens=None).max_batch_tokens is None
    for bad in (0, -5, "big", 2.5, True):
        with pytest.raises(ValueError, match="max_batch_tokens"):
            PRMScorer(model, tok, max_batch_tokens=bad)
    import numpy as np

    from prmlib.prm.score import _resolve_batch_tokens

    assert PRMScorer(model, tok, max_batch_tokens=np.int64(512)).max_batch_tokens == 512
    assert PRMScorer(model, tok, max_batch_tokens=1024.0).max_batch_tokens == 1024
    # no cap on accelerators (resolved without needing one)
    for device in ("cuda", "cuda:1", "mps"):
        assert _resolve_batch_tokens("auto", torch.device(device)) is None
    assert _resolve_batch_tokens("auto", torch.device("cpu")) == CPU_MAX_BATCH_TOKENS


def test_token_budget_splits_batches_and_keeps_scores(tok):
    model = spread(build_tiny_prm(tok))
    problems, steps = many(10)
    free = PRMScorer(model, tok, batch_size=16, max_batch_tokens=None, show_progress=False)
    capped = PRMScorer(model, tok, batch_size=16, max_batch_tokens=60, show_progress=False)
    a, b = free.score(problems, steps), capped.score(problems, steps)
    assert free.last_stats.forward_passes == 1
    assert capped.last_stats.forward_passes > 1
    lengths = [len(capped.encode(p, s)[0].input_ids) for p, s in zip(problems, steps)]
    batches = length_buckets(lengths, 16, 60)
    assert all(max(lengths[i] for i in b) * len(b) <= 60 for b in batches if len(b) > 1)
    assert capped.last_stats.forward_passes == len(batches)
    assert capped.last_stats.padded_tokens == sum(max(lengths[i] for i in b) * len(b) for b in batches)
    assert capped.last_stats.padded_tokens < free.last_stats.padded_tokens
    for r1, r2 in zip(a, b):
        assert r1 == pytest.approx(r2, abs=1e-5)
