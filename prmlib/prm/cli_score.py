"""``prmlib score``: add PRM step scores to a JSONL file, resumably.

Input rows are either

* ProcessBench-style: ``{"problem": str, "steps": [str, ...], ...}`` -> ``step_scores: [float]``
  (ProcessBench's own ``<subset>.json`` files, one JSON array each, are read as they are);
* Best-of-N candidates: ``{"problem": str, "responses": [str, ...], ...}``; each response is split
  into steps on blank lines (``"\\n\\n"``) -> ``step_scores: [[float], ...]``, one list per response.

Every input field is kept. Rows are scored in chunks and appended to ``--output`` after each
chunk, so an interrupted run continues where it stopped: rows already in the output are skipped
(a half-written last line is dropped first). Steps cut by the length limit score ``null`` (NaN)
and are counted in the summary. The last line printed is one JSON object.

Example::

    prmlib score --model runs/prm-tiny-cpu --input $PRMLIB_DATA_DIR/processbench/gsm8k.json --output scored.jsonl
    prmlib score --model Qwen/Qwen2.5-Math-PRM-7B --backend vllm --input bon.jsonl --output bon_scored.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..solution import split_steps
from .adapters.registry import ADAPTERS


def register(subparsers) -> None:
    p = subparsers.add_parser("score", help="score steps with a PRM", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="local folder or hub id (or an adapter name for its default model)")
    p.add_argument("--input", required=True, type=Path, help="JSONL with problem + steps, or problem + responses")
    p.add_argument("--output", required=True, type=Path, help="JSONL written incrementally (resumed if present)")
    p.add_argument("--adapter", default=None, choices=sorted(ADAPTERS),
                   help="input format (default: chosen from the model id)")
    p.add_argument("--backend", choices=("transformers", "vllm"), default="transformers")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per forward pass (transformers)")
    p.add_argument("--max-batch-tokens", default="auto",
                   help="padded tokens per forward pass (transformers): a number, 'none', or 'auto' "
                        "(2048 on CPU, no cap on GPU)")
    p.add_argument("--chunk-rows", type=int, default=256, help="rows scored between two writes")
    p.add_argument("--device", default=None, help="transformers device (default: cuda if available)")
    p.add_argument("--dtype", default=None, help="float32, bfloat16, ... (default: bf16 on GPU, fp32 on CPU)")
    p.add_argument("--max-length", type=int, default=None, help="longest input in tokens (default: the model's)")
    p.add_argument("--separator", default=None,
                   help="step separator of our own PRMs (default <extra_0>; write a real newline, or \\n escapes)")
    p.add_argument("--limit", type=int, default=None, help="score only the first N rows")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)


def _unescape(text: str) -> str:
    """Shell flags often deliver ``\\n`` as two characters: turn escapes into the characters."""
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")


def read_rows(path: Path) -> Iterator[tuple[int | str, dict[str, Any]]]:
    """``(position, row)`` of a JSONL file, or of a file holding one JSON array of objects (how
    ProcessBench's subsets are distributed); the position, for error messages, is the line number
    (JSONL) or ``"row N"`` (array, from 1)."""
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    with path.open(encoding="utf-8-sig") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith("["):
        try:
            rows = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        for number, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise ValueError(f"{path}: row {number} of the array is not a JSON object")  # noqa: TRY004 - bad data
            yield f"row {number}", row
        return
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object")  # noqa: TRY004 - bad data
            yield lineno, row


def row_solutions(row: dict[str, Any], where: str) -> tuple[str, list[list[str]], bool]:
    """``(problem, steps per solution, is_bon)`` of one input row, with errors naming the field."""
    problem = row.get("problem")
    if not isinstance(problem, str):
        raise ValueError(f"{where}: field 'problem' must be a string")  # noqa: TRY004 - bad data
    if "steps" in row:
        steps = row["steps"]
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise ValueError(f"{where}: field 'steps' must be a list of strings")
        return problem, [steps], False
    if "responses" in row:
        responses = row["responses"]
        if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
            raise ValueError(f"{where}: field 'responses' must be a list of strings")
        return problem, [split_steps(r) for r in responses], True
    raise ValueError(f"{where}: a row needs 'steps' (ProcessBench style) or 'responses' (Best-of-N)")


def batch_tokens_arg(text: str) -> int | str | None:
    """``--max-batch-tokens``: ``auto``, ``none`` or a positive number."""
    word = text.strip().lower()
    if word in ("auto", "none"):
        return "auto" if word == "auto" else None
    if not word.isdigit() or int(word) < 1:
        raise SystemExit(f"--max-batch-tokens must be a positive number, 'auto' or 'none', not {text!r}")
    return int(word)


def count_done(path: Path) -> int:
    """Complete rows already written to ``path``; a torn last line is removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        with path.open("r+b") as fh:
            fh.truncate(keep)
    return data[:keep].count(b"\n")


def _json_scores(scores: list[float]) -> list[float | None]:
    return [None if math.isnan(s) else s for s in scores]


def run(args: argparse.Namespace) -> int:
    from ..cli import print_json
    from .adapters import adapter_for, get_adapter, load_prm

    start = time.perf_counter()
    adapter_options = {}
    if args.separator is not None:
        adapter_options["separator"] = _unescape(args.separator)
    if adapter_options and args.adapter not in (None, "prmlib"):
        raise SystemExit("--separator applies to our own PRMs (--adapter prmlib) only")
    batch_tokens = batch_tokens_arg(args.max_batch_tokens)
    if args.backend == "vllm" and batch_tokens != "auto":
        raise SystemExit("--max-batch-tokens applies to the transformers backend (vLLM schedules its own batches)")
    if args.adapter is not None:
        adapter = get_adapter(args.adapter, **adapter_options)
    else:
        try:
            adapter = adapter_for(args.model, **adapter_options)
        except ValueError as exc:  # a checkpoint whose format cannot be told: ask for --adapter
            raise SystemExit(f"prmlib score: {exc}") from None
        if adapter_options and adapter.name != "prmlib":
            raise SystemExit(f"--separator applies to our own PRMs, not to the {adapter.name!r} format")
    kwargs: dict[str, Any] = {"show_progress": False if args.no_progress else None}
    if args.backend == "transformers":
        kwargs.update(batch_size=args.batch_size, device=args.device, dtype=args.dtype, max_length=args.max_length,
                      max_batch_tokens=batch_tokens)
    else:
        kwargs.update(dtype=args.dtype or "auto", max_model_len=args.max_length)

    try:
        rows = list(read_rows(args.input))
        if args.limit is not None:
            rows = rows[: args.limit]
        done = count_done(args.output)
        if done > len(rows):
            raise SystemExit(f"{args.output} has {done} rows but {args.input} only {len(rows)}: wrong output file?")
        todo = rows[done:]
        for lineno, row in todo:  # validate everything before loading a model
            row_solutions(row, f"{args.input}:{lineno}")
    except (FileNotFoundError, ValueError) as exc:  # bad input: one line, not a traceback
        raise SystemExit(f"prmlib score: {exc}") from None

    summary = {"rows_scored": 0, "rows_skipped": done, "steps": 0, "truncated_steps": 0}
    if todo:
        if args.backend == "vllm":
            _in_process_vllm_on_cpu()
        scorer = load_prm(args.model, backend=args.backend, adapter=adapter, **kwargs)
        try:
            summary.update(_score_rows(scorer, todo, args, summary))
        finally:
            if hasattr(scorer, "close"):
                scorer.close()
        summary["adapter"] = scorer.adapter.name
    summary.update(model=args.model, backend=args.backend, output=str(args.output),
                   seconds=round(time.perf_counter() - start, 3))
    print_json(summary)
    return 0


def _in_process_vllm_on_cpu() -> None:
    """On a machine without CUDA, run the vLLM engine in-process (starts faster, exits cleanly)."""
    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def _score_rows(scorer, todo, args, summary) -> dict[str, Any]:
    from tqdm.auto import tqdm

    args.output.parent.mkdir(parents=True, exist_ok=True)
    real = padded = 0
    with args.output.open("a", encoding="utf-8") as out, tqdm(
        total=len(todo), desc="rows", unit="row", disable=args.no_progress or len(todo) < args.chunk_rows
    ) as bar:
        for begin in range(0, len(todo), args.chunk_rows):
            chunk = todo[begin: begin + args.chunk_rows]
            problems, steps_list, owners = [], [], []
            parsed = []
            for k, (lineno, row) in enumerate(chunk):
                problem, solutions, is_bon = row_solutions(row, f"{args.input}:{lineno}")
                parsed.append(is_bon)
                for steps in solutions:
                    problems.append(problem)
                    steps_list.append(steps)
                    owners.append(k)
            scores = scorer.score(problems, steps_list)
            stats = scorer.last_stats
            summary["steps"] += stats.steps
            summary["truncated_steps"] += stats.truncated_steps
            real += stats.real_tokens
            padded += stats.padded_tokens
            per_row: list[list[list[float | None]]] = [[] for _ in chunk]
            for owner, s in zip(owners, scores):
                per_row[owner].append(_json_scores(s))
            for (lineno, row), is_bon, s in zip(chunk, parsed, per_row):
                out.write(json.dumps({**row, "step_scores": s if is_bon else s[0]}, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            summary["rows_scored"] += len(chunk)
            bar.update(len(chunk))
    if summary["truncated_steps"]:
        print(f"prmlib score: {summary['truncated_steps']} step(s) were beyond the length limit and score null",
              file=sys.stderr)
    return {"padding_efficiency": round(real / padded, 4) if padded else 1.0}
