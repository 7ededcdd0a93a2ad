"""Best-of-N benchmarks, each with one normalised gold answer per row.

The paper evaluates Best-of-8 on seven benchmarks, in this order (:data:`BON_BENCHMARKS`):
GSM8K, MATH, Minerva Math, GaoKao 2023 En, OlympiadBench, College Math, MMLU STEM. MATH500,
AIME24 and AMC23 are also available. Local files follow Qwen2.5-Math's ``evaluation/data``
(``qwen25math_eval/<name>/test.jsonl``), except MATH (``math/test.jsonl``, 5,000 problems) and
MATH500 (``math500/test.jsonl``).

Gold answers are written differently in every source; :data:`GOLD_RULES` says how each is read:

* GSM8K: the text after ``####`` in ``answer``, thousands separators removed;
* MATH, Minerva Math: the last ``\\boxed{}`` of ``solution``;
* MATH500, GaoKao, College Math, AIME24: ``answer`` (math delimiters ``$`` removed);
* AMC23: ``answer`` (a float; ``27.0`` -> ``"27"``);
* OlympiadBench: ``final_answer`` (a list; items joined with ``", "``);
* MMLU STEM: the letter of ``answer`` (an index into ``choices``); the choices are written into the
  problem text as ``(A) ...`` lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prmlib.answer_extraction import clean_answer, find_boxed
from prmlib.data.errors import DataError, LoadReport, OnError, convert_rows, logger, require, require_str
from prmlib.data.sources import hub_rows, local_file, read_rows, rows_to_dataset

#: The paper's seven Best-of-N benchmarks, in its table order.
BON_BENCHMARKS = ("gsm8k", "math", "minerva_math", "gaokao2023en", "olympiadbench", "college_math", "mmlu_stem")
#: Every benchmark :func:`load_bon_benchmark` knows.
ALL_BENCHMARKS = BON_BENCHMARKS + ("math500", "aime24", "amc23")
MATH_HUB_ID = "EleutherAI/hendrycks_math"
MATH_HUB_CONFIGS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra", "number_theory",
                    "prealgebra", "precalculus")
CHOICE_LETTERS = "ABCDEFGHIJ"


# -- gold readers ---------------------------------------------------------------------------
def gsm8k_gold(answer_text: str) -> str:
    """Gold of a GSM8K reference: the text after the last ``####``, without thousands separators."""
    marker = answer_text.rfind("####")
    if marker < 0:
        raise DataError("no '####' gold line", field="answer")
    gold = answer_text[marker + 4 :].strip().split("\n")[0].strip()
    gold = clean_answer(gold).replace(",", "")
    if not gold:
        raise DataError("empty gold after '####'", field="answer")
    return gold


def boxed_gold(solution: str, field_name: str = "solution") -> str:
    """Gold of a MATH-style reference: the content of its last ``\\boxed{}``."""
    boxed = find_boxed(solution)
    if not boxed or not clean_answer(boxed[-1]):
        raise DataError("no \\boxed{} answer", field=field_name)
    return clean_answer(boxed[-1])


def _answer_field(row: dict[str, Any]) -> str:
    value = require(row, "answer")
    if isinstance(value, bool):
        raise DataError("not a string or number", field="answer")
    if isinstance(value, float):
        value = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise DataError("not a string or number", field="answer", detail=type(value).__name__)
    gold = clean_answer(value)
    if not gold:
        raise DataError("empty", field="answer")
    return gold


def _olympiad_gold(row: dict[str, Any]) -> str:
    value = require(row, "final_answer")
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(x, str) for x in items):
        raise DataError("not a list of strings", field="final_answer")
    gold = ", ".join(clean_answer(x) for x in items if clean_answer(x))
    if not gold:
        raise DataError("empty", field="final_answer")
    return gold


def _mmlu_gold(row: dict[str, Any]) -> str:
    choices = require(row, "choices")
    if not isinstance(choices, list) or not choices or len(choices) > len(CHOICE_LETTERS):
        raise DataError("not a list of 1-10 choices", field="choices")
    index = require(row, "answer")
    if isinstance(index, str) and index.strip().isdigit():
        index = int(index)
    if isinstance(index, str) and index.strip().upper() in CHOICE_LETTERS[: len(choices)]:
        return index.strip().upper()
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(choices):
        raise DataError("not an index into 'choices'", field="answer", detail=repr(index))
    return CHOICE_LETTERS[index]


