# pulumi-chekt: every target sets up what it needs itself (virtualenv, Pulumi CLI, local API server).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv pulumi lint test test-fast bench chaos demo demo-down clean

help:
	@echo "make demo       - pulumi up of examples/sites against a local CHeKT API server"
	@echo "make demo-down  - destroy the demo stack and stop everything it started"
	@echo "make test       - ruff, mypy and the whole test suite (unit, local server, end-to-end with the Pulumi CLI)"
	@echo "make chaos      - fault campaign: real pulumi up through a seeded fault mix, 250 devices x 5 seeds (CHAOS_ARGS=...)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

pulumi:
	@scripts/get-pulumi.sh >/dev/null

lint: venv
	$(BIN)/ruff check provider tests examples benchmarks __main__.py
	$(BIN)/ruff format --check provider tests examples benchmarks __main__.py
	$(BIN)/mypy

test: venv lint
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/pytest -q

test-fast: venv
	$(BIN)/pytest -q --ignore=tests/e2e

bench: venv
	$(BIN)/python benchmarks/bench_provider.py

chaos: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/python -m benchmarks.chaos $(CHAOS_ARGS)

demo: venv
	@scripts/demo.sh up

demo-down: venv
	@scripts/demo.sh down

clean:
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache
