# pulumi-chekt: every target sets up what it needs itself (virtualenv, Pulumi CLI, local API server).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv pulumi generate lint test test-fast test-packaging test-lowest wheel bench bench-quick bench-provider chaos demo demo-down docs docs-pages docs-fixture figures clean

help:
	@echo "make demo       - pulumi up of examples/sites against a local CHeKT API server"
	@echo "make demo-down  - destroy the demo stack and stop everything it started"
	@echo "make test       - ruff, mypy and the whole test suite (unit, local server, end-to-end with the Pulumi CLI)"
	@echo "make wheel      - build dist/pulumi_chekt-<version>-py3-none-any.whl"
	@echo "make generate   - rewrite provider/pulumi_chekt/resources/device_types.py from schemas/ (after a schema change)"
	@echo "make test-packaging - the wheel in a new virtualenv: README Quick start end to end, pre-commit hook"
	@echo "make test-lowest    - unit tests and one end-to-end test with every dependency at its lower bound"
	@echo "make chaos      - fault campaign: real pulumi up through a seeded fault mix, 250 devices x 5 seeds (CHAOS_ARGS=...)"
	@echo "make bench      - engine benchmark, project vs floor, full matrix (hours; BENCH_ARGS=... to narrow it)"
	@echo "make bench-quick - the same at 100 devices, 0 ms, 1 and 10 sites, both checkpoint modes (minutes)"
	@echo "make bench-provider - the provider alone against the local server (seconds)"
	@echo "make docs       - the documentation site: mkdocs build --strict into site/"
	@echo "make docs-pages - write the generated parts of docs/ again (field tables, example summary)"
	@echo "make docs-fixture - capture the example summary's preview again (real Pulumi CLI)"
	@echo "make figures    - draw docs/figures/*.svg again (BENCH_JSON=<engine_bench --json output>)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

pulumi:
	@scripts/get-pulumi.sh >/dev/null

# DeviceArgs and the Device outputs, generated from the schemas (tests/contract/test_device_fields.py checks it).
generate: venv
	$(BIN)/python scripts/generate_device_types.py

lint: venv
	$(BIN)/ruff check provider tests examples benchmarks scripts __main__.py
	$(BIN)/ruff format --check provider tests examples benchmarks scripts __main__.py
	$(BIN)/mypy

test: venv lint
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/pytest -q

test-fast: venv
	$(BIN)/pytest -q --ignore=tests/e2e

wheel: venv
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

# Builds the wheel itself, installs it in new virtualenvs and runs the README's Quick start as written.
test-packaging: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/pytest -q -m packaging tests/packaging

# A new virtualenv with each direct dependency (and the build backend) at its declared lower bound,
# the package built and installed with them, then the unit tests and one real-engine test.
LOWEST := .venv-lowest
LOWEST_E2E := tests/e2e/test_e2e_converge.py::test_type_change_replaces_delete_first_and_removal_and_addition_converge
test-lowest:
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(PYTHON) scripts/lowest_constraints.py >$(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet -c $(LOWEST)/constraints.txt hatchling
	$(LOWEST)/bin/python -m pip install --quiet --no-build-isolation -c $(LOWEST)/constraints.txt ".[dev]"
	$(LOWEST)/bin/python -m pip check
	@echo "installed at their lower bounds:"; $(LOWEST)/bin/python -m pip freeze \
	  | grep -iE "^($$(cut -d= -f1 $(LOWEST)/constraints.txt | paste -sd'|'))==" | sed 's/^/  /'
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(LOWEST)/bin/pytest -q -p no:cacheprovider \
	  --ignore=tests/e2e --ignore=tests/packaging tests $(LOWEST_E2E)

# The engine benchmark: the real CLI on the project and on the no-op floor, interleaved (benchmarks/).
BENCH_ARGS ?=
bench: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/python -m benchmarks.engine_bench \
		--json .state/bench/results.json $(BENCH_ARGS)

bench-quick: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/python -m benchmarks.engine_bench \
		--sizes 100 --sites 1,10 --latencies 0 --json .state/bench/quick.json $(BENCH_ARGS)

bench-provider: venv
	$(BIN)/python benchmarks/bench_provider.py

chaos: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/python -m benchmarks.chaos $(CHAOS_ARGS)

demo: venv
	@scripts/demo.sh up

demo-down: venv
	@scripts/demo.sh down

# The documentation site. Its tools are the `docs` extra, installed here (not in dev: make test-lowest).
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

docs-pages: venv
	$(BIN)/python -m scripts.docs.pages

docs-fixture: venv
	@PULUMI_BIN_DIR="$$(scripts/get-pulumi.sh | tail -n 1)" $(BIN)/python -m scripts.docs.capture_summary_fixture
	$(BIN)/python -m scripts.docs.pages

# The committed figures: the benchmark chart from BENCH_JSON (an `engine_bench --json` file) and the
# write-path diagram. matplotlib is the `figures` extra.
BENCH_JSON ?= benchmarks/results/bench-docs.json
FIGURES_STAMP := $(VENV)/.installed-figures
$(FIGURES_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[figures]"
	@touch $(FIGURES_STAMP)

figures: $(FIGURES_STAMP)
	$(BIN)/python -m scripts.docs.figures --bench-json $(BENCH_JSON)

clean:
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache dist site $(LOWEST)
