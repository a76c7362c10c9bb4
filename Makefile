# yousu: `make run` (start the service on the embedded SQLite default) and `make test` (lint + tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run lint test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/yousu run

lint: $(STAMP)
	$(BIN)/ruff check src tests bench ops
	$(BIN)/ruff format --check src tests bench ops
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -x -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/projections.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis
