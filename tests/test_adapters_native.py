"""Released-PRM formats on tiny models of each release's own architecture and tokenizer conventions.

``test_adapters_formats.py`` checks every format on a Qwen2 model with the offline Qwen-style
tokenizer. The releases differ in what matters for exactness, so here:

* Math-Shepherd on a ``MistralForCausalLM`` with a SentencePiece-style tokenizer: ``<s>`` added by
  the tokenizer, a ``▁`` word-start marker, so ``+``/``-`` are read as ``▁+``/``▁-`` exactly as
  the release's ``encode("+ -")[1:]`` picks them;
* RLHFlow on a ``LlamaForCausalLM`` with a Llama-3.1-style tokenizer: byte-level BPE,
  ``<|begin_of_text|>`` written by the chat template, header tokens, a dated system header, turns
  closed by ``<|eot_id|>``; the reference is the release's own rule, logits at position -3 of
  each prefix conversation;
* the Qwen PRM loaded through ``AutoModel`` + ``trust_remote_code`` from a checkpoint that ships
  its modelling code (a two-layer head named ``score``, as in the release);
* the Qwen outcome model as a sequence classifier: one value per sequence.

The tokenizers are trained here on a few hundred formatted texts; the vocabularies are tiny but
the conventions (special tokens, word-start markers, templates) are those of the releases.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

torch = pytest.importorskip("torch")

from prm_testing import assert_close_lists, spread_

from prmlib.prm.adapters import MathShepherdAdapter, QwenORMAdapter, QwenPRMAdapter, RLHFlowAdapter, load_prm
from prmlib.prm.score import PRMScorer
from prmlib.tiny import build_tokenizer, save_pretrained_pair, tiny_qwen2_config

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROBLEMS = ["Bob has 7 marbles and gives away 3. How many are left?", "What is 12 + 30, times 3?"]
STEPS_LIST = [
    ["Bob starts with 7 marbles.", "He gives away 3, so 7 - 3 = 4.", "The answer is 4."],
    ["12 + 30 = 42.", "42 * 3 = 126.", "So the result is 126.", "Done."],
]
TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 1, "max_position_embeddings": 512}

# Written for these tests in the layout of Llama 3.1's template: BOS, a system header that states
# two dates, then one header + content + <|eot_id|> per message (content trimmed).
LLAMA31_STYLE_TEMPLATE = (
    "{{ bos_token }}<|start_header_id|>system<|end_header_id|>\n\n"
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
    "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


def _single_equals_naive(scorer, spread=0.02):
    single = scorer.score(PROBLEMS, STEPS_LIST)
    for a, b in zip(single, scorer.score_per_prefix(PROBLEMS, STEPS_LIST)):
        assert_close_lists(a, b)
    flat = [x for row in single for x in row]
    assert max(flat) - min(flat) > spread  # the scores differ far beyond the tolerance
    return single


def _train(tokenizer_model, pre_tokenizer, decoder, corpus, specials, vocab_size, alphabet=()):
    from tokenizers import Tokenizer, trainers

    tk = Tokenizer(tokenizer_model)
    tk.pre_tokenizer = pre_tokenizer
    tk.decoder = decoder
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(specials),
                                  initial_alphabet=list(alphabet), show_progress=False)
    tk.train_from_iterator(corpus, trainer)
    return tk


# -- Math-Shepherd: Mistral + SentencePiece-style tokenizer -----------------------------------
@pytest.fixture(scope="module")
def sp_tok():
    from tokenizers import Regex, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    adapter = MathShepherdAdapter()
    corpus = []
    for _ in range(30):
        for problem, steps in zip(PROBLEMS, STEPS_LIST):
            corpus.append(problem + " " + "\n".join(adapter.format_step(i, s) + " ки" for i, s in enumerate(steps)))
        corpus.append("+ - + - 7 + 3 - 1")
    # newlines split words (as in SentencePiece), "▁" marks a word that follows a space
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex("\n"), "isolated"),
                                   pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")])
    tk = _train(models.BPE(unk_token="<unk>"), pre, decoders.Metaspace(replacement="▁", prepend_scheme="first"),
                corpus, ["<unk>", "<s>", "</s>"], 400)
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                      special_tokens=[("<s>", tk.token_to_id("<s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="</s>")


def test_math_shepherd_on_mistral_with_a_sentencepiece_style_tokenizer(sp_tok, tmp_path):
    from transformers import MistralConfig, MistralForCausalLM

    tok = sp_tok
    # the release picks its ids like this (encode adds <s>)
    candidates = tok.encode("+ -")[1:]
    tag_id = tok.encode("ки")[-1]
    assert tok.convert_ids_to_tokens(candidates + [tag_id]) == ["▁+", "▁-", "▁ки"]
    adapter = MathShepherdAdapter()
    assert adapter.candidate_token_ids(tok) == candidates and adapter.step_tag_id(tok) == tag_id
    (inp,) = adapter.encode(tok, PROBLEMS[0], STEPS_LIST[0])
    assert inp.input_ids[0] == tok.bos_token_id
    assert [inp.input_ids[p] for p in inp.positions] == [tag_id] * 3

    torch.manual_seed(0)
    config = MistralConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                           pad_token_id=tok.pad_token_id, sliding_window=None, **TINY)
    model = MistralForCausalLM(config).eval()
    spread_(model.lm_head, std=0.05)
    path = save_pretrained_pair(model, tok, tmp_path / "math-shepherd-mistral-7b-prm")
    scorer = load_prm(str(path), device="cpu", batch_size=2)  # the folder name picks the format
    assert scorer.adapter.name == "math-shepherd" and type(scorer.model).__name__ == "MistralForCausalLM"
    single = _single_equals_naive(scorer)
    for problem, steps, got in zip(PROBLEMS, STEPS_LIST, single):
        # the release's usage: "{question} {output}", encode, softmax over the two candidates, tag mask
        output = "\n".join(f"Step {i + 1}: {s} ки" for i, s in enumerate(steps))
        ids = torch.tensor([tok.encode(f"{problem} {output}")])
        with torch.no_grad():
            probs = scorer.model(ids).logits[:, :, candidates].softmax(-1)[:, :, 0]
        assert_close_lists(got, probs[ids == tag_id].tolist())


# -- RLHFlow: Llama + Llama-3.1-style tokenizer -------------------------------------------------
@pytest.fixture(scope="module")
def llama3_tok():
    from tokenizers import Regex, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    adapter = RLHFlowAdapter()
    plain = PreTrainedTokenizerFast(tokenizer_object=_train(
        models.BPE(), pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel(),
        ["x"], specials, 300, pre_tokenizers.ByteLevel.alphabet()), bos_token=specials[0])
    plain.chat_template = LLAMA31_STYLE_TEMPLATE
    corpus = [plain.apply_chat_template(adapter.conversation(p, s), tokenize=False)
              for p, s in zip(PROBLEMS, STEPS_LIST)] * 30 + ["+ - + -"] * 10
    # runs of newlines stay together (one "\n\n" token after each header, as in Llama 3)
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex("[\r\n]+"), "isolated"),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tk = _train(models.BPE(), pre, decoders.ByteLevel(), corpus, specials, 500, pre_tokenizers.ByteLevel.alphabet())
    from tokenizers import processors

    tk.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", tk.token_to_id("<|begin_of_text|>"))])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                  pad_token="<|end_of_text|>")
    tok.chat_template = LLAMA31_STYLE_TEMPLATE
    return tok


def test_rlhflow_on_llama_with_a_llama31_style_tokenizer(llama3_tok, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = llama3_tok
    plus, minus = tok.encode("+")[-1], tok.encode("-")[-1]  # the release's own picks
    adapter = RLHFlowAdapter()
    assert adapter.candidate_token_ids(tok) == [plus, minus]
    (inp,) = adapter.encode(tok, PROBLEMS[0], STEPS_LIST[0])
    assert inp.text.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting")
    assert inp.input_ids.count(tok.bos_token_id) == 1  # BOS from the template only
    assert tok.convert_ids_to_tokens([inp.input_ids[p] for p in inp.positions]) == ["ĊĊ"] * 3
    assert [inp.input_ids[p + 1] for p in inp.positions] == [plus] * 3

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, **TINY)
    model = LlamaForCausalLM(config).eval()
    spread_(model.lm_head, std=0.05)
    path = save_pretrained_pair(model, tok, tmp_path / "Llama3.1-8B-PRM-Deepseek-Data")
    scorer = load_prm(str(path), device="cpu", batch_size=2)
    assert scorer.adapter.name == "rlhflow-prm" and type(scorer.model).__name__ == "LlamaForCausalLM"
    single = _single_equals_naive(scorer)
    for problem, steps, got in zip(PROBLEMS, STEPS_LIST, single):
        ref = []
        for k in range(len(steps)):  # the release: one conversation per prefix, logits at -3
            ids = tok.apply_chat_template(adapter.conversation(problem, steps[: k + 1]), tokenize=True,
                                          return_dict=False)
            assert tok.convert_ids_to_tokens(ids[-3:]) == ["ĊĊ", "+", "<|eot_id|>"]
            with torch.no_grad():
                logits = scorer.model(torch.tensor([ids])).logits[:, -3, [plus, minus]]
            ref.append(logits.softmax(-1)[0, 0].item())
        assert_close_lists(got, ref)


# -- Qwen PRM through trust_remote_code ---------------------------------------------------------
REMOTE_MODELLING = textwrap.dedent('''
    """A look-alike of the Qwen PRM release's modelling file, written for prmlib's tests."""
    from torch import nn
    from transformers import Qwen2Config, Qwen2Model, Qwen2PreTrainedModel


    class Qwen2ForProcessRewardModel(Qwen2PreTrainedModel):
        config_class = Qwen2Config

        def __init__(self, config):
            super().__init__(config)
            self.model = Qwen2Model(config)
            h = config.hidden_size
            self.score = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 2))
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, **kwargs):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return (self.score(hidden),)
''')


def test_qwen_prm_loads_through_its_own_modelling_code(tmp_path):
    import importlib.util
    import sys

    tok = build_tokenizer()
    path = tmp_path / "released-qwen-prm"
    path.mkdir()
    (path / "modeling_lookalike_prm.py").write_text(REMOTE_MODELLING)
    spec = importlib.util.spec_from_file_location("modeling_lookalike_prm", path / "modeling_lookalike_prm.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["modeling_lookalike_prm"] = module
    spec.loader.exec_module(module)
    config = tiny_qwen2_config(len(tok), pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = module.Qwen2ForProcessRewardModel(config).eval()
    spread_(model.score[2])
    save_pretrained_pair(model, tok, path)
    cfg = json.loads((path / "config.json").read_text())
    cfg["architectures"] = ["Qwen2ForProcessRewardModel"]
    cfg["auto_map"] = {"AutoModel": "modeling_lookalike_prm.Qwen2ForProcessRewardModel"}
    (path / "config.json").write_text(json.dumps(cfg))

    scorer = load_prm(str(path), device="cpu", batch_size=2)  # architecture -> Qwen PRM format
    assert isinstance(scorer.adapter, QwenPRMAdapter)
    assert type(scorer.model).__name__ == "Qwen2ForProcessRewardModel"
    assert torch.equal(scorer.model.score[0].weight, model.score[0].weight)  # the head is loaded, not new
    single = _single_equals_naive(scorer)
    tag = tok.convert_tokens_to_ids("<extra_0>")
    for problem, steps, got in zip(PROBLEMS, STEPS_LIST, single):
        (inp,) = scorer.adapter.encode(tok, problem, steps)
        ids = torch.tensor([inp.input_ids])
        with torch.no_grad():
            probs = model(input_ids=ids)[0].softmax(-1)[0, :, 1]
        assert_close_lists(got, probs[ids[0] == tag].tolist())


# -- Qwen outcome model: one value per sequence ---------------------------------------------------
def test_outcome_model_with_one_value_per_sequence(tmp_path):
    from transformers import Qwen2ForSequenceClassification

    tok = build_tokenizer()
    config = tiny_qwen2_config(len(tok), pad_token_id=tok.pad_token_id)
    config.num_labels = 1
    torch.manual_seed(0)
    model = Qwen2ForSequenceClassification(config).eval()
    spread_(model.score, std=0.05)
    adapter = QwenORMAdapter()
    scorer = PRMScorer(model, tok, adapter=adapter, batch_size=4)
    # every prefix ends with the same closing tokens, so a random head's values lie close together
    single = _single_equals_naive(scorer, spread=0.01)
    for problem, steps, got in zip(PROBLEMS, STEPS_LIST, single):
        ref = []
        for inp in adapter.encode(tok, problem, steps):  # one sequence per prefix, unpadded
            with torch.no_grad():
                ref.append(model(input_ids=torch.tensor([inp.input_ids])).logits[0, 0].sigmoid().item())
        assert_close_lists(got, ref)
