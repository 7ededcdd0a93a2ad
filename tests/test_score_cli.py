"""``prmlib score``: ProcessBench and Best-of-N rows, resuming, and clear errors."""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("torch")

from prmlib.cli import main
from prmlib.prm.score import PRMScorer
from prmlib.solution import split_steps
from prmlib.tiny import build_tiny_prm, build_tokenizer, save_pretrained_pair

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROWS = [
    {"id": "pb-0", "problem": "Bob has 7 marbles and gives away 3.", "steps": ["7 - 3 = 4.", "Answer: 4."], "label": -1},
    {"id": "bon-0", "problem": "What is 2 + 3?", "responses": ["2 + 3 = 5.\n\nThe answer is 5.", "It is 6."]},
    {"id": "pb-1", "problem": "Solve 2x = 12.", "steps": ["x = 6."], "label": 0},
    {"id": "pb-2", "problem": "Empty.", "steps": []},
    {"id": "bon-1", "problem": "What is 1 + 1?", "responses": ["1 + 1 = 2.\n\n\n\nSo 2.", ""]},
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    tok = build_tokenizer()
    return save_pretrained_pair(build_tiny_prm(tok), tok, tmp_path_factory.mktemp("cli") / "prm")


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_cli(capsys, *args):
    code = main(["score", *map(str, args), "--no-progress"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def test_scores_processbench_and_bon_rows(tmp_path, model_dir, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inp, ROWS)
    code, summary = run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out, "--batch-size", 2)
    assert code == 0
    assert summary["rows_scored"] == 5 and summary["rows_skipped"] == 0
    assert summary["steps"] == 2 + 3 + 1 + 0 + 2
    assert summary["adapter"] == "prmlib" and summary["seconds"] >= 0
    got = read_jsonl(out)
    assert [r["id"] for r in got] == [r["id"] for r in ROWS]
    for row, src in zip(got, ROWS):
        assert {k: row[k] for k in src} == src  # input fields kept
    scorer = PRMScorer.from_pretrained(str(model_dir), device="cpu")
    assert got[0]["step_scores"] == pytest.approx(scorer.score_one(ROWS[0]["problem"], ROWS[0]["steps"]), abs=1e-6)
    bon = got[1]["step_scores"]
    assert [len(s) for s in bon] == [len(split_steps(r)) for r in ROWS[1]["responses"]] == [2, 1]
    assert bon[0] == pytest.approx(scorer.score_one(ROWS[1]["problem"], ["2 + 3 = 5.", "The answer is 5."]), abs=1e-6)
    assert got[3]["step_scores"] == [] and got[4]["step_scores"][1] == []


def test_resumes_after_interruption(tmp_path, model_dir, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inp, ROWS)
    run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out, "--limit", 2)
    full = tmp_path / "full.jsonl"
    run_cli(capsys, "--model", model_dir, "--input", inp, "--output", full)
    # simulate a crash in the middle of writing row 3
    with out.open("a") as fh:
        fh.write('{"id": "pb-1", "problem": "Sol')
    code, summary = run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out)
    assert code == 0 and summary["rows_skipped"] == 2 and summary["rows_scored"] == 3
    assert read_jsonl(out) == read_jsonl(full)
    code, summary = run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out)
    assert summary["rows_scored"] == 0 and summary["rows_skipped"] == 5


def test_truncated_steps_are_null_and_counted(tmp_path, model_dir, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inp, [{"problem": "P" * 10, "steps": ["short.", "x" * 200]}])
    code, summary = run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out, "--max-length", 40)
    assert code == 0
    assert summary["truncated_steps"] == 1
    scores = read_jsonl(out)[0]["step_scores"]
    assert scores[0] is not None and scores[1] is None


