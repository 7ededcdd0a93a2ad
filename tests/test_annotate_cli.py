"""``prmlib annotate mc|judge|consensus`` end to end (synthetic world, and the hf backend)."""

from __future__ import annotations

import json

import pytest

from prmlib.cli import main


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_mc_judge_consensus_pipeline(tmp_path, capsys):
    out = str(tmp_path / "ann")
    assert main(["annotate", "mc", "--synthetic", "25", "--out", out, "--strategy", "early_stop", "--quiet"]) == 0
    mc = _last_json(capsys)
    assert mc["annotated"] == mc["records"] > 0 and mc["rollouts"] > 0 and mc["tokens"] > 0 and "seconds" in mc
    assert main(["annotate", "mc", "--synthetic", "25", "--out", out, "--strategy", "early_stop", "--quiet"]) == 0
    again = _last_json(capsys)
    assert again["annotated"] == 0 and again["already_done"] == mc["records"]
    assert main(["annotate", "judge", "--synthetic", "25", "--out", out, "--quiet"]) == 0
    jd = _last_json(capsys)
    assert jd["judged"] == mc["records"]
    cons_dir = tmp_path / "cons"
    assert main(["annotate", "consensus", "--mc", out, "--judge", out, "--out", str(cons_dir)]) == 0
    cons = _last_json(capsys)
    assert cons["consensus"]["total"] == mc["records"]
    assert cons["rows"] == cons["consensus"]["kept"]
    assert (cons_dir / "dataset").is_dir()
    assert json.loads((cons_dir / "report.json").read_text())["rows"] == cons["rows"]
    from datasets import load_from_disk

    ds = load_from_disk(str(cons_dir / "dataset"))
    assert len(ds) == cons["rows"] and {"prompt", "completions", "labels"} <= set(ds.column_names)
    assert main(["annotate", "consensus", "--mc", out, "--out", str(tmp_path / "all"), "--no-filter"]) == 0
    assert _last_json(capsys)["rows"] == mc["records"]


def test_shards_from_the_command_line(tmp_path, capsys):
    total = 0
    for i in range(2):
        assert main(["annotate", "mc", "--synthetic", "20", "--out", str(tmp_path), "--shard", str(i),
                     "--num-shards", "2", "--quiet", "--strategy", "binary_search"]) == 0
        total += _last_json(capsys)["annotated"]
    assert main(["annotate", "mc", "--synthetic", "20", "--out", str(tmp_path / "one"), "--quiet",
                 "--strategy", "binary_search"]) == 0
    assert _last_json(capsys)["annotated"] == total


def test_bad_input_is_named(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"problem": "Q", "steps": ["a"]}) + "\n")
    with pytest.raises(ValueError, match="in.jsonl:1: field 'gold'"):
        main(["annotate", "mc", "--input", str(p), "--out", str(tmp_path / "o"), "--quiet"])


def test_mc_with_the_transformers_backend(tmp_path, capsys):
    from prmlib.tiny import build_tiny_causal_lm, build_tokenizer, save_pretrained_pair

    tok = build_tokenizer()
    model_dir = tmp_path / "tiny"
    save_pretrained_pair(build_tiny_causal_lm(tok), tok, model_dir)
    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps({"problem": f"What is {i}+1?", "response": f"{i}+1 is\n\n\\boxed{{{i + 1}}}",
                                     "gold": str(i + 1)}) + "\n" for i in range(3)))
    args = ["annotate", "mc", "--input", str(p), "--out", str(tmp_path / "o"), "--backend", "hf", "--model",
            str(model_dir), "--dtype", "float32", "--k", "2", "--max-tokens", "4", "--quiet",
            "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    res = _last_json(capsys)
    assert res["annotated"] == 3 and res["rollouts"] == 3 * 2  # one sampled step each, the last graded
    recs = [json.loads(x) for x in (tmp_path / "o" / "mc.jsonl").read_text().splitlines()]
    assert all(r["mc"]["answer_correct"] for r in recs)
    assert all(r["generator"].startswith("hf:") for r in recs)
