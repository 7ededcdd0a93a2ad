"""The synthetic arithmetic world: problems, exact step truth, a policy, judges.

Every lesson of the paper runs on a CPU here in minutes, with the step-level truth known exactly:

* :mod:`prmlib.synth.problems`: word problems (``make_problems``, ``parse_problem``);
* :mod:`prmlib.synth.verifier`: the exact verifier (``first_error``, ``check_steps``);
* :mod:`prmlib.synth.policy`: ``SyntheticPolicy`` (a :class:`prmlib.interfaces.Generator`) that makes
  realistic mistakes, recovers from some, and fails from correct prefixes;
* :mod:`prmlib.synth.judge`: ``SyntheticJudge`` (a noisy LLM-as-a-judge stand-in) and
  ``SyntheticHuman`` (the exact verifier, optionally with a little noise);
* :mod:`prmlib.synth.stats`: calibration (accuracy, right-answer-wrong-step share, Monte Carlo label
  noise per difficulty), behind ``prmlib synth stats``.

See docs/synthetic.md for the design and the measured calibration.
"""

from prmlib.synth.judge import JudgeConfig, SyntheticHuman, SyntheticJudge
from prmlib.synth.policy import PolicyConfig, SyntheticPolicy
from prmlib.synth.problems import LEVELS, SynthProblem, make_problems, parse_problem
from prmlib.synth.stats import calibrate, judge_agreement, sample_solutions
from prmlib.synth.verifier import (
    ERROR_KINDS,
    check_steps,
    final_answer,
    first_error,
    first_error_kind,
    is_correct_answer,
    step_labels,
)

__all__ = [
    "ERROR_KINDS",
    "LEVELS",
    "JudgeConfig",
    "PolicyConfig",
    "SynthProblem",
    "SyntheticHuman",
    "SyntheticJudge",
    "SyntheticPolicy",
    "calibrate",
    "check_steps",
    "final_answer",
    "first_error",
    "first_error_kind",
    "is_correct_answer",
    "judge_agreement",
    "make_problems",
    "parse_problem",
    "sample_solutions",
    "step_labels",
]
