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
