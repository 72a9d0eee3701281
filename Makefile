# Two entry points, each doing its own set-up from a fresh clone:
#   make study   run the study on its default profile (full)
#   make test    run the harness tests and the smoke study
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= full
WORKERS ?= 2
STAMP := $(VENV)/.installed
SMOKE_STORE ?= artifacts-smoke

.PHONY: study test bench lint clean-artifacts

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	# torch first: 2.13.0 is the CPU wheel on this machine; any other resolves to a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

study: $(STAMP)
	$(BIN)/pytest experiments/ -n $(WORKERS) --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/pytest tests/ -n $(WORKERS)
	$(BIN)/pytest experiments/ -n $(WORKERS) --profile smoke --artifacts-dir $(SMOKE_STORE)
	# then tamper a copy of that finished store: verify and the study must refuse it
	HARNESS_SMOKE_STORE=$(SMOKE_STORE) $(BIN)/pytest tests/study -p no:xdist

bench: $(STAMP)
	$(BIN)/pytest tests/benchmarks --benchmark -p no:xdist -s

lint: $(STAMP)
	$(BIN)/ruff check harness tests experiments conftest.py

clean-artifacts:
	rm -rf artifacts reports/*/
