"""prmlib: process reward models, from annotation to evaluation.

A thin library behind the notebooks that reproduce "The Lessons of Developing Process
Reward Models in Mathematical Reasoning" (Zhang et al., 2025, arXiv 2501.07301) and
"ProcessBench" (Zheng et al., 2024, arXiv 2412.06559).
"""

from prmlib.solution import STEP_SEPARATOR, Solution, join_steps, split_steps

__all__ = ["STEP_SEPARATOR", "Solution", "join_steps", "split_steps"]
__version__ = "0.1.0"
