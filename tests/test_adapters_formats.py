"""Each released PRM's input format, on a tiny random model of the same architecture family.

For every adapter: the exact formatted text, the step tags being single tokens at the expected
positions, scores equal to a direct computation in the style of the model's own usage code
(whole text, full logits, tag mask), and single-pass scores equal to per-prefix scores.
"""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")

from prm_testing import assert_close_lists, spread_

from prmlib.prm.adapters import (
    QWEN_MATH_SYSTEM,
    MathShepherdAdapter,
    QwenORMAdapter,
    QwenPRMAdapter,
    RLHFlowAdapter,
    SkyworkPRMAdapter,
)
from prmlib.prm.score import PRMScorer
from prmlib.tiny import build_tiny_causal_lm, build_tiny_prm, build_tokenizer, save_pretrained_pair

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROBLEM = "Bob has 7 marbles and gives away 3. How many are left?"
STEPS = ["Bob starts with 7 marbles.", "He gives away 3, so 7 - 3 = 4.", "The answer is \\boxed{4}."]
PROBLEMS = [PROBLEM, "What is 12 + 30, times 3?", "Solve 2x + 5 = 17."]
STEPS_LIST = [STEPS, ["12 + 30 = 42.", "42 * 3 = 126.", "So \\boxed{126}.", "Done."], ["2x = 12.", "x = 6."]]


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer(extra_tokens=["ки", "+", "-"])


def check_single_pass(scorer):
    single = scorer.score(PROBLEMS, STEPS_LIST)
    naive = scorer.score_per_prefix(PROBLEMS, STEPS_LIST)
    for a, b in zip(single, naive):
        assert_close_lists(a, b)
    flat = [x for row in single for x in row]
    assert max(flat) - min(flat) > 0.02  # informative comparison
    return single


# -- Qwen2.5-Math-PRM ---------------------------------------------------------------------------
def test_qwen_prm_format_and_scores(tok):
    adapter = QwenPRMAdapter()
    (inp,) = adapter.encode(tok, PROBLEM, STEPS)
    expected = (
        f"<|im_start|>system\n{QWEN_MATH_SYSTEM}<|im_end|>\n"
        f"<|im_start|>user\n{PROBLEM}<|im_end|>\n"
        "<|im_start|>assistant\n"
        + "".join(s + "<extra_0>" for s in STEPS)
        + "<|im_end|>\n"
    )
    assert inp.text == expected
    assert QWEN_MATH_SYSTEM == "Please reason step by step, and put your final answer within \\boxed{}."
    tag = tok.convert_tokens_to_ids("<extra_0>")
    assert inp.input_ids == tok.encode(expected, add_special_tokens=False)
    assert inp.positions == [i for i, t in enumerate(inp.input_ids) if t == tag]
    assert len(inp.positions) == len(STEPS)
    assert tok.convert_ids_to_tokens([inp.input_ids[p - 1] for p in inp.positions])[-1] != "<extra_0>"

    model = build_tiny_prm(tok).eval()
    spread_(model.score)
    scorer = PRMScorer(model, tok, adapter=adapter, batch_size=2)
    single = check_single_pass(scorer)
    # the released model's usage: encode the text, softmax at every <extra_0>, column 1
    ids = torch.tensor([tok.encode(expected)])
    with torch.no_grad():
        probs = model(ids).logits[0].softmax(-1)
    assert_close_lists(single[0], probs[ids[0] == tag][:, 1].tolist())


def test_qwen_prm_tag_in_problem_does_not_shift_scores(tok):
    adapter = QwenPRMAdapter()
    odd = "A literal <extra_0> tag in the problem."
    (inp,) = adapter.encode(tok, odd, STEPS)
    tag = tok.convert_tokens_to_ids("<extra_0>")
    assert sum(t == tag for t in inp.input_ids) == len(STEPS) + 1
    assert len(inp.positions) == len(STEPS)
    assert inp.positions == [i for i, t in enumerate(inp.input_ids) if t == tag][1:]


