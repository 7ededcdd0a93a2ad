import torch

from prmlib.tiny import (
    SEPARATOR_TOKEN,
    build_tiny_causal_lm,
    build_tiny_prm,
    build_tokenizer,
    save_pretrained_pair,
)


def test_tokenizer_separator_is_one_token_and_digits_split():
    tok = build_tokenizer(["Bob has 12 + 5 = 17 apples.", "Then 17 * 2 = 34."], extra_tokens=["ки"])
    sep_id = tok.convert_tokens_to_ids(SEPARATOR_TOKEN)
    ids = tok("1234.<extra_0>Next step.<extra_0>", add_special_tokens=False)["input_ids"]
    assert ids.count(sep_id) == 2
    pieces = tok.convert_ids_to_tokens(tok("1234", add_special_tokens=False)["input_ids"])
    assert pieces == ["1", "2", "3", "4"]
    # byte level: anything encodes and decodes back
    text = "Ünïcode ∑ x² ки"
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_tiny_models_forward_and_save(tmp_path):
    tok = build_tokenizer()
    prm = build_tiny_prm(tok)
    lm = build_tiny_causal_lm(tok)
    ids = tok(["a b c<extra_0>"], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert prm(ids).logits.shape == (1, ids.shape[1], 2)
        assert lm(ids).logits.shape == (1, ids.shape[1], len(tok))
    assert prm.config.hidden_size // prm.config.num_attention_heads >= 32
    out = save_pretrained_pair(prm, tok, tmp_path / "m")
    assert (out / "config.json").exists() and (out / "tokenizer.json").exists()


def test_whole_number_tokens_and_number_sense(tmp_path):
    import pytest
    from transformers import AutoTokenizer, Qwen2ForTokenClassification

    from prmlib.tiny import number_sense_init, number_tokens

    texts = ["Bob has 12 + 5 = 17 apples.", "Then 17 * 2 = 34."]
    tok = build_tokenizer(texts, whole_numbers=100)
    pieces = tok.convert_ids_to_tokens(tok("= 17.", add_special_tokens=False)["input_ids"])
    assert " 17" in pieces and "1" not in pieces and len(pieces) == 3
    assert tok.convert_ids_to_tokens(tok("{17} 123", add_special_tokens=False)["input_ids"])[1:] == ["17", "}", " 12", "3"]
    assert tok.decode(tok("a = 17 + 3.", add_special_tokens=False)["input_ids"]) == "a = 17 + 3."
    assert tok("x<extra_0>", add_special_tokens=False)["input_ids"][-1] == tok.convert_tokens_to_ids(SEPARATOR_TOKEN)
    numbers = number_tokens(tok)
    assert sorted(numbers) == list(range(100)) and all(len(ids) == 2 for ids in numbers.values())

    model = build_tiny_prm(tok, number_sense=True)
    emb = model.get_input_embeddings().weight.detach()
    dims = model.config.hidden_size * 5 // 8
    bare = [numbers[n][0] for n in range(dims + 5)]
    spaced = [numbers[n][1] for n in range(dims + 5)]
    assert torch.equal(emb[bare], emb[spaced])  # " 17" and "17" are the same number
    block = emb[bare, :dims]
    sums = block.sum(-1)
    # the thermometer block's sum grows by the same step from one number to the next, then saturates
    steps = sums[1:dims + 1] - sums[:dims]
    assert torch.allclose(steps, torch.full_like(steps, 0.2), atol=1e-5)
    assert torch.allclose(sums[dims:], sums[dims].expand(5))
    norms = block.norm(dim=-1)
    assert torch.allclose(norms, norms[0].expand_as(norms))
    # other tokens keep their random initialisation (same seed, no number sense)
    plain = build_tiny_prm(tok).get_input_embeddings().weight.detach()
    other = tok.convert_tokens_to_ids("Ġhas")
    assert other != tok.unk_token_id and torch.equal(plain[other], emb[other])
    assert not torch.equal(plain[numbers[7][0]], emb[numbers[7][0]])

    # saved and reloaded, the tokenizer keeps the whole numbers and the model its embeddings
    out = save_pretrained_pair(model, tok, tmp_path / "m")
    tok2 = AutoTokenizer.from_pretrained(out)
    assert tok2("= 17.", add_special_tokens=False)["input_ids"] == tok("= 17.", add_special_tokens=False)["input_ids"]
    again = Qwen2ForTokenClassification.from_pretrained(out)
    assert torch.equal(again.get_input_embeddings().weight[numbers[42][1]], emb[numbers[42][1]])

    with pytest.raises(ValueError, match="whole-number tokens"):
        number_sense_init(build_tiny_prm(build_tokenizer(texts)), build_tokenizer(texts))


def test_mixed_layer_types_and_a_zero_initialised_global_layer():
    """``layer_types`` mixes windowed and full-attention layers; ``full_attention_out_scale=0``
    zeroes the full layers' o_proj, so the untrained model ignores tokens outside the window."""
    import pytest

    from prmlib.tiny import layer_types_list

    assert layer_types_list("sliding, sliding,full") == ["sliding_attention", "sliding_attention", "full_attention"]
    assert layer_types_list(["full_attention"]) == ["full_attention"]
    with pytest.raises(ValueError, match="unknown layer type"):
        layer_types_list("sliding,global")
    tok = build_tokenizer(["Bob has 12 apples. Ann has 5 more apples than Bob."])
    model = build_tiny_prm(tok, layer_types="sliding,sliding,full", sliding_window=4,
                           full_attention_out_scale=0.0, hidden_size=64, num_attention_heads=2)
    cfg = model.config
    assert cfg.num_hidden_layers == 3 and cfg.sliding_window == 4
    assert cfg.layer_types == ["sliding_attention", "sliding_attention", "full_attention"]
    layers = model.model.layers
    assert torch.count_nonzero(layers[2].self_attn.o_proj.weight) == 0
    assert torch.count_nonzero(layers[0].self_attn.o_proj.weight) > 0
    # the same weights without the zeroing differ only in that projection
    plain = build_tiny_prm(tok, layer_types="sliding,sliding,full", sliding_window=4,
                           hidden_size=64, num_attention_heads=2)
    assert torch.count_nonzero(plain.model.layers[2].self_attn.o_proj.weight) > 0
    # zero-initialised: the first tokens (outside every window of the last position) do not matter
    ids = torch.randint(10, len(tok) - 1, (1, 20))
    other = ids.clone()
    other[0, :5] = 5
    model.eval()
    plain.eval()  # no dropout
    with torch.no_grad():
        a, b = model(ids).logits[0, -1], model(other).logits[0, -1]
        assert torch.allclose(a, b, atol=1e-6)
        # the global layer does see them once its projection is not zero
        assert not torch.allclose(plain(ids).logits[0, -1], plain(other).logits[0, -1], atol=1e-6)
    # the projection still learns (its input, the attention output, is not zero)
    model.train()
    model(ids, labels=torch.ones_like(ids)).loss.backward()
    assert layers[2].self_attn.o_proj.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="windowed"):
        build_tiny_prm(tok, full_attention_out_scale=0.0)
    with pytest.raises(ValueError, match="num_hidden_layers"):
        build_tiny_prm(tok, layer_types="sliding,full", num_hidden_layers=3, sliding_window=4)
