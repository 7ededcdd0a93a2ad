"""GeneratorConfig, prompts, per-item seeds and the on-disk generation cache (no model needed)."""

from __future__ import annotations

import random

import pytest

from prmlib.generation import (
    QWEN_MATH_SYSTEM_PROMPT,
    CachedGenerator,
    GenerationCache,
    GeneratorConfig,
    build_generator,
    chat_prompt,
    continuation_prompt,
    continue_seeded,
    item_seed,
)
from prmlib.interfaces import Completion, Generator


class CountingGenerator(Generator):
    """Deterministic given the seed: the text is a function of (problem, prefix, seed)."""

    def __init__(self):
        self.calls = 0
        self.completions = 0

    def sample(self, problems, n, seed=None):
        return self.continue_steps(problems, [[] for _ in problems], n, seed)

    def continue_steps(self, problems, prefixes, k, seed=None):
        self.calls += 1
        out = []
        for p, pre in zip(problems, prefixes):
            rng = random.Random(f"{seed}|{p}|{'|'.join(pre)}")
            row = [Completion(f"c{rng.randrange(10**6)}", 3, "stop") for _ in range(k)]
            self.completions += k
            out.append(row)
        return out


def test_config_validation_and_fingerprint():
    with pytest.raises(ValueError, match="backend"):
        GeneratorConfig(backend="nope")
    with pytest.raises(ValueError, match="model"):
        GeneratorConfig(backend="vllm")
    with pytest.raises(ValueError, match="top_p"):
        GeneratorConfig(top_p=0)
    with pytest.raises(ValueError, match="unknown GeneratorConfig fields"):
        GeneratorConfig.from_dict({"backend": "synthetic", "temprature": 1.0})
    a = GeneratorConfig(backend="hf", model="m", temperature=0.7)
    assert GeneratorConfig(backend="hf", model="m", temperature=0.7, batch_size=3).fingerprint() == a.fingerprint()
    assert GeneratorConfig(backend="hf", model="m", temperature=0.8).fingerprint() != a.fingerprint()
    assert GeneratorConfig(stop="\n\n").stop == ["\n\n"]
    assert GeneratorConfig.from_dict(a.to_dict()) == a


def test_build_synthetic_generator_and_cache_wrapper(tmp_path):
    from prmlib.synth import SyntheticPolicy, make_problems

    gen = build_generator(GeneratorConfig(backend="synthetic", synthetic={"error_scale": 0.5}))
    assert isinstance(gen, SyntheticPolicy) and gen.config.error_scale == 0.5
    cached = build_generator(GeneratorConfig(backend="synthetic", cache_dir=str(tmp_path / "c")))
    assert isinstance(cached, CachedGenerator)
    p = make_problems(1, difficulty=2, seed=0)[0].text
    first = cached.sample([p], n=3, seed=1)
    again = build_generator(GeneratorConfig(backend="synthetic", cache_dir=str(tmp_path / "c"))).sample([p], n=3, seed=1)
    assert [c.text for c in first[0]] == [c.text for c in again[0]]
    assert "boxed" in first[0][0].text


def test_prompts_follow_the_chat_template():
    from prmlib.tiny import build_tokenizer

    tok = build_tokenizer()
    base = chat_prompt(tok, "What is 2+3?")
    assert base.startswith("<|im_start|>system\n" + QWEN_MATH_SYSTEM_PROMPT)
    assert "<|im_start|>user\nWhat is 2+3?<|im_end|>" in base
    assert base.endswith("<|im_start|>assistant\n")
    assert continuation_prompt(tok, "What is 2+3?", []) == base
    cont = continuation_prompt(tok, "What is 2+3?", ["Step one.", "Step two."])
    assert cont == base + "Step one.\n\nStep two.\n\n"
    assert "system" not in chat_prompt(tok, "Q", system_prompt=None)
    tok.chat_template = None
    with pytest.warns(UserWarning, match="no chat template"):
        assert chat_prompt(tok, "Q", system_prompt=None) == "Q\n\n"


def test_item_seed_depends_on_content_not_position():
    s1 = item_seed(0, "P", ["a", "b"])
    assert s1 == item_seed(0, "P", ["a", "b"])
    assert s1 != item_seed(1, "P", ["a", "b"])
    assert s1 != item_seed(0, "P", ["a", "b", "c"])
    assert s1 != item_seed(0, "P", ["ab"])  # step boundaries matter
    assert 0 <= s1 < 2**31 - 2**20


def test_continue_seeded_fallback_is_per_completion():
    gen = CountingGenerator()
    full = continue_seeded(gen, ["P", "Q"], [["a"], []], [4, 2], [100, 7])
    part = continue_seeded(gen, ["Q", "P"], [[], ["a"]], [1, 2], [8, 102])
    assert [c.text for c in full[0][2:]] == [c.text for c in part[1]]
    assert full[1][1].text == part[0][0].text
    with pytest.raises(ValueError, match="must have the same length"):
        continue_seeded(gen, ["P"], [[]], [1, 2], [0])


def test_cache_serves_hits_and_samples_only_missing_ranges(tmp_path):
    inner = CountingGenerator()
    gen = CachedGenerator(inner, tmp_path / "cache", fingerprint="fp1")
    a = gen.continue_steps_seeded(["P"], [["s"]], [3], [50])
    assert inner.completions == 3 and gen.misses == 3
    b = gen.continue_steps_seeded(["P"], [["s"]], [5], [50])  # 0..2 cached, 3..4 new
    assert inner.completions == 5 and gen.hits == 3
    assert [c.text for c in b[0][:3]] == [c.text for c in a[0]]
    assert len(gen.cache) == 5
    gen.cache.close()
    # a new process: everything comes from disk
    inner2 = CountingGenerator()
    gen2 = CachedGenerator(inner2, GenerationCache(tmp_path / "cache"), fingerprint="fp1")
    c = gen2.continue_steps(["P"], [["s"]], 2, seed=3)
    d = gen2.continue_steps(["P"], [["s"]], 2, seed=3)
    assert [x.text for x in c[0]] == [x.text for x in d[0]] and inner2.completions == 2
    assert [x.text for x in gen2.continue_steps_seeded(["P"], [["s"]], [5], [50])[0]] == [x.text for x in b[0]]
    assert inner2.completions == 2
    # another fingerprint never reads these entries
    gen3 = CachedGenerator(CountingGenerator(), tmp_path / "cache", fingerprint="fp2")
    gen3.continue_steps_seeded(["P"], [["s"]], [1], [50])
    assert gen3.misses == 1 and gen3.hits == 0
    # unseeded calls bypass the cache
    before = len(gen2.cache)
    gen2.sample(["P"], 2, seed=None)
    assert len(gen2.cache) == before
