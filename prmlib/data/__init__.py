"""Data loaders. Every loader returns a ``datasets.Dataset`` and reads, in this order, an explicit
``path=``, the folder named by ``$PRMLIB_DATA_DIR`` (layout in ``data/README.md``), or the
Hugging Face Hub. Malformed rows raise a :class:`DataError` naming file, row and field, or with
``on_error="skip"`` are skipped and counted in a :class:`LoadReport`.
"""

from prmlib.data.benchmarks import ALL_BENCHMARKS, BON_BENCHMARKS, default_extraction, load_bon_benchmark
from prmlib.data.errors import DataError, DataUnavailableError, LoadReport
from prmlib.data.math_shepherd import load_math_shepherd
from prmlib.data.prm800k import load_prm800k
from prmlib.data.prm800k_raw import load_prm800k_raw
from prmlib.data.problems import load_gsm8k, load_math, load_omni_math
from prmlib.data.processbench import (
                                      PROCESSBENCH_ERRONEOUS,
                                      PROCESSBENCH_SIZES,
                                      PROCESSBENCH_SPLITS,
                                      load_processbench,
                                      load_processbench_golds,
)
from prmlib.data.sources import ENV_VAR, data_dir

__all__ = [
                                      "ALL_BENCHMARKS",
                                      "BON_BENCHMARKS",
                                      "ENV_VAR",
                                      "PROCESSBENCH_ERRONEOUS",
                                      "PROCESSBENCH_SIZES",
                                      "PROCESSBENCH_SPLITS",
                                      "DataError",
                                      "DataUnavailableError",
                                      "LoadReport",
                                      "data_dir",
                                      "default_extraction",
                                      "load_bon_benchmark",
                                      "load_gsm8k",
                                      "load_math",
                                      "load_math_shepherd",
    "load_omni_math",
                                      "load_prm800k",
                                      "load_prm800k_raw",
                                      "load_processbench",
                                      "load_processbench_golds",
]
