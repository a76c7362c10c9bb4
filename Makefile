# yousu: `make run` (start the service on the embedded SQLite default) and `make test` (lint + tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp

.PHONY: install run lint test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# running needs only the package and its runtime dependencies
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# lint and tests need the dev tools too (ruff, mypy, import-linter, pytest, hypothesis, …)
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/yousu run

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench ops
	$(BIN)/ruff format --check src tests bench ops
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

test-fast: $(DEV_STAMP)
	$(BIN)/pytest -x -q -m "not slow"

bench: $(DEV_STAMP)
	$(BIN)/python bench/projections.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis
