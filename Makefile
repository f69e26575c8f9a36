# Insurflow developer targets. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint test-fast browser bench clean

$(BIN)/insurflow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/insurflow

install: $(BIN)/insurflow

## run: install, create the SQLite database, seed demo data, serve the web app
run: install
	$(BIN)/insurflow db upgrade
	$(BIN)/insurflow demo
	$(BIN)/insurflow run --host $(HOST) --port $(PORT)

## test: install, lint and type-check, then the whole suite on SQLite and PostgreSQL
test: install lint browser
	$(BIN)/pytest -q

## browser: Debian's Chromium for the browser tests (Playwright drives it; never a download)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -q && \
		$$SUDO apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy .

test-fast: install
	$(BIN)/pytest -q -k "sqlite or not postgresql" -m "not browser"

bench: install
	$(BIN)/python bench/bench_core.py

clean:
	rm -rf $(VENV) insurflow.db .pytest_cache .mypy_cache .ruff_cache test-artifacts
