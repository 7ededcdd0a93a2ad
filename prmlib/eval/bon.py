"""Best-of-N evaluation: pick one of N sampled solutions per problem and grade its final answer.

For each problem we have a gold answer and N candidate solutions (with, optionally, a PRM's step
scores or one outcome score each). Reported, per benchmark and as the plain mean over benchmarks
(like Table 6 of the Lessons paper):

* ``pass@N``: some candidate is correct (the upper bound);
* ``maj@N``: the most frequent final answer is correct; equivalent answers vote together because
  they are grouped by :func:`prmlib.grading.answer_key`;
* ``rm@N (agg)``: the candidate with the highest solution score is correct, where a solution's
  score aggregates its step scores by ``product`` (the paper's default), ``min``, ``last`` or
  ``mean`` (or is the given outcome score, ``outcome``);
* ``weighted maj@N (agg)``: the answer whose candidates' solution scores sum highest.

Final answers are read with each benchmark's extraction policy
(:func:`prmlib.data.default_extraction`: flexible for GSM8K, a letter for MMLU STEM, strict or
flexible by gold for the MATH-style sets; a problem's ``extraction`` field or the ``extraction``
argument of :func:`grade_problems` overrides it), and graded by one cached
:class:`prmlib.grading.Grader`.

Tie-breaking (deterministic): rm@N picks the lowest candidate index among equal scores; maj@N
and weighted maj@N pick, among tied answers, the one that appears first (lowest candidate index),
and grade that candidate. Candidates with no extractable answer never vote (if none has one,
maj@N is wrong) but can still be picked by rm@N (and are then wrong).

Accuracy as a function of N (:func:`accuracy_vs_n`) averages each metric over random subsets of
n candidates per problem, drawn with a fixed seed; the same code computes the full-N numbers
with the single subset {0..N-1}.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from prmlib.eval.processbench import finite_prefix
from prmlib.grading import EXTRACTION_POLICIES, Grader

AGGREGATIONS: tuple[str, ...] = ("product", "min", "last", "mean")
#: display names of the Best-of-N benchmarks (column names of the paper's Table 6)
BENCHMARK_NAMES: dict[str, str] = {
    "gsm8k": "GSM8K", "math": "MATH", "minerva_math": "Minerva Math", "gaokao2023en": "GaoKao 2023 En",
    "olympiadbench": "OlympiadBench", "college_math": "College Math", "mmlu_stem": "MMLU STEM",
    "math500": "MATH500", "aime24": "AIME24", "amc23": "AMC23",
}


def aggregate_step_scores(step_scores: Sequence[float], agg: str) -> float:
    """One solution score from its step scores (``product``, ``min``, ``last`` or ``mean``).

    A solution without steps gets ``-inf`` (never preferred over a scored one).
    """
    s = np.asarray(step_scores, dtype=np.float64)
    if agg not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {agg!r}; choose one of {', '.join(AGGREGATIONS)}")
    if s.size == 0:
        return float("-inf")
    if np.isnan(s).any():
        raise ValueError("step scores contain NaN")
    return float({"product": np.prod, "min": np.min, "last": lambda x: x[-1], "mean": np.mean}[agg](s))


@dataclass
class BoNProblem:
    """One problem with N candidate solutions.

    Attributes:
        problem: problem text.
        gold: gold final answer.
        responses: the N solution texts.
        benchmark: benchmark name (``gsm8k``, ``math``, ...).
        step_scores: optional, per candidate the PRM's step scores.
        scores: optional, per candidate one outcome score.
        answers / keys / correct: filled by :func:`grade_problems` (extracted answer, its
            voting key, and whether it equals the gold answer); may be given directly.
        extraction: the extraction policy that reads the answers (default: the benchmark's,
            :func:`prmlib.data.default_extraction`); set by :func:`grade_problems`.
    """

    problem: str
    gold: str
    responses: list[str]
    benchmark: str = "default"
    step_scores: list[list[float]] | None = None
    scores: list[float] | None = None
    answers: list[str | None] | None = None
    keys: list[str | None] | None = None
    correct: list[bool] | None = None
    extraction: str | None = None

    def __post_init__(self) -> None:
        n = len(self.responses)
        if n == 0:
            raise ValueError(f"problem {self.problem[:60]!r}: no responses")
        for name in ("step_scores", "scores", "answers", "keys", "correct"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"problem {self.problem[:60]!r}: {len(value)} {name} for {n} responses")

    def solution_scores(self, agg: str) -> np.ndarray:
        """Per-candidate solution scores: aggregated step scores, or the outcome scores (``outcome``)."""
        if agg == "outcome":
            if self.scores is None:
                raise ValueError(f"problem {self.problem[:60]!r} has no outcome scores")
            out = np.asarray(self.scores, dtype=np.float64)
            if np.isnan(out).any():
                raise ValueError(f"problem {self.problem[:60]!r}: outcome scores contain NaN")
            return out
        if self.step_scores is None:
            raise ValueError(f"problem {self.problem[:60]!r} has no step scores")
        return np.array([aggregate_step_scores(s, agg) for s in self.step_scores])


def bon_record(problem: str, gold: str, benchmark: str, responses: Sequence[str], answer_correct: Sequence[bool],
               *, extraction: str, steps: Sequence[Sequence[str]] | None = None,
               first_errors: Sequence[int | None] | None = None) -> dict[str, Any]:
    """One problem's Best-of-N candidates as a plain record (what the lessons store and score).

    ``{"problem", "gold", "benchmark", "extraction", "responses", "steps" (per response),
    "first_errors" (per response: exact first wrong step, -1 none, ``None`` unknown),
    "answer_correct"}``. ``steps`` defaults to :func:`prmlib.solution.split_steps` of each response,
    ``first_errors`` to unknown. A :class:`BoNProblem` is built from it with ``problem``, ``gold``,
    ``benchmark``, ``extraction`` and ``responses``.

    Raises:
        ValueError: no responses, an unknown extraction policy, or per-response lists whose
            lengths differ from the responses'.
    """
    from prmlib.solution import split_steps

    texts = [str(t) for t in responses]
    if not texts:
        raise ValueError(f"problem {problem[:60]!r}: no responses")
    if extraction not in EXTRACTION_POLICIES:
        raise ValueError(f"unknown extraction policy {extraction!r}; choose from {', '.join(EXTRACTION_POLICIES)}")
    steps = [list(x) for x in steps] if steps is not None else [split_steps(t) or [t] for t in texts]
    first_errors = list(first_errors) if first_errors is not None else [None] * len(texts)
    correct = [bool(c) for c in answer_correct]
    for name, value in (("steps", steps), ("first_errors", first_errors), ("answer_correct", correct)):
        if len(value) != len(texts):
            raise ValueError(f"problem {problem[:60]!r}: {len(value)} {name} for {len(texts)} responses")
    return {"problem": problem, "gold": str(gold), "benchmark": benchmark, "extraction": extraction,
            "responses": texts, "steps": steps, "first_errors": first_errors, "answer_correct": correct}


class GradeCache(Grader):
    """:class:`prmlib.grading.Grader` under its earlier name, taking the comparison first:
    ``GradeCache(fn)`` is ``Grader(equivalent=fn)`` (``fn(answer, gold) -> bool``)."""

    def __init__(self, grader: Callable[[str, str], bool] | None = None, policy: str = "strict",
                 timeout: float = 5.0) -> None:
        super().__init__(policy, timeout, equivalent=grader)


def grade_problems(problems: Sequence[BoNProblem], cache: Grader | None = None, progress: bool = True,
                   extraction: str | None = None) -> Grader:
    """Fill ``answers``, ``keys``, ``correct`` and ``extraction`` of every problem (those already set
    are kept).

    Args:
        problems: the problems.
        cache: the :class:`~prmlib.grading.Grader` whose cache to use and fill (default: a new one).
        progress: tqdm bar.
        extraction: extraction policy for every problem; default each problem's own
            ``extraction``, else its benchmark's (:func:`prmlib.data.default_extraction`).

    Returns:
        The grader (``calls``: comparisons computed; ``cache``: every verdict).
    """
    from prmlib.data.benchmarks import default_extraction
    from prmlib.grading import NO_ANSWER_KEY, answer_key

    cache = cache if cache is not None else Grader()
    for p in tqdm(problems, desc="grading", disable=not progress):
        p.extraction = extraction or p.extraction or default_extraction(p.benchmark)
        if p.answers is None:
            p.answers = [cache.extract(r, p.gold, p.extraction) for r in p.responses]
        if p.keys is None:
            keys = [None if a is None else answer_key(a) for a in p.answers]
            p.keys = [None if k == NO_ANSWER_KEY else k for k in keys]
        if p.correct is None:
            p.correct = [cache.check(a, p.gold, p.extraction) for a in p.answers]
    return cache


def extraction_by_benchmark(problems: Sequence[BoNProblem]) -> dict[str, str]:
    """The extraction policy of each benchmark, as stated in outputs (policies joined by ``+`` when
    one benchmark's problems were read with several)."""
    seen: dict[str, list[str]] = {}
    for p in problems:
        if p.extraction is not None and p.extraction not in seen.setdefault(p.benchmark, []):
            seen[p.benchmark].append(p.extraction)
    return {b: "+".join(v) for b, v in seen.items() if v}


def vote_codes(keys: Sequence[str | None]) -> np.ndarray:
    """Integer codes of voting keys in order of first appearance (0, 1, ...); None -> -1."""
    seen: dict[str, int] = {}
    return np.array([-1 if k is None else seen.setdefault(k, len(seen)) for k in keys], dtype=np.int64)


def select(correct: np.ndarray, codes: np.ndarray, scores: dict[str, np.ndarray], subsets: np.ndarray) -> dict[str, np.ndarray]:
    """Correctness of every selection rule on candidate subsets (vectorised).

    Args:
        correct: (P, N) bool, candidate correctness.
        codes: (P, N) int voting codes (-1 = no answer).
        scores: aggregation name -> (P, N) solution scores.
        subsets: (P, S, n) candidate indices, each row sorted ascending.

    Returns:
        metric -> (P, S) bool: ``pass``, ``maj``, and ``rm:<agg>``, ``wmaj:<agg>`` per aggregation.
    """
    P, _, n = subsets.shape
    rows = np.arange(P)[:, None, None]
    c = correct[rows, subsets]
    k = codes[rows, subsets]
    pos = np.arange(n)
    onehot = k[..., None] == np.arange(correct.shape[1])  # (P, S, n, K)
    counts = onehot.sum(axis=2)
    first_pos = np.where(onehot, pos[None, None, :, None], n).min(axis=2)  # (P, S, K)
    voted = counts > 0

    def pick(value: np.ndarray) -> np.ndarray:
        """Correctness of the first-appearing answer with the highest ``value`` (P, S, K)."""
        value = np.where(voted, value, -np.inf)
        best = value.max(axis=-1, keepdims=True)
        winner = np.where(voted & (value == best), first_pos, n + 1).argmin(axis=-1)
        at = np.take_along_axis(first_pos, winner[..., None], axis=-1)[..., 0]
        ok = np.take_along_axis(c, np.minimum(at, n - 1)[..., None], axis=-1)[..., 0]
        return ok & voted.any(axis=-1)

    out = {"pass": c.any(axis=-1), "maj": pick(counts.astype(np.float64))}
    for agg, sc in scores.items():
        s = sc[rows, subsets]
        out[f"rm:{agg}"] = np.take_along_axis(c, s.argmax(axis=-1)[..., None], axis=-1)[..., 0]
        out[f"wmaj:{agg}"] = pick((onehot * s[..., None]).sum(axis=2))
    return out


def metric_label(metric: str, n: int | str) -> str:
    """``pass`` -> ``pass@8``, ``rm:min`` -> ``rm@8 (min)``, ``wmaj:product`` -> ``weighted maj@8 (product)``."""
    if ":" not in metric:
        return f"{metric}@{n}"
    kind, agg = metric.split(":", 1)
    return f"{'rm' if kind == 'rm' else 'weighted maj'}@{n} ({agg})"


def _groups(problems: Sequence[BoNProblem]) -> dict[tuple[str, int], list[int]]:
    groups: dict[tuple[str, int], list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault((p.benchmark, len(p.responses)), []).append(i)
    return groups


def _arrays(problems: Sequence[BoNProblem], idx: list[int], aggs: Sequence[str]):
    for i in idx:
        if problems[i].correct is None or problems[i].keys is None:
            raise ValueError(f"problem {i} is not graded: call grade_problems first")
    correct = np.array([problems[i].correct for i in idx], dtype=bool)
    codes = np.stack([vote_codes(problems[i].keys) for i in idx])
    scores = {a: np.stack([problems[i].solution_scores(a) for i in idx]) for a in aggs}
    return correct, codes, scores


def benchmark_order(names: Iterable[str]) -> list[str]:
    """The paper's benchmark order first, then the others in order of appearance."""
    names = list(dict.fromkeys(names))
    known = [b for b in BENCHMARK_NAMES if b in names]
    return known + [b for b in names if b not in BENCHMARK_NAMES]


@dataclass
class BoNResult:
    """Best-of-N accuracies (%): ``table`` has one row per metric, one column per benchmark and ``Avg.``."""

    table: pd.DataFrame
    n: int | str
    per_problem: pd.DataFrame = field(default_factory=pd.DataFrame)

    def average(self, metric: str) -> float:
        """Accuracy (%) averaged over benchmarks of one metric, named by its key: ``pass``, ``maj``,
        ``rm:<agg>`` or ``wmaj:<agg>`` (the row ``metric_label(metric, n)`` of :attr:`table`).

        Raises:
            KeyError: the result has no such metric (e.g. an aggregation that was not computed).
        """
        label = metric_label(metric, self.n)
        if label not in self.table.index:
            raise KeyError(f"no Best-of-N metric {metric!r} (row {label!r}) among {list(self.table.index)}")
        return float(self.table.loc[label, "Avg."])

    def to_json(self, digits: int = 2) -> dict[str, Any]:
        t = self.table.round(digits)
        return {"n": self.n,
                "benchmarks": {b: {m: float(t.loc[m, b]) for m in t.index} for b in t.columns if b != "Avg."},
                "average": {m: float(t.loc[m, "Avg."]) for m in t.index}}


def _resolve_aggs(problems: Sequence[BoNProblem], aggs: Sequence[str] | None) -> list[str]:
    if aggs is not None:
        return list(aggs)
    out = []
    if all(p.step_scores is not None for p in problems):
        out += list(AGGREGATIONS)
    if all(p.scores is not None for p in problems):
        out.append("outcome")
    return out


def best_of_n(problems: Sequence[BoNProblem], aggs: Sequence[str] | None = None) -> BoNResult:
    """pass@N, maj@N, rm@N and weighted maj@N per benchmark and averaged over benchmarks.

    Args:
        problems: graded problems (see :func:`grade_problems`).
        aggs: aggregations for rm@N (``product``, ``min``, ``last``, ``mean``, ``outcome``);
            default: all four step aggregations if every problem has step scores, plus
            ``outcome`` if every problem has outcome scores.
    """
    aggs = _resolve_aggs(problems, aggs)
    per_bench: dict[str, dict[str, list[np.ndarray]]] = {}
    records = []
    ns = {len(p.responses) for p in problems}
    for (bench, n), idx in _groups(problems).items():
        correct, codes, scores = _arrays(problems, idx, aggs)
        full = np.broadcast_to(np.arange(n), (len(idx), 1, n))
        res = select(correct, codes, scores, full)
        for m, v in res.items():
            per_bench.setdefault(bench, {}).setdefault(m, []).append(v[:, 0])
        for j, i in enumerate(idx):
            records.append({"index": i, "benchmark": bench, "n": n, **{m: bool(v[j, 0]) for m, v in res.items()}})
    label_n: int | str = ns.pop() if len(ns) == 1 else "N"
    cols = {}
    for bench in benchmark_order(per_bench):
        cols[BENCHMARK_NAMES.get(bench, bench)] = {
            metric_label(m, label_n): 100.0 * float(np.concatenate(v).mean()) for m, v in per_bench[bench].items()}
    table = pd.DataFrame(cols)
    table["Avg."] = table.mean(axis=1)
    per_problem = pd.DataFrame(records).set_index("index").sort_index() if records else pd.DataFrame()
    return BoNResult(table=table, n=label_n, per_problem=per_problem)


def accuracy_vs_n(
    problems: Sequence[BoNProblem],
    aggs: Sequence[str] | None = None,
    num_subsets: int = 32,
    seed: int = 0,
    n_values: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Accuracy (%) of each metric for n = 1..N candidates, averaged over random subsets.

    For every problem and n, ``num_subsets`` subsets of n distinct candidates are drawn with
    ``numpy.random.default_rng((seed, n, group))``, so the result is reproducible.

    Returns:
        long DataFrame with columns ``n``, ``metric`` (``pass``, ``maj``, ``rm:<agg>``,
        ``wmaj:<agg>``), ``benchmark`` (display name, and ``Avg.`` = plain mean over benchmarks)
        and ``accuracy``.
    """
    aggs = _resolve_aggs(problems, aggs)
    sums: dict[tuple[int, str, str], list[float]] = {}
    for g, ((bench, N), idx) in enumerate(_groups(problems).items()):
        correct, codes, scores = _arrays(problems, idx, aggs)
        for n in (n_values or range(1, N + 1)):
            if not 1 <= n <= N:
                continue
            rng = np.random.default_rng((seed, n, g))
            draw = np.sort(np.argsort(rng.random((len(idx), num_subsets, N)), axis=-1)[..., :n], axis=-1)
            for m, v in select(correct, codes, scores, draw).items():
                acc = sums.setdefault((n, m, bench), [0.0, 0.0])
                acc[0] += float(v.mean(axis=1).sum())
                acc[1] += len(idx)
    rows = [{"n": n, "metric": m, "benchmark": BENCHMARK_NAMES.get(b, b), "accuracy": 100.0 * s / c}
            for (n, m, b), (s, c) in sums.items()]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    avg = df.groupby(["n", "metric"], as_index=False)["accuracy"].mean().assign(benchmark="Avg.")
    return pd.concat([df, avg], ignore_index=True).sort_values(["metric", "benchmark", "n"]).reset_index(drop=True)


def problems_from_records(records: Iterable[dict[str, Any]], source: str = "input") -> list[BoNProblem]:
    """Build problems from dicts with ``problem``, ``gold``, ``responses`` and optional
    ``benchmark``, ``step_scores``, ``scores``, ``extraction`` (the ``prmlib eval bon`` JSONL format).

    A ``null`` step score (``prmlib score`` writes one for a step past the PRM's length limit) ends a
    candidate's scored steps: its solution score uses the steps before it (a candidate with none
    scores 0), as the lessons do; a warning counts such candidates."""
    out = []
    unscored = 0
    for line_no, rec in enumerate(records, 1):
        where = f"{source}, record {line_no}"
        if not isinstance(rec, dict):
            raise TypeError(f"{where}: expected a JSON object")
        for key in ("problem", "gold", "responses"):
            if key not in rec:
                raise ValueError(f"{where}: missing field {key!r}")
        if not isinstance(rec["responses"], list) or not all(isinstance(r, str) for r in rec["responses"]):
            raise ValueError(f"{where}: 'responses' must be a list of strings")
        n = len(rec["responses"])
        for key in ("step_scores", "scores"):
            if rec.get(key) is not None and len(rec[key]) != n:
                raise ValueError(f"{where}: {len(rec[key])} {key} for {n} responses")
        if rec.get("extraction") and rec["extraction"] not in EXTRACTION_POLICIES:
            raise ValueError(f"{where}: unknown extraction {rec['extraction']!r}; choose from "
                             f"{', '.join(EXTRACTION_POLICIES)}")
        step_scores = rec.get("step_scores")
        if step_scores is not None:
            step_scores = list(step_scores)
            for j, s in enumerate(step_scores):
                if not isinstance(s, list) or not all(x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))
                                                      for x in s):
                    raise ValueError(f"{where}: step_scores[{j}] must be a list of numbers (null: not scored)")
                if None in s:  # steps past the PRM's length limit: the scores before the first null count
                    unscored += 1
                    step_scores[j] = finite_prefix(s) or [0.0]
        try:
            out.append(BoNProblem(problem=str(rec["problem"]), gold=str(rec["gold"]), responses=rec["responses"],
                                  benchmark=str(rec.get("benchmark") or "default"),
                                  step_scores=step_scores, scores=rec.get("scores"),
                                  extraction=rec.get("extraction") or None))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if unscored:
        warnings.warn(f"{source}: {unscored} candidate(s) have unscored (null) steps; their solution scores use "
                      "the steps before the first null (none: 0)", stacklevel=2)
    return out
