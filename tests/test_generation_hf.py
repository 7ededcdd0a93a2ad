"""The transformers backend on a tiny random Qwen2 causal LM (CPU)."""

from __future__ import annotations

import pytest

from prmlib.generation import GeneratorConfig, build_generator
from prmlib.generation.hf import HFGenerator


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    from prmlib.tiny import build_tiny_causal_lm, build_tokenizer, save_pretrained_pair

    tok = build_tokenizer()
    path = tmp_path_factory.mktemp("tiny-lm")
    save_pretrained_pair(build_tiny_causal_lm(tok, seed=0), tok, path)
    return str(path)


def _gen(path, **kw):
    cfg = {"backend": "hf", "model": path, "dtype": "float32", "device": "cpu", "max_tokens": 8, "temperature": 1.0}
    cfg.update(kw)
    return build_generator(GeneratorConfig(**cfg))


def test_shapes_tokens_and_finish(tiny_lm):
    gen = _gen(tiny_lm)
    assert isinstance(gen, HFGenerator)
    out = gen.continue_steps(["What is 2+3?", "Ann has 3 apples."], [[], ["Ann has 3.", "Bob has 4."]], 3, seed=0)
    assert [len(r) for r in out] == [3, 3]
    for row in out:
        for c in row:
            assert isinstance(c.text, str) and 1 <= c.num_tokens <= 8
            assert c.finish_reason in ("stop", "length")
    assert len(gen.sample(["Q"], n=2, seed=1)[0]) == 2
    gen.close()


def test_seeded_sampling_repeats_and_ignores_batch_composition(tiny_lm):
    gen = _gen(tiny_lm, batch_size=3)
    a = gen.continue_steps(["P1", "P2"], [[], ["x"]], 4, seed=5)
    b = gen.continue_steps(["P2", "P1"], [["x"], []], 4, seed=5)
    assert [c.text for c in a[0]] == [c.text for c in b[1]]
    assert [c.text for c in a[1]] == [c.text for c in b[0]]
    assert len({c.text for c in a[0]}) > 1  # really sampling
    # completion j of an item uses seed item_seed + j: a later chunk equals the tail of a full draw
    full = gen.continue_steps_seeded(["P1"], [[]], [4], [1000])
    tail = gen.continue_steps_seeded(["P1"], [[]], [2], [1002])
    assert [c.text for c in full[0][2:]] == [c.text for c in tail[0]]
    c = gen.continue_steps(["P1"], [[]], 4, seed=6)
    assert [x.text for x in c[0]] != [x.text for x in a[0]]


def test_greedy_and_stop_strings(tiny_lm):
    greedy = _gen(tiny_lm, temperature=0.0, max_tokens=12)
    [[g1, g2]] = greedy.continue_steps(["What is 2+3?"], [[]], 2, seed=None)
    assert g1.text == g2.text and g1.text
    text = g1.text
    cut = next((i for i in range(3, len(text) - 1) if text[i].strip()), None)
    assert cut is not None
    stop = text[cut : cut + 2]
    stopped = _gen(tiny_lm, temperature=0.0, max_tokens=12, stop=[stop])
    [[s]] = stopped.continue_steps(["What is 2+3?"], [[]], 1)
    assert s.text == text[: text.find(stop)]
    assert s.finish_reason == "stop"
