# yousu: `make run` (build the console, start the service on the embedded SQLite default) and `make test` (lint + tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# the staff console (console/): dependencies as locked, then the built pages `yousu serve` mounts at `/`
NPM       ?= npm
CONSOLE   := console
NPM_STAMP := $(CONSOLE)/node_modules/.ci-stamp
CONSOLE_DIST := $(CONSOLE)/dist/index.html
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src $(CONSOLE)/public -type f 2>/dev/null) \
	$(CONSOLE)/index.html $(CONSOLE)/vite.config.ts $(CONSOLE)/tsconfig.json

.PHONY: install run lint test test-steps test-fast bench clean console

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

# npm ci again only when the lock file changes
$(NPM_STAMP): $(CONSOLE)/package-lock.json
	cd $(CONSOLE) && $(NPM) ci
	touch $(NPM_STAMP)

# rebuilt when a console source changes; never committed (console/dist is ignored)
$(CONSOLE_DIST): $(NPM_STAMP) $(CONSOLE_SOURCES)
	cd $(CONSOLE) && $(NPM) run build

console: $(CONSOLE_DIST)

install: $(DEV_STAMP) $(NPM_STAMP)

run: $(RUN_STAMP) $(CONSOLE_DIST)
	$(BIN)/yousu run

# check:api regenerates the console's API types from `yousu openapi` and fails if the committed ones differ
lint: $(DEV_STAMP) $(NPM_STAMP)
	$(BIN)/ruff check src tests bench ops
	$(BIN)/ruff format --check src tests bench ops
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd $(CONSOLE) && $(NPM) run lint && $(NPM) run typecheck && $(NPM) run check:api

# `make test`: the console's build, then the whole pytest suite on every core (pytest-xdist; each browser and
# end-to-end module whole on one worker, see tests/conftest.py) and, beside it at the lowest CPU priority, lint and the
# console's unit tests: they run in the moments the suite leaves a core idle (its browsers and servers wait a lot),
# and their output is printed after the suite's. The 25 slowest tests and the wall time of the whole target are
# printed at the end; any failure of the three fails it. PYTEST_WORKERS=1 runs the suite serially.
PYTEST_WORKERS ?= auto
PYTEST_ARGS    ?=

test:
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory test-steps; status=$$?; \
	elapsed=$$(( $$(date +%s) - start )); \
	printf '\nmake test: %s, wall time %dm%02ds\n' "$$([ $$status -eq 0 ] && echo passed || echo FAILED)" \
		$$((elapsed / 60)) $$((elapsed % 60)); \
	exit $$status

# the browser tests (tests/browser) are part of the suite; they serve the built console
test-steps: $(DEV_STAMP) $(NPM_STAMP) $(CONSOLE_DIST)
	@checks=$$(mktemp); \
	( nice -n 19 $(MAKE) --no-print-directory lint && cd $(CONSOLE) && nice -n 19 $(NPM) test ) >"$$checks" 2>&1 & \
	checks_pid=$$!; \
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 $(PYTEST_ARGS); suite=$$?; \
	wait $$checks_pid; checked=$$?; \
	printf '\n---- lint and the console unit tests (run beside the suite): %s\n' \
		"$$([ $$checked -eq 0 ] && echo passed || echo FAILED)"; \
	cat "$$checks"; rm -f "$$checks"; \
	[ $$suite -eq 0 ] && [ $$checked -eq 0 ]

test-fast: $(DEV_STAMP)
	$(BIN)/pytest -x -q -n $(PYTEST_WORKERS) -m "not slow and not browser"

bench: $(DEV_STAMP)
	$(BIN)/python bench/projections.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis $(CONSOLE)/node_modules $(CONSOLE)/dist
