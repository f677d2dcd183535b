# Every target bootstraps .venv when it is missing or when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: console run test unit lint bench fuzz soak catalogs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,postgres]'
	@touch $(STAMP)

console: $(STAMP)
	$(BIN)/cebot console

run: $(STAMP)
	$(BIN)/cebot run

# Two workers: most end-to-end tests wait on sockets and subprocesses, not on the CPU.
test: lint
	$(BIN)/python -m pytest -q -n $${PYTEST_WORKERS:-2}

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
