# Two entry points, each doing its own set-up from a fresh clone:
#   make study   run the study on its default profile (full)
#   make test    run the harness tests and the smoke study (locally, then on a local Ray
#                cluster), then the study on two third-party Gymnasium environments (the
#                tests install the optional [ray] and [envs] extras; the study needs neither)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= full
WORKERS ?= 2
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
ENVS_STORE ?= artifacts-envs
ENVS_REPORTS ?= reports/envs
SMOKE_STORE ?= artifacts-smoke
SMOKE_REPORTS ?= reports/smoke

.PHONY: setup study test bench lint lock clean-artifacts

# a new venv: pip itself, torch first (2.13.0 is the CPU wheel on this machine; any other
# resolves to a CUDA build), then the project with the extras $(1), pinned by the lock
# (constraints.txt), then imitation without its dependencies: imitation 1.0.1 still declares
# stable-baselines3~=2.2.1 and gymnasium~=0.29, which this stack replaces; what its BC imports
# is in the project's own requirements (README "Dependencies"; tests/test_stack.py checks it)
IMITATION := imitation==1.0.1
# (--no-compile: Python compiles each module when first imported instead of pip compiling
# every file of torch and Ray up front)
define install
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --no-compile torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -e ".[$(1)]"
	$(BIN)/python -m pip install --quiet --no-compile --no-deps -c constraints.txt "$(IMITATION)"
endef

$(STAMP): pyproject.toml constraints.txt
	$(call install,dev)
	touch $(STAMP)

# the tests also run the study on a local Ray cluster ([ray]) and on third-party Gymnasium
# environments ([envs]): one install with both extras (the study itself needs neither)
TEST_EXTRAS := dev,ray,envs
$(TEST_STAMP): pyproject.toml constraints.txt
	$(call install,$(TEST_EXTRAS))
	touch $(STAMP) $(TEST_STAMP)

# the pinned venv alone (e.g. before installing your own environment package into it)
setup: $(STAMP)

study: $(STAMP)
	$(BIN)/pytest experiments/ -n $(WORKERS) --profile $(PROFILE)

test: $(TEST_STAMP)
	$(BIN)/pytest tests/ -n $(WORKERS) -m "not ray and not envs"
	$(BIN)/pytest experiments/ -n $(WORKERS) --profile smoke --artifacts-dir $(SMOKE_STORE) \
		--reports-dir $(SMOKE_REPORTS)
	# then, on two workers sharing the machine: a tampered copy of that finished store, which
	# verify and the study must refuse, and a bad shift the study must fail; the smoke study
	# (profile smoke_core: without its size study and regime map) on a local two-node Ray
	# cluster (127.0.0.1 only): the same numbers, every build on a node, a node lost
	# mid-build survived; and the whole study on two environments nobody here
	# wrote (specs/envs/*.yaml, profile ci). One file per worker at a time (--dist loadfile):
	# the Ray tests share one cluster. The longest files first (Ray, then the env studies), so
	# the short ones fill in behind them; --durations prints where the minutes go.
	HARNESS_SMOKE_STORE=$(SMOKE_STORE) HARNESS_SMOKE_REPORTS=$(SMOKE_REPORTS) \
		HARNESS_ENVS_STORE=$(ENVS_STORE) HARNESS_ENVS_REPORTS=$(ENVS_REPORTS) \
		$(BIN)/pytest tests/ray tests/envs tests/study -n $(WORKERS) --dist loadfile --durations=12

bench: $(TEST_STAMP)
	$(BIN)/pytest tests/benchmarks --benchmark -p no:xdist -s

lint: $(STAMP)
	$(BIN)/ruff check harness tests experiments conftest.py

# re-resolve the lock: a throw-away venv gets the newest releases the project's ranges admit
# (every extra), imitation without its dependencies, and `pip freeze` becomes constraints.txt
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(LOCK_VENV)/bin/python -m pip install --quiet torch==2.13.0
	$(LOCK_VENV)/bin/python -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	$(LOCK_VENV)/bin/python -m pip install --quiet --no-deps "$(IMITATION)"
	( echo "# The lock: exact versions of the whole dependency set (make lock writes it)."; \
	  echo "# imitation is installed with --no-deps (Makefile, README \"Dependencies\")."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' ) > constraints.txt
	rm -rf $(LOCK_VENV)

clean-artifacts:
	rm -rf artifacts reports/*/