def test_qwen_orm_scores_every_prefix(tok):
    adapter = QwenORMAdapter()
    inputs = adapter.encode(tok, PROBLEM, STEPS)
    assert len(inputs) == len(STEPS)
    for i, inp in enumerate(inputs):
        assert inp.text == (
            f"<|im_start|>system\n{QWEN_MATH_SYSTEM}<|im_end|>\n<|im_start|>user\n{PROBLEM}<|im_end|>\n"
            f"<|im_start|>assistant\n" + "\n\n".join(STEPS[: i + 1]) + "<|im_end|>\n"
        )
        assert inp.positions == [len(inp.input_ids) - 1] and inp.step_indices == [i]
    from transformers import Qwen2ForTokenClassification

    from prmlib.tiny import tiny_qwen2_config

    cfg = tiny_qwen2_config(len(tok), pad_token_id=tok.pad_token_id)
    cfg.num_labels = 1
    torch.manual_seed(0)
    model = Qwen2ForTokenClassification(cfg).eval()
    spread_(model.score)
    scorer = PRMScorer(model, tok, adapter=adapter, batch_size=4)
    single = check_single_pass(scorer)
    assert scorer.last_stats.sequences == sum(len(s) for s in STEPS_LIST)
    with torch.no_grad():
        last = [model(torch.tensor([inp.input_ids])).logits[0, -1, 0].sigmoid().item() for inp in inputs]
    assert_close_lists(single[0], last)
    raw = PRMScorer(model, tok, adapter=QwenORMAdapter(activation="none")).score_one(PROBLEM, STEPS)
    assert_close_lists(torch.tensor(raw).sigmoid().tolist(), single[0])


# -- Math-Shepherd ------------------------------------------------------------------------------
def test_math_shepherd_format_and_scores(tok):
    adapter = MathShepherdAdapter()
    (inp,) = adapter.encode(tok, PROBLEM, STEPS)
    expected = f"{PROBLEM} " + "\n".join(f"Step {i + 1}: {s} ки" for i, s in enumerate(STEPS))
    assert inp.text == expected
    tag = tok.convert_tokens_to_ids("ки")
    assert inp.positions == [i for i, t in enumerate(inp.input_ids) if t == tag]
    assert len(inp.positions) == len(STEPS)
    assert adapter.candidate_token_ids(tok) == [tok.convert_tokens_to_ids("+"), tok.convert_tokens_to_ids("-")]
    # already numbered steps are not numbered twice
    numbered = adapter.encode(tok, PROBLEM, ["Step 1: a.", "Step 2: b."])[0].text
    assert numbered == f"{PROBLEM} Step 1: a. ки\nStep 2: b. ки"

    model = build_tiny_causal_lm(tok).eval()
    spread_(model.lm_head)
    scorer = PRMScorer(model, tok, adapter=adapter, batch_size=2)
    single = check_single_pass(scorer)
    ids = torch.tensor([tok.encode(expected)])
    cand = adapter.candidate_token_ids(tok)
    with torch.no_grad():
        probs = model(ids).logits[0][:, cand].softmax(-1)[:, 0]
    assert_close_lists(single[0], probs[ids[0] == tag].tolist())


def test_math_shepherd_rejects_a_merged_tag():
    # a vocabulary where the tag merges with the end of the step: scores would be misplaced
    merged_tok = build_tokenizer(extra_tokens=["ки", ". ки", "+", "-"])
    with pytest.raises(ValueError, match="merged with its neighbours"):
        MathShepherdAdapter().encode(merged_tok, PROBLEM, STEPS)