def render_choices(question: str, choices: list[Any]) -> str:
    """A multiple-choice question with its options as ``(A) ...`` lines."""
    lines = [f"({CHOICE_LETTERS[i]}) {str(c).strip()}" for i, c in enumerate(choices)]
    return question.strip() + "\n\n" + "\n".join(lines)


# -- benchmark table ------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkSpec:
    """Where a benchmark lives and how its problem and gold are read."""

    name: str
    relative: str
    problem_field: str
    gold: Callable[[dict[str, Any]], str]
    hub_id: str | None = None
    hub_names: tuple[str | None, ...] = (None,)
    hub_split: str = "test"
    extraction: str = "auto"


def _spec_table() -> dict[str, BenchmarkSpec]:
    q = "qwen25math_eval/{}/test.jsonl".format
    boxed = lambda r: boxed_gold(require_str(r, "solution"))
    gsm = lambda r: gsm8k_gold(require_str(r, "answer"))
    specs = [
        BenchmarkSpec("gsm8k", q("gsm8k"), "question", gsm, "openai/gsm8k", ("main",), extraction="flexible"),
        BenchmarkSpec("math", "math/test.jsonl", "problem", boxed, MATH_HUB_ID, MATH_HUB_CONFIGS),
        BenchmarkSpec("minerva_math", q("minerva_math"), "problem", boxed),
        BenchmarkSpec("gaokao2023en", q("gaokao2023en"), "question", _answer_field),
        BenchmarkSpec("olympiadbench", q("olympiadbench"), "question", _olympiad_gold),
        BenchmarkSpec("college_math", q("college_math"), "question", _answer_field),
        BenchmarkSpec("mmlu_stem", q("mmlu_stem"), "question", _mmlu_gold, "TIGER-Lab/MMLU-STEM", extraction="choice"),
        BenchmarkSpec("math500", "math500/test.jsonl", "problem", _answer_field, "HuggingFaceH4/MATH-500"),
        BenchmarkSpec("aime24", q("aime24"), "problem", _answer_field, extraction="flexible"),
        BenchmarkSpec("amc23", q("amc23"), "problem", _answer_field, extraction="flexible"),
    ]
    return {s.name: s for s in specs}


GOLD_RULES: dict[str, BenchmarkSpec] = _spec_table()

#: Extraction policy of every named answer source beyond the Best-of-N benchmarks: the problem
#: sources of ProcessBench's subsets (``processbench/<subset>`` or the bare subset name) and the
#: synthetic world, whose verifier reads only boxed answers.
OTHER_EXTRACTION: dict[str, str] = {
    "processbench/gsm8k": "flexible", "processbench/math": "auto", "processbench/olympiadbench": "auto",
    "processbench/omnimath": "auto", "omnimath": "auto", "omni_math": "auto", "synthetic": "strict",
}


def default_extraction(benchmark: str | None) -> str:
    """The extraction policy that grades answers to ``benchmark`` (``"auto"`` for unknown names).

    ``"flexible"`` for GSM8K, AIME24, AMC23 and ProcessBench's GSM8K subset (every gold is a
    number); ``"choice"`` for MMLU STEM; ``"strict"`` for the synthetic world (``"synthetic"``);
    ``"auto"`` (flexible when the gold is a plain number, else strict plus unboxed answers of the
    gold's form, :mod:`prmlib.answer_shapes`) for MATH, MATH500, Minerva
    Math, GaoKao, OlympiadBench, College Math, Omni-MATH, the other ProcessBench subsets and any
    name not listed.

    Example:
        >>> default_extraction("gsm8k"), default_extraction("mmlu_stem"), default_extraction("math500")
        ('flexible', 'choice', 'auto')
    """
    name = str(benchmark or "").strip().lower()
    if name in GOLD_RULES:
        return GOLD_RULES[name].extraction
    return OTHER_EXTRACTION.get(name, "auto")


