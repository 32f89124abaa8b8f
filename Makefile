# Two commands on a fresh machine (Python 3.11+, pip, make):
#   make demo   - the main job on the bundled sample company
#   make test   - ruff, mypy and the whole test suite
# Each makes its own virtual environment (.venv) and installs what it needs.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: demo test lint browser docs lab sample bench clean

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

# the HTML report's test opens it in headless Chromium, and the Korean charts need a CJK font (Debian's packages)
browser:
	@(command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "CJK") || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) \
		|| echo "chromium or fonts-noto-cjk could not be installed here; the tests that need them will say so"

# the documentation site (mkdocs-material + mkdocstrings), built strictly: any warning fails the build
docs: $(VENV)/.dev
	$(VENV)/bin/mkdocs build --strict --site-dir site

test: lint browser docs
	$(PY) -m pytest -q
	PLOTLY_RENDERER=plotly_mimetype $(PY) -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/

# optional: open the notebooks in JupyterLab
lab: $(VENV)/.dev
	$(VENV)/bin/jupyter lab notebooks/

sample: $(VENV)/.core
	$(PY) -m salesmetrics.datasets --out data/sample

bench: $(VENV)/.dev
	$(PY) benchmarks/foundation.py
	$(PY) benchmarks/revenue.py
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/sla.py
	$(PY) benchmarks/economics.py
	$(PY) benchmarks/diagnostics.py
	$(PY) benchmarks/report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist site .cache
