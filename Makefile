# Quick start: `make run` then `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STRATEGY ?= strategies/top100-mcap-monthly.toml
# The shared real datasets (never copied here): tests and benchmarks read them when
# present; tests that need them are skipped, saying why, when they are not.
INDEXLAB_SHARED_DATA ?= $(abspath $(wildcard ../shared/data))
export INDEXLAB_SHARED_DATA

.PHONY: run test bench lint clean

$(BIN)/python:
	@echo "make: creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when the dependencies change; the stamp records the last install.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "make: installing indexlab and its dependencies into $(VENV) (a minute or two the first time)"
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "make: installing indexlab with its test dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@echo "make: indexlab run $(STRATEGY) (the first run compiles the engine: up to a minute)"
	$(BIN)/indexlab run $(STRATEGY)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-run

# run.py: single runs (warm and on a fresh Market) and sweeps against vectorbt and bt;
# then loading, sweeps at 10,000 coins, sweeps on a busy machine and the CLI's wall time;
# summary.py puts the last four into RESULTS.md. About 25 minutes on 2 cores.
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/data_import.py
	$(BIN)/python benchmarks/load_long.py
	$(BIN)/python benchmarks/sweep_scale.py
	$(BIN)/python benchmarks/busy.py
	$(BIN)/python benchmarks/cli_wall.py
	$(BIN)/python benchmarks/summary.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
