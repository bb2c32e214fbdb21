# nexus: `make run` and `make test` work on a fresh clone with only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/nexus run districts/buiksloterham.toml

lint: $(STAMP)
	$(BIN)/ruff check nexus tests benchmarks notebooks
	$(BIN)/ruff format --check nexus tests benchmarks notebooks
	$(BIN)/python -m mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_adm1.py
	$(BIN)/python benchmarks/bench_struvite.py

clean:
	rm -rf $(VENV) build *.egg-info
