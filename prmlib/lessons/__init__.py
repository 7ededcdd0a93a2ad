"""The paper's lessons as experiments: one cached chain from sampling to evaluation.

* :mod:`prmlib.lessons.profiles`: run profiles (``smoke``, ``cpu``, ``cpu-vllm``, ``gpu-small``, ``paper``);
* :mod:`prmlib.lessons.store`: the run store (artifacts keyed by a hash of their inputs);
* :mod:`prmlib.lessons.world`: where solutions, rollouts and judgements come from;
* :mod:`prmlib.lessons.experiment`: :class:`LessonRun`, the chain (labels, PRMs, scores, metrics);
* ``lesson1_value`` ... ``lesson7_recipe``: each lesson's tables, figure and claims;
* :mod:`prmlib.lessons.claims`: every claim ``C1_value`` ... ``C11_recipe`` of one run;
* :mod:`prmlib.lessons.noise`: which differences between two PRMs exceed test-set noise;
* :mod:`prmlib.lessons.soft_vs_hard`: why soft MC labels beat hard ones before filtering in the
  synthetic world (the threshold-0 labels and the policy's self-correction).

Example::

    from prmlib.lessons import LessonRun, lesson2_annotation
    run = LessonRun("cpu", seed=0)
    lesson2_annotation.table(run)       # trains what it needs, or reuses it
"""

import warnings as _warnings

# The chain imports tqdm.auto, which without ipywidgets warns once (at that import) and falls back to
# text progress bars; those work in Jupyter, so the warning is noise in every notebook. Silenced here,
# before the first import, since a filter set later (e.g. in display.setup) comes too late.
_warnings.filterwarnings("ignore", message="IProgress not found")

from prmlib.lessons.experiment import PRMS, LessonRun
from prmlib.lessons.profiles import Profile, available_profiles, load_profile
from prmlib.lessons.store import RunStore

__all__ = ["PRMS", "LessonRun", "Profile", "RunStore", "available_profiles", "load_profile"]
