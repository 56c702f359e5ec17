# orderpay: the two commands a newcomer runs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench scaling soak install clean docs clients docs-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Run the API on 127.0.0.1:8000 with a local Stripe, a migrated SQLite database and demo data.
run: $(STAMP)
	./scripts/run-local.sh

## The whole suite, on SQLite and on a throwaway PostgreSQL 15 cluster it starts itself;
## the checkout page's tests drive Debian's Chromium (installed first when missing).
test: $(STAMP)
	./scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q -ra --durations=15

## What CI checks before the tests (.ci/run): ruff's rules and formatting over src, tests and
## bench, and mypy over src (settings in pyproject.toml). The pre-commit hook runs the same
## tools (.pre-commit-config.yaml): `.venv/bin/pip install pre-commit && .venv/bin/pre-commit install`.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## docs/api/: a page per operation, from the OpenAPI (make test fails when they drift).
docs: $(STAMP)
	$(BIN)/python -m orderpay.apidocs

## clients/: the OpenAPI as JSON and the Python client generated from it.
clients: $(STAMP)
	$(BIN)/python scripts/gen-clients.py

## The java, ruby and go examples of docs/api/ against a live server (installs their
## toolchains from Debian's packages when missing); js and py run in make test.
docs-check: $(STAMP)
	./scripts/docs-check.sh

## Throughput, latency and exactly-once of Create Payment (docs/PERFORMANCE.md).
bench: $(STAMP)
	$(BIN)/python -m bench

## 10,000 Create Payment attempts through Stripe faults and worker kills, then reconcile and
## the money counted; exits non-zero on any failure column. SEED=... replays a run.
soak: $(STAMP)
	./scripts/install-test-deps.sh
	$(BIN)/python -m bench.soak $(if $(SEED),--seed $(SEED))

## Payments/s with 1, 2 and 3 hosts through PgBouncer, in network namespaces (docs/SCALING.md).
scaling: $(STAMP)
	./scripts/install-test-deps.sh
	$(BIN)/python -m bench.scaling

clean:
	rm -rf $(VENV) orderpay.sqlite3* .pytest_cache
