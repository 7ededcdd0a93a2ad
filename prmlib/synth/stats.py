"""Calibration of the synthetic world: the numbers behind ``prmlib synth stats``.

Per difficulty, from solutions sampled by the policy:

* ``accuracy``: share of solutions whose boxed answer is the gold answer;
* ``wrong_step_given_right``: among right-answer solutions, the share that contain a wrong step
  (exact verifier): the paper's Figure 6 quantity (5.1% GSM8K ... 43.4% Omni-MATH);
* ``mean_steps``;
* ``judge``: how the synthetic judge's first-error indices compare with the exact ones
  (:func:`judge_agreement`);
* Monte Carlo hard labels against the exact ones. For each solution, each step up to and including
  its exact first error gets an MC label from ``k`` continuations of its prefix (hard label "wrong"
  when none of the ``k`` reaches the gold answer, the paper's default threshold). "Wrong" is the
  positive class: ``mc_precision`` = share of MC-"wrong" steps that are truly wrong,
  ``mc_recall`` = share of truly wrong (first-error) steps that MC calls wrong. Two noise rates
  explain them: ``mc_false_wrong_rate`` (correct steps with 0/k: the policy's low chance from a good
  prefix) and ``mc_missed_rate`` (first-error steps with >0/k: the policy recovers);
  ``mc_first_error_accuracy``: share of solutions whose first MC-"wrong" step is the exact first
  error (or neither has one), comparable with the judge's ``accuracy``.
  Steps after the first error are not compared: they are wrong by convention and are dropped from
  training data anyway.

MC labels come from :func:`prmlib.annotate.mc.mc_estimate` (exhaustive, ``k`` completions per
step, the last step labelled by grading the solution itself), graded by the library's one cached
:class:`prmlib.grading.Grader` with the synthetic world's extraction policy (``"strict"``: the world
boxes every answer, and its verifier reads only boxes). The answers are integers, so every
comparison takes the grader's integer fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prmlib.solution import Solution, labels_from_first_error, split_steps
from prmlib.synth.policy import SyntheticPolicy
from prmlib.synth.problems import LEVELS, SynthProblem, make_problems
from prmlib.synth.verifier import first_error_kind, is_correct_answer


def sample_solutions(problems: Sequence[SynthProblem], policy: SyntheticPolicy | None = None,
                     n: int = 1, seed: int = 0) -> list[Solution]:
    """``n`` policy solutions per problem, with exact step labels (ProcessBench convention).

    ``meta`` holds ``id``, ``difficulty``, ``first_error``, ``error_kind`` (kind of the first error),
    ``answer_correct`` and ``num_tokens``.
    """
    policy = policy or SyntheticPolicy()
    comps = policy.sample([p.text for p in problems], n, seed=seed)
    out = []
    for p, cs in zip(problems, comps):
        for j, c in enumerate(cs):
            steps = split_steps(c.text)
            fe, kind = first_error_kind(p, steps)
            out.append(Solution(
                problem=p.text, steps=steps, labels=labels_from_first_error(len(steps), fe), gold=p.gold,
                meta={"id": f"{p.id}-{j}", "difficulty": p.difficulty, "first_error": fe, "error_kind": kind,
                      "answer_correct": is_correct_answer(c.text, p.gold), "num_tokens": c.num_tokens},
            ))
    return out


def synthetic_grader():
    """The grader of the synthetic world: a cached :class:`prmlib.grading.Grader` with its
    extraction policy (:func:`prmlib.data.default_extraction` of ``"synthetic"``)."""
    from prmlib.data.benchmarks import default_extraction
    from prmlib.grading import Grader

    return Grader(policy=default_extraction("synthetic"))


def mc_success_counts(policy: SyntheticPolicy, solutions: Sequence[Solution], k: int = 8, seed: int = 0,
                      upto_first_error: bool = True, show_progress: bool = False) -> list[list[int]]:
    """Per solution, per step: how many of ``k`` continuations of the prefix up to and including that
    step reach the gold answer, by :func:`prmlib.annotate.mc.mc_estimate` (exhaustive strategy,
    the paper's procedure; answers graded by :func:`synthetic_grader`).

    With ``upto_first_error`` only the counts of steps up to and including the exact first error
    (``meta["first_error"]``) are returned.
    """
    from prmlib.annotate.mc import mc_estimate

    results = mc_estimate(list(solutions), policy, k=k, strategy="exhaustive", seed=seed,
                          grade_fn=synthetic_grader(), show_progress=show_progress)
    counts = []
    for sol, res in zip(solutions, results):
        row = [int(c) for c in res.counts]
        fe = sol.meta.get("first_error", -1) if upto_first_error else -1
        counts.append(row if fe is None or fe < 0 else row[: fe + 1])
    return counts


@dataclass
class LevelStats:
    """Calibration figures of one difficulty level (see module docstring)."""

    difficulty: int
    solutions: int
    accuracy: float
    wrong_step_given_right: float
    mean_steps: float
    mc_precision: float
    mc_recall: float
    mc_false_wrong_rate: float
    mc_missed_rate: float
    mc_first_error_accuracy: float
    first_error_kinds: dict[str, int]
    judge: dict | None = None

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 4)
        return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def level_stats(difficulty: int, solutions: Sequence[Solution], counts: Sequence[Sequence[int]]) -> LevelStats:
    """Aggregate one level's solutions and their MC counts."""
    right = [s for s in solutions if s.meta["answer_correct"]]
    right_wrong = sum(s.meta["first_error"] >= 0 for s in right)
    tp = fp = fn = tn = same = 0
    kinds: dict[str, int] = {}
    for sol, cs in zip(solutions, counts):
        fe = sol.meta["first_error"]
        mc_fe = next((i for i, c in enumerate(cs) if c == 0), -1)  # counts stop at the exact first error
        same += mc_fe == fe
        if fe >= 0:
            kinds[sol.meta["error_kind"]] = kinds.get(sol.meta["error_kind"], 0) + 1
        for i, c in enumerate(cs):
            truly_wrong = i == fe
            mc_wrong = c == 0
            tp += truly_wrong and mc_wrong
            fp += (not truly_wrong) and mc_wrong
            fn += truly_wrong and not mc_wrong
            tn += (not truly_wrong) and not mc_wrong
    return LevelStats(
        difficulty=difficulty,
        solutions=len(solutions),
        accuracy=_ratio(len(right), len(solutions)),
        wrong_step_given_right=_ratio(right_wrong, len(right)),
        mean_steps=_ratio(sum(len(s.steps) for s in solutions), len(solutions)),
        mc_precision=_ratio(tp, tp + fp),
        mc_recall=_ratio(tp, tp + fn),
        mc_false_wrong_rate=_ratio(fp, fp + tn),
        mc_missed_rate=_ratio(fn, tp + fn),
        mc_first_error_accuracy=_ratio(same, len(solutions)),
        first_error_kinds=dict(sorted(kinds.items())),
    )


def judge_agreement(judge, solutions: Sequence[Solution]) -> dict:
    """How a judge's first-error indices compare with the exact ones.

    Returns ``accuracy`` (same index, -1 included), ``caught`` per kind (share of erroneous
    solutions whose first error the judge reports exactly), ``early`` (judge stops before the true
    first error, a false alarm) and ``late`` (after it, or -1: a miss) on erroneous solutions, and
    ``false_alarm_on_correct`` (share of fully correct solutions the judge flags).
    """
    preds = judge.first_errors([s.problem for s in solutions], [s.steps for s in solutions])
    same = early = late = n_err = flagged_ok = n_ok = 0
    caught: dict[str, list[int]] = {}
    for sol, pred in zip(solutions, preds):
        fe = sol.meta["first_error"]
        same += pred == fe
        if fe < 0:
            n_ok += 1
            flagged_ok += pred is not None and pred >= 0
            continue
        n_err += 1
        c = caught.setdefault(sol.meta["error_kind"], [0, 0])
        c[0] += pred == fe
        c[1] += 1
        if pred is not None and 0 <= pred < fe:
            early += 1
        elif pred is None or pred == -1 or pred > fe:
            late += 1
    return {
        "accuracy": round(_ratio(same, len(solutions)), 4),
        "caught": {k: round(_ratio(a, b), 4) for k, (a, b) in sorted(caught.items())},
        "early": round(_ratio(early, n_err), 4),
        "late": round(_ratio(late, n_err), 4),
        "false_alarm_on_correct": round(_ratio(flagged_ok, n_ok), 4),
    }


def calibrate(n: int = 200, seed: int = 0, difficulties: Sequence[int] = tuple(LEVELS), k: int = 8,
              samples: int = 1, policy: SyntheticPolicy | None = None, judge=None,
              progress: bool = False, surface: str = "local") -> list[LevelStats]:
    """Sample ``n`` problems x ``samples`` solutions per difficulty and measure the calibration
    (``judge``: the judge compared with the exact first errors, default :class:`SyntheticJudge`;
    ``surface``: ``"local"`` (default) for small-number problems and the local step surface, see
    :mod:`prmlib.synth.surface`; ``"plain"`` for the first surface with larger numbers)."""
    from prmlib.synth.judge import SyntheticJudge

    policy = policy or SyntheticPolicy(surface=surface)
    judge = judge or SyntheticJudge()
    out = []
    levels = list(difficulties)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(levels), desc="synth stats", unit="level")
    for d in levels:
        problems = make_problems(n, d, seed=seed, surface=surface)
        sols = sample_solutions(problems, policy, n=samples, seed=seed)
        counts = mc_success_counts(policy, sols, k=k, seed=seed + 1)
        row = level_stats(d, sols, counts)
        row.judge = judge_agreement(judge, sols)
        out.append(row)
        if bar is not None:
            bar.set_postfix(difficulty=d)
            bar.update(1)
    if bar is not None:
        bar.close()
    return out
