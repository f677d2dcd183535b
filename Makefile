# Every target bootstraps .venv from requirements.lock (the pinned, hashed application view) when
# it is missing or when the lock or pyproject.toml changed; pyproject.toml keeps the ranges.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
LOWEST := .venv-lowest

.PHONY: console run test unit test-lowest lock lint bench fuzz soak catalogs clean

# `pip check` refuses a lock that no longer satisfies pyproject.toml: run `make lock`.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

# Python 3.11 on Linux, extras dev and postgres; keeps the pins it can (LOCK_FLAGS=--upgrade for
# the newest of everything). Needs only uv, so it also mends a lock that failed `pip check`.
lock:
	@test -x $(BIN)/uv || $(MAKE) --no-print-directory $(STAMP) || test -x $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra postgres \
		--python-version 3.11.4 --python-platform linux --generate-hashes \
		--custom-compile-command 'make lock' --quiet $(LOCK_FLAGS) --output-file $(LOCK)

console: $(STAMP)
	$(BIN)/cebot console

run: $(STAMP)
	$(BIN)/cebot run

# Two workers: most end-to-end tests wait on sockets and subprocesses, not on the CPU.
test: lint
	$(BIN)/python -m pytest -q -n $${PYTEST_WORKERS:-2}

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

# The lowest versions pyproject.toml allows for its direct dependencies (the rest as new as they
# come), in a venv of their own, through the tests that touch each of them without spawning the
# installed `cebot` (test_console.py runs .venv's): unit, services, storage and bot, on SQLite.
$(LOWEST)/.installed: pyproject.toml | $(STAMP)
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct \
		-e '.[dev,postgres]'
	@touch $@

test-lowest: $(LOWEST)/.installed
	$(BIN)/uv pip list --python $(LOWEST)/bin/python
	CEBOT_TEST_DATABASE_URL= $(LOWEST)/bin/python -m pytest -q -n $${PYTEST_WORKERS:-2} \
		tests/unit tests/services tests/storage tests/bot --ignore tests/bot/test_console.py

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# Bounded: FUZZ_SECONDS (default 60) for the parsers, then as long again for the random chat.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.fuzz_parsers
	HYPOTHESIS_PROFILE=fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-60} FUZZ_STEPS=$${FUZZ_STEPS:-50} \
		$(BIN)/python -m pytest -q tests/fuzz/test_stateful_chat.py

# Bounded: SOAK_SECONDS (default 180) at SOAK_FAULT_RATE (default 0.1) of failed Bot API calls.
soak: $(STAMP)
	$(BIN)/python -m tests.soak

catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --project cebot --version 0.1.0 -o bot/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i bot/locale/messages.pot -d bot/locale --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(LOWEST) .mypy_cache .ruff_cache .pytest_cache
