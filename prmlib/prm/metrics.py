"""Step-level metrics of a PRM during training, read at the label positions.

:func:`margin_for_metrics` is the trainer's ``preprocess_logits_for_metrics`` (keeps only
``logit_1 - logit_0``) and :func:`step_accuracy` its ``compute_metrics``.
"""

from __future__ import annotations


def margin_for_metrics(logits, labels):
    """``preprocess_logits_for_metrics``: keep only ``logit_1 - logit_0`` (halves eval memory)."""
    from prmlib.prm.soft import label_margin

    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    return label_margin(logits)


def step_accuracy(eval_pred) -> dict[str, float]:
    """Step accuracy at label positions: predicted correct iff ``logit_1 > logit_0``; target
    correct iff label >= 0.5 (hard labels are 0/1). Also accuracy on correct and on wrong steps."""
    import numpy as np

    margin = np.asarray(eval_pred.predictions, dtype=np.float64)
    labels = np.asarray(eval_pred.label_ids, dtype=np.float64)
    if margin.ndim == 3:  # raw logits without preprocessing
        margin = margin[..., 1] - margin[..., 0]
    mask = labels != -100
    target = labels[mask] >= 0.5
    pred = margin[mask] > 0
    hit = pred == target
    out = {"accuracy": float(hit.mean()) if hit.size else float("nan"),
           "num_step_labels": float(hit.size),
           "positive_rate": float(target.mean()) if hit.size else float("nan")}
    out["correct_step_accuracy"] = float(hit[target].mean()) if target.any() else float("nan")
    out["wrong_step_accuracy"] = float(hit[~target].mean()) if (~target).any() else float("nan")
    return out