@pytest.mark.parametrize(
    "row, message",
    [
        ({"steps": ["a"]}, "field 'problem'"),
        ({"problem": "p", "steps": "a"}, "field 'steps'"),
        ({"problem": "p", "responses": [1]}, "field 'responses'"),
        ({"problem": "p"}, "needs 'steps'"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, model_dir, row, message):
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, [ROWS[0], row])
    with pytest.raises(SystemExit, match=message) as info:  # one line for the user, not a traceback
        main(["score", "--model", str(model_dir), "--input", str(inp), "--output", str(tmp_path / "o.jsonl")])
    assert f"{inp}:2" in str(info.value) and str(info.value).startswith("prmlib score: ")
    assert not (tmp_path / "o.jsonl").exists()  # validated before any model is loaded or row written


def test_reads_a_json_array_as_processbench_ships_it(tmp_path, model_dir, capsys):
    """ProcessBench's ``<subset>.json`` is one JSON array: scored as is, the same as its JSONL copy."""
    rows = [ROWS[0], ROWS[2]]
    arr, lines = tmp_path / "gsm8k.json", tmp_path / "gsm8k.jsonl"
    arr.write_text(json.dumps(rows, indent=2))
    write_jsonl(lines, rows)
    code, summary = run_cli(capsys, "--model", model_dir, "--input", arr, "--output", tmp_path / "a.jsonl")
    assert code == 0 and summary["rows_scored"] == 2
    run_cli(capsys, "--model", model_dir, "--input", lines, "--output", tmp_path / "b.jsonl")
    assert read_jsonl(tmp_path / "a.jsonl") == read_jsonl(tmp_path / "b.jsonl")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([ROWS[0], ["not", "an", "object"]]))
    with pytest.raises(SystemExit, match="row 2 of the array is not a JSON object"):
        main(["score", "--model", str(model_dir), "--input", str(bad), "--output", str(tmp_path / "c.jsonl")])
    with pytest.raises(SystemExit, match="input file not found"):
        main(["score", "--model", str(model_dir), "--input", str(tmp_path / "missing.json"),
              "--output", str(tmp_path / "d.jsonl")])


def test_separator_flag_unescapes_backslash_n(tmp_path, model_dir, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inp, ROWS[:1])
    run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out, "--separator", "\\n\\n")
    scorer = PRMScorer.from_pretrained(str(model_dir), device="cpu", separator="\n\n")
    assert scorer.adapter.separator == "\n\n"
    expected = scorer.score_one(ROWS[0]["problem"], ROWS[0]["steps"])
    assert read_jsonl(out)[0]["step_scores"] == pytest.approx(expected, abs=1e-6)


def test_max_batch_tokens_flag(tmp_path, model_dir, capsys):
    """The flag reaches the scorer: a small budget splits the rows into more, better-filled
    batches (higher padding efficiency); scores do not depend on batching."""
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, ROWS)
    summaries, outputs = {}, {}
    for value in ("none", "auto", "40"):
        out = tmp_path / f"out-{value}.jsonl"
        code, summaries[value] = run_cli(capsys, "--model", model_dir, "--input", inp, "--output", out,
                                         "--max-batch-tokens", value)
        assert code == 0 and summaries[value]["rows_scored"] == len(ROWS)
        outputs[value] = read_jsonl(out)
    # on CPU "auto" is 2,048 tokens: these short rows fit one batch, as with no cap
    assert summaries["auto"]["padding_efficiency"] == summaries["none"]["padding_efficiency"] < 1.0
    assert summaries["40"]["padding_efficiency"] > summaries["none"]["padding_efficiency"]
    def flat(rows):  # ProcessBench rows hold a list of scores, BoN rows a list per response
        return [x for r in rows for s in r["step_scores"] for x in (s if isinstance(s, list) else [s])]

    assert len(flat(outputs["40"])) == 8
    assert flat(outputs["40"]) == pytest.approx(flat(outputs["none"]), abs=1e-6)


def test_max_batch_tokens_is_for_the_transformers_backend(tmp_path, model_dir):
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, ROWS)
    with pytest.raises(SystemExit, match="transformers backend"):
        main(["score", "--model", str(model_dir), "--input", str(inp), "--output", str(tmp_path / "o.jsonl"),
              "--backend", "vllm", "--max-batch-tokens", "64", "--no-progress"])


def test_checkpoint_of_unknown_format_asks_for_adapter(tmp_path, model_dir):
    import shutil

    other = tmp_path / "snapshots" / "9a8b7c"
    shutil.copytree(model_dir, other)
    (other / "prmlib_prm.json").unlink(missing_ok=True)
    (other / "prm_train_config.yaml").unlink(missing_ok=True)
    config = json.loads((other / "config.json").read_text())
    config["architectures"] = ["MistralForCausalLM"]
    (other / "config.json").write_text(json.dumps(config))
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, ROWS)
    with pytest.raises(SystemExit, match="prmlib score --adapter"):
        main(["score", "--model", str(other), "--input", str(inp), "--output", str(tmp_path / "o.jsonl"),
              "--no-progress"])


@pytest.mark.parametrize("value", ["0", "lots", "-3"])
def test_max_batch_tokens_flag_rejects_bad_values(tmp_path, model_dir, value):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inp, ROWS)
    with pytest.raises(SystemExit, match="--max-batch-tokens"):
        main(["score", "--model", str(model_dir), "--input", str(inp), "--output", str(out),
              "--max-batch-tokens", value, "--no-progress"])
