# Dispersal Monitor: every target sets itself up from nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench venv system-packages screenshots clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the test suite drives for real (browser tests, PostgreSQL store tests).
SYSTEM_PACKAGES := chromium chromium-driver postgresql poppler-utils
system-packages:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  missing=""; \
	  for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else \
	  echo "not root or no apt-get: make sure $(SYSTEM_PACKAGES) are installed"; \
	fi

demo: venv
	$(BIN)/python -m app demo

# Checks that need no data: the floors (import-linter contracts in pyproject.toml) and ruff (lint, format).
lint: venv
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: venv system-packages lint
	$(BIN)/python -m pytest

# Under two minutes: no slow, browser or PostgreSQL tests (markers set in tests/conftest.py).
test-fast: venv lint
	$(BIN)/python -m pytest -m "not slow and not browser and not postgres"

bench: venv system-packages
	$(BIN)/python -m tests.benchmarks.run --out data/bench.json

# README pictures: the demo built in a temporary folder, photographed by headless Chromium (1280x800, 256 colours).
screenshots: venv system-packages
	$(BIN)/python -m tests.e2e.screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) data/demo data/dispersal.sqlite*
