# Two commands on a fresh machine (Python 3.11+, pip, make):
#   make demo   - the main job on the bundled sample company
#   make test   - ruff, mypy and the whole test suite
# Each makes its own virtual environment (.venv) and installs what it needs.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: demo test matrix py313 lint browser docs lab sample bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.deck: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[plot,deck]"
	touch $@ $(VENV)/.core

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[dev,plot,deck,notebooks,docs]"
	touch $@ $(VENV)/.core $(VENV)/.deck

demo: $(VENV)/.deck
	$(VENV)/bin/salesmetrics report --out review.pptx --out review.html

lint: $(VENV)/.dev
	$(PY) -m ruff check salesmetrics tests benchmarks
	$(PY) -m mypy

# the HTML report's test opens it in headless Chromium, and the Korean charts need a CJK font (Debian's packages).
# apt-get waits for another apt's lock and retries (a mirror can fail for a minute); if it still fails, the Korean
# font comes from PyPI instead (koreanize-matplotlib carries NanumGothic, which salesmetrics.plot.cjk_font finds).
APT_PAUSE ?= 20
APT := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 -y -qq
browser: $(VENV)/.dev
	@(command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "CJK") || \
		for i in 1 2 3; do ($(APT) update && $(APT) install chromium fonts-noto-cjk) && break; \
			echo "apt-get failed (attempt $$i of 3)"; sleep $(APT_PAUSE); done; \
		command -v chromium >/dev/null 2>&1 || echo "chromium could not be installed here; the tests that need it will say so"
	@fc-list 2>/dev/null | grep -qi "CJK" || \
		$(PY) -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('koreanize_matplotlib') is None)" || \
		(echo "no CJK font from apt-get: installing koreanize-matplotlib (NanumGothic) into $(VENV)" && \
		 $(PIP) install -q "koreanize-matplotlib>=0.1") || \
		echo "no CJK font could be installed here; the Korean tests will say so"

# the documentation site (mkdocs-material + mkdocstrings), built strictly: any warning fails the build
docs: $(VENV)/.dev
	$(VENV)/bin/mkdocs build --strict --site-dir site

# The matrix beside the main run (pandas 3 on this Python): the unit and property tests (tests/) on pandas 2.2 with
# Python 3.11, and on the latest pandas with Python 3.13 (from PATH or pyenv). The main run also installs the wheel
# with lifelines (pandas<3) into a new environment, and compares the sample's headline tables with pandas 2.2's.
PANDAS2 := .venv-pandas22
# a real interpreter: pyenv's versions first, else whatever python3.13 runs (a pyenv shim on PATH may not)
PY313   ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell python3.13 -c "import sys; print(sys.executable)" 2>/dev/null))
PY311   ?= $(firstword $(shell command -v python3.11 2>/dev/null) $(PYTHON))

$(PANDAS2)/.ok: pyproject.toml
	$(PY311) -m venv $(PANDAS2)
	$(PANDAS2)/bin/python -m pip install -q --disable-pip-version-check -e ".[dev,plot,deck]" "pandas==2.2.*"
	touch $@

.venv-py313/.ok: pyproject.toml
	$(PY313) -m venv .venv-py313
	.venv-py313/bin/python -m pip install -q --disable-pip-version-check -e ".[dev,plot,deck]"
	touch $@

matrix: $(PANDAS2)/.ok
	@$(PANDAS2)/bin/python -c "import sys, pandas; print('matrix: Python', sys.version.split()[0], 'pandas', pandas.__version__)"
	$(PANDAS2)/bin/python -m pytest -q -p no:cacheprovider tests
	@if [ -z "$(PY313)" ]; then echo "matrix: the Python 3.13 leg is SKIPPED: no python3.13 on PATH or in pyenv (PY313=/path/to/python3.13 names one)"; \
	else $(MAKE) --no-print-directory py313; fi

py313: .venv-py313/.ok
	@.venv-py313/bin/python -c "import sys, pandas; print('matrix: Python', sys.version.split()[0], 'pandas', pandas.__version__)"
	.venv-py313/bin/python -m pytest -q -p no:cacheprovider tests

test: lint browser docs $(PANDAS2)/.ok
	SALESMETRICS_INSTALL_TESTS=1 SALESMETRICS_PANDAS2_PYTHON=$(PANDAS2)/bin/python $(PY) -m pytest -q
	PLOTLY_RENDERER=plotly_mimetype $(PY) -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/
	$(MAKE) matrix

# optional: open the notebooks in JupyterLab
lab: $(VENV)/.dev
	$(VENV)/bin/jupyter lab notebooks/

sample: $(VENV)/.core
	$(PY) -m salesmetrics.datasets --out data/sample

# the benchmarks (not tests): each script checks its results against DuckDB's, times both sides alternately (at least
# five runs each, more for a short one) and records min / median / max in benchmarks/results.json; the README's tables are generated from it.
# Run on a quiet machine: the run prints the load average it started with.
bench: $(VENV)/.dev
	@uptime
	$(PY) benchmarks/foundation.py
	$(PY) benchmarks/revenue.py
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/sla.py
	$(PY) benchmarks/economics.py
	$(PY) benchmarks/diagnostics.py
	$(PY) benchmarks/report.py
	$(PY) benchmarks/readme.py

clean:
	rm -rf $(VENV) $(PANDAS2) .venv-py313 .pytest_cache .mypy_cache .ruff_cache build dist site .cache
