"""Evaluation of process reward models: ProcessBench, Best-of-N, and the Lessons paper's bias analyses.

* :mod:`prmlib.eval.processbench`: first-error prediction metrics (error / correct accuracy, F1),
  thresholds tuned on GSM8K, trivial baselines;
* :mod:`prmlib.eval.bon`: Best-of-N (pass@N, maj@N, rm@N with product / min / last / mean,
  weighted majority), accuracy as a function of N;
* :mod:`prmlib.eval.analysis`: right-answer-wrong-process rows ("extracted ProcessBench", Table 5)
  and the position of the lowest step score (Figure 8);
* :mod:`prmlib.eval.label_quality`: agreement of step labels from two sources;
* :mod:`prmlib.eval.bootstrap`: paired bootstrap intervals of F1 and Best-of-N differences;
* :mod:`prmlib.eval.reference`: the papers' numbers beside ours;
* :mod:`prmlib.eval.plots`: seaborn figures (imported on demand: ``from prmlib.eval import plots``).
"""

from prmlib.eval.analysis import (
    correct_answer_wrong_process_rate,
    extracted_accuracy,
    extracted_baselines,
    extracted_counts,
    extracted_processbench,
    lowest_score_positions,
)
from prmlib.eval.bon import (
    AGGREGATIONS,
    BoNProblem,
    BoNResult,
    GradeCache,
    accuracy_vs_n,
    aggregate_step_scores,
    best_of_n,
    grade_problems,
)
from prmlib.eval.bootstrap import paired_bon_accuracy, paired_processbench_f1
from prmlib.eval.label_quality import first_error_agreement, label_quality, step_label_agreement
from prmlib.eval.processbench import (
    SUBSETS,
    ProcessBenchResult,
    baseline_predictions,
    evaluate_baselines,
    evaluate_processbench,
    predictions_from_scores,
    processbench_f1,
    threshold_sweep,
    tune_threshold,
)
from prmlib.eval.reference import compare_with_paper, reference_keys, reference_table

__all__ = [
    "AGGREGATIONS", "SUBSETS", "BoNProblem", "BoNResult", "GradeCache", "ProcessBenchResult",
    "accuracy_vs_n", "aggregate_step_scores", "baseline_predictions", "best_of_n", "compare_with_paper",
    "correct_answer_wrong_process_rate", "evaluate_baselines", "evaluate_processbench", "extracted_accuracy",
    "extracted_baselines", "extracted_counts", "extracted_processbench", "first_error_agreement",
    "grade_problems", "label_quality", "lowest_score_positions", "paired_bon_accuracy", "paired_processbench_f1",
    "predictions_from_scores", "processbench_f1",
    "reference_keys", "reference_table", "step_label_agreement", "threshold_sweep", "tune_threshold",
]