# -- RLHFlow ------------------------------------------------------------------------------------
def test_rlhflow_format_and_scores(tok):
    adapter = RLHFlowAdapter()
    (inp,) = adapter.encode(tok, PROBLEM, STEPS)
    turns = [f"{PROBLEM} {STEPS[0]}", *STEPS[1:]]
    expected = "".join(f"<|im_start|>user\n{t}<|im_end|>\n<|im_start|>assistant\n+<|im_end|>\n" for t in turns)
    assert inp.text == expected
    plus = tok.convert_tokens_to_ids("+")
    assert [inp.input_ids[p + 1] for p in inp.positions] == [plus] * len(STEPS)
    assert tok.convert_ids_to_tokens([inp.input_ids[p] for p in inp.positions]) == ["Ċ"] * len(STEPS)

    model = build_tiny_causal_lm(tok).eval()
    spread_(model.lm_head)
    scorer = PRMScorer(model, tok, adapter=adapter, batch_size=2)
    single = check_single_pass(scorer)
    # the released models' code: one conversation per prefix, read position -3 (before "+<|im_end|>\n")
    cand = adapter.candidate_token_ids(tok)
    ref = []
    for k in range(len(STEPS)):
        conv = adapter.conversation(PROBLEM, STEPS[: k + 1])
        ids = torch.tensor([tok.encode(tok.apply_chat_template(conv, tokenize=False), add_special_tokens=False)])
        with torch.no_grad():
            ref.append(model(ids).logits[0, -4, cand].softmax(-1)[0].item())
    assert_close_lists(single[0], ref)


# -- Skywork ------------------------------------------------------------------------------------
def test_skywork_format(tok):
    adapter = SkyworkPRMAdapter()
    (inp,) = adapter.encode(tok, PROBLEM, STEPS)
    assert inp.text == PROBLEM + "\n" + "".join(s + "\n" for s in STEPS)
    nl = tok.encode("\n", add_special_tokens=False)[-1]
    expected = tok.encode(PROBLEM + "\n")
    for s in STEPS:
        expected += tok.encode(s) + [nl]
    assert inp.input_ids == expected
    assert [inp.input_ids[p] for p in inp.positions] == [nl] * len(STEPS)
    assert inp.positions[-1] == len(expected) - 1
    bos_tok = build_tokenizer()
    bos_tok.bos_token = "<|im_start|>"
    (with_bos,) = adapter.encode(bos_tok, PROBLEM, STEPS)
    assert with_bos.input_ids[0] == bos_tok.convert_tokens_to_ids("<|im_start|>")
    assert with_bos.text.startswith("<|im_start|>" + PROBLEM + "\n")


def test_skywork_value_head_checkpoint_loads_and_scores(tmp_path, tok):
    """A causal LM + ``v_head.summary`` checkpoint (the release's layout) loads as a 1-label
    token classifier; scores equal sigmoid(v_head(last hidden state)) at the step ends."""
    from safetensors.torch import save_file

    lm = build_tiny_causal_lm(tok).eval()
    path = save_pretrained_pair(lm, tok, tmp_path / "skywork")
    torch.manual_seed(3)
    v_w, v_b = torch.randn(1, lm.config.hidden_size) * 0.5, torch.randn(1)
    state = {k: v.contiguous() for k, v in lm.state_dict().items()}
    state.update({"v_head.summary.weight": v_w, "v_head.summary.bias": v_b})
    for f in path.glob("*.safetensors"):
        f.unlink()
    save_file(state, str(path / "model.safetensors"), metadata={"format": "pt"})

    scorer = PRMScorer.from_pretrained(str(path), adapter="skywork-prm", device="cpu")
    assert scorer.model.num_labels == 1
    assert torch.equal(scorer.model.score.weight.data, v_w) and torch.equal(scorer.model.score.bias.data, v_b)
    single = check_single_pass(scorer)
    (inp,) = SkyworkPRMAdapter().encode(tok, PROBLEM, STEPS)
    with torch.no_grad():
        hidden = lm(torch.tensor([inp.input_ids]), output_hidden_states=True).hidden_states[-1][0]
    ref = torch.sigmoid(hidden[inp.positions] @ v_w.T + v_b)[:, 0]
    assert_close_lists(single[0], ref.tolist())
