# nexus: `make run` and `make test` work on a fresh clone with only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint docs bench clean

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

# The documentation site, warnings as errors: docs/_build/html/index.html
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going -n -d docs/_build/doctrees docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_adm1.py
	$(BIN)/python benchmarks/bench_struvite.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/_generated
