# liuke: the two commands README.md promises, plus the steps they are made of.
#   make demo  - set up from a fresh clone, migrate SQLite, simulate 90 days, serve :8000
#   make test  - set up, lint, type-check and run every test (SQLite, PostgreSQL, Redis, browser)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup python-deps web-deps browser java demo serve test lint typecheck pytest bench clean

setup: python-deps web-deps

python-deps: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

web-deps: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Headless Chromium and CJK fonts for the browser tests (Debian packages; needs root).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "WARNING: chromium/fonts-noto-cjk missing and not root: browser tests will skip"; fi; \
	fi

demo: setup browser
	$(BIN)/liuke demo

serve: setup
	$(BIN)/liuke serve

lint: python-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: python-deps
	$(BIN)/mypy

# A Java runtime for the Spark engine test (Debian package; needs root).
java:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "WARNING: java missing and not root: the Spark engine test will skip"; fi; \
	fi

pytest: setup browser java
	$(BIN)/pytest -q -p no:cacheprovider -n 2

test: lint typecheck pytest

bench: setup
	$(BIN)/python bench/ingest.py --backend all
	$(BIN)/python bench/quality.py --store all
	$(BIN)/python bench/analytics.py --sizes 1000000,10000000

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache .pytest_cache
