# One command each: `make up` starts the system, `make test` runs every check.
# `make check` is the edit loop's quick tier: lint, types, the unit and SQLite integration tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test check coverage lint typecheck install clean up bench soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest-xdist workers (each with its own databases, folders and ports); the tests that share a
# server started once per worker are grouped onto one worker (tests/conftest.py, --dist loadgroup)
WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

test: lint typecheck
	$(PYTEST)

# no servers: no PostgreSQL, Prefect, Chromium or private cluster
check: lint typecheck
	$(PYTEST) tests/unit tests/integration -m "not postgres and not servers"

# line and branch coverage of the whole suite (in-process code; `make test` does not measure it)
coverage: $(STAMP)
	$(PYTEST) --cov --cov-report=term:skip-covered --cov-report=html:var/coverage

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Start the whole system: Prefect server and UI, mail sink, every deployment served.
up: $(STAMP)
	$(BIN)/isa up

# Every benchmark, and one table of their figures (a few minutes; `make bench QUICK=1`: less).
bench: $(STAMP)
	cd bench && ../$(BIN)/python all.py $(if $(QUICK),--quick,)

# `isa up` left running with nothing raised for 30 minutes (MINUTES=n): what the runs list holds.
soak: $(STAMP)
	$(BIN)/python bench/soak_up.py --minutes $(or $(MINUTES),30)
