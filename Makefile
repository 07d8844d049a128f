# TopstepQuant: every developer and CI entry point.  `make test` sets up from nothing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(PYTHON) -m uv
EXAMPLE_REPLAY := examples/rules_replay.csv
CODE := bot fix
# The compiled core (bot/_native.py): a change to any of these rebuilds it on the next setup.
NATIVE_SRC := setup.py bot/_native.py $(wildcard bot/book/*.py) $(wildcard bot/exchange/*.py)
NT_VENV ?= /tmp/venv-nt
NT_VERSION := 1.221.0
BENCH_FILE ?= $(or $(MARKET_DATA_DIR),../shared/data)/cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst

.PHONY: help setup run replay-rules lint type security unit test lock clean bench-nautilus

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.synced: requirements-dev.lock pyproject.toml $(NATIVE_SRC)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@[ -x $(PY) ] || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps --reinstall-package topstep-quant -e .
	@$(PY) -c 'from bot import _native; print("topstep-quant:", _native.status())'
	@touch $@

setup: $(VENV)/.synced  ## create .venv from the hash-pinned lock, compile the book core (mypyc)

run: setup  ## the main job: the bot trading the simulator over FIX (real ES day, 60x, <= 3 min)
	$(VENV)/bin/topstep-quant run --sleeves sleeves.toml --speed 60 --duration 180

replay-rules: setup  ## replay the Topstep rules over the shipped example day file
	$(VENV)/bin/topstep-quant rules replay $(EXAMPLE_REPLAY)

lint: setup  ## black --check, ruff and the import layering (lint-imports)
	$(VENV)/bin/black --check --quiet $(CODE) tests
	$(VENV)/bin/ruff check $(CODE) tests
	$(VENV)/bin/lint-imports --no-cache

type: setup  ## mypy --strict on bot/ and fix/
	$(VENV)/bin/mypy --strict $(CODE)

security: setup  ## bandit on the shipped code
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r $(CODE)

unit: setup  ## pytest (exit code 5, no tests collected, counts as a failure of the suite's shape)
	$(VENV)/bin/pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

test: lint type security unit  ## every gate, all blocking

lock:  ## re-resolve the hash-pinned lock files (runtime, runtime+dev)
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements.lock
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 --extra dev --generate-hashes -o requirements-dev.lock

bench-nautilus: setup  ## book replay: ours compiled and pure vs NautilusTrader (throwaway venv), one run
	@[ -x $(NT_VENV)/bin/python ] || $(UV) venv --quiet --python $(PYTHON) $(NT_VENV)
	$(UV) pip install --quiet --python $(NT_VENV)/bin/python nautilus-trader==$(NT_VERSION)
	$(PY) bench/compare_nautilus.py $(BENCH_FILE) --nt-python $(NT_VENV)/bin/python

clean:  ## remove the venv, caches and the compiled core
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
	find bot fix -name '*.so' -delete