_LEAKED_ANSWER_RE = re.compile(r"\s*(?:answers?|final answer)\s*:\s*(?P<ans>[^\n]+?)\s*$", re.IGNORECASE)


def split_leaked_answer(problem: str) -> tuple[str, str] | None:
    """``(problem, answer)`` when the problem text ends with ``"Answer: X"`` / ``"answers: X"``.

    Two GaoKao 2023 En rows (167 and 192) have an empty ``answer`` field and their answer written at
    the end of the question instead; the loader moves it back into ``gold``.
    """
    m = _LEAKED_ANSWER_RE.search(problem)
    if m is None or not clean_answer(m.group("ans")):
        return None
    return problem[: m.start()].rstrip(), clean_answer(m.group("ans"))


def _benchmark_row(spec: BenchmarkSpec, row: dict[str, Any], index: int, recovered: list[int]) -> dict[str, Any]:
    problem = require_str(row, spec.problem_field)
    if spec.name == "mmlu_stem":
        problem = render_choices(problem, row.get("choices") or [])
    leaked = None
    if spec.gold is _answer_field and isinstance(row.get("answer"), str) and not row["answer"].strip():
        leaked = split_leaked_answer(problem)
    if leaked is not None:
        problem, gold = leaked
        recovered.append(index)
    else:
        gold = spec.gold(row)
    out = {"problem": problem, "gold": gold, "benchmark": spec.name, "row": index, "extraction": spec.extraction}
    for key, value in row.items():
        if key not in out:
            out[key] = value
    return out


def read_benchmark_rows(spec: BenchmarkSpec, path: str | os.PathLike | None) -> tuple[list[Any], str]:
    file = local_file(spec.relative, path)
    if file is not None:
        return read_rows(file), str(file)
    rows: list[Any] = []
    for name in spec.hub_names:
        rows.extend(hub_rows(spec.hub_id, what=f"benchmark {spec.name}", split=spec.hub_split, name=name))
    return rows, f"hub:{spec.hub_id}[{spec.hub_split}]"


def load_bon_benchmark(name: str, path: str | os.PathLike | None = None, *, on_error: OnError = "raise",
                       report: LoadReport | None = None):
    """One Best-of-N benchmark as a ``datasets.Dataset`` with a normalised ``gold`` per row.

    Args:
        name: one of :data:`ALL_BENCHMARKS`.
        path: the test file or a folder holding it; default ``$PRMLIB_DATA_DIR``, then the Hub
            where a Hub copy is known (GSM8K, MATH, MATH500, MMLU STEM; the Hub's MMLU-STEM copy has
            3,153 rows against 3,018 in Qwen2.5-Math's file).
        on_error: ``"raise"`` or ``"skip"`` rows whose problem or gold cannot be read.
        report: a :class:`LoadReport` to fill.

    Returns:
        Columns problem, gold, benchmark, row (index in the source), extraction (the policy that
        reads a model's answer, :func:`default_extraction`), then the source's own fields.
        Rows whose ``answer`` is empty but whose problem text ends with ``"Answer: X"`` (GaoKao 2023 En
        rows 167 and 192) get ``gold = X`` and the problem without that tail; their indices are in
        ``report.notes["gold_from_problem_text"]``.
    """
    if name not in GOLD_RULES:
        raise ValueError(f"unknown benchmark {name!r}; choose from {ALL_BENCHMARKS}")
    spec = GOLD_RULES[name]
    report = report if report is not None else LoadReport()
    report.dataset = f"bon/{name}"
    rows, source = read_benchmark_rows(spec, path)
    report.source = source
    recovered: list[int] = []
    out = convert_rows(rows, lambda r, i: _benchmark_row(spec, r, i, recovered), file=source, on_error=on_error,
                       report=report)
    report.rows_loaded = len(out)
    if recovered:
        report.notes["gold_from_problem_text"] = recovered
        logger.info("%s: gold read from the problem text (empty 'answer') in rows %s", report.dataset, recovered)
    return rows_to_dataset(out)
