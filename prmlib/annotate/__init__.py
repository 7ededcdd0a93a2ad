"""Step-label annotation: Monte Carlo estimation, LLM-as-a-judge, consensus filtering.

* :mod:`prmlib.annotate.mc`: :func:`mc_estimate` (strategies ``exhaustive``, ``early_stop``,
  ``binary_search``; settings in :class:`MCConfig`), :func:`hard_labels`, :func:`soft_labels`,
  :class:`MCResult`;
* :mod:`prmlib.annotate.judge`: :class:`LLMJudge`, the two judge prompts and their parser;
* :mod:`prmlib.annotate.consensus`: :func:`consensus_filter`;
* :mod:`prmlib.annotate.dataset`: TRL stepwise rows and ``datasets.Dataset`` with metadata
  columns, from job records or from results in memory;
* :mod:`prmlib.annotate.store` and :mod:`prmlib.annotate.jobs`: resumable, sharded batch jobs;
* :mod:`prmlib.annotate.cli`: ``prmlib annotate mc|judge|consensus``.

See docs/annotation.md.
"""

from prmlib.annotate.consensus import ConsensusResult, consensus_filter, consensus_reason
from prmlib.annotate.judge import LLMJudge, judge_prompt, majority_index, parse_judgement
from prmlib.annotate.mc import MCConfig, MCResult, hard_labels, mc_estimate, soft_labels

__all__ = [
    "ConsensusResult",
    "LLMJudge",
    "MCConfig",
    "MCResult",
    "consensus_filter",
    "consensus_reason",
    "hard_labels",
    "judge_prompt",
    "majority_index",
    "mc_estimate",
    "parse_judgement",
    "soft_labels",
]
