# nexus: `make run` and `make test` work on a fresh clone with only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs: what running needs (`make run`), and that with the test extras (`make test`,
# lint, docs, bench): a plain run does not pull in pytest, sphinx, mypy and PHREEQC.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-test

.PHONY: run test lint docs bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/nexus run districts/buiksloterham.toml

lint: $(STAMP)
	$(BIN)/ruff check nexus tests benchmarks notebooks
	$(BIN)/ruff format --check nexus tests benchmarks notebooks
	$(BIN)/python -m mypy

# The browser tests of the HTML reports (tests/test_report.py) need headless Chromium:
# Debian's package, installed when missing (as root, or with sudo where there is one).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "chromium is missing and there is neither root nor sudo to install it: apt-get install chromium" >&2; exit 1; fi; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: $(STAMP) lint chromium
	$(BIN)/python -m pytest -q

# The documentation site, warnings as errors: docs/_build/html/index.html
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going -n -d docs/_build/doctrees docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_coldstart.py
	$(BIN)/python benchmarks/bench_adm1.py
	$(BIN)/python benchmarks/bench_struvite.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/_generated
