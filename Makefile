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

.PHONY: help setup run lint type security unit test lock clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.synced: requirements-dev.lock pyproject.toml
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@[ -x $(PY) ] || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

setup: $(VENV)/.synced  ## create .venv from the hash-pinned lock (builds quickfix once, then cached)

run: setup  ## the main job: replay the Topstep rules over the shipped example day file
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

clean:  ## remove the venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
