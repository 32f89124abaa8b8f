# Two commands on a fresh machine (Python 3.11+, pip, make):
#   make demo   - the main job on the bundled sample company
#   make test   - ruff, mypy and the whole test suite
# Each makes its own virtual environment (.venv) and installs what it needs.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: demo test lint sample bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[dev,plot,deck,notebooks]"
	touch $@ $(VENV)/.core

demo: $(VENV)/.core
	$(VENV)/bin/salesmetrics summary

lint: $(VENV)/.dev
	$(PY) -m ruff check salesmetrics tests benchmarks
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q

sample: $(VENV)/.core
	$(PY) -m salesmetrics.datasets --out data/sample

bench: $(VENV)/.dev
	$(PY) benchmarks/foundation.py
	$(PY) benchmarks/revenue.py
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/sla.py
	$(PY) benchmarks/economics.py
	$(PY) benchmarks/diagnostics.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
