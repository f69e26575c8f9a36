# Insurflow developer targets. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
NPM ?= npm
# npm ci rewrites this file, so its age says whether node_modules matches package-lock.json.
VIEWER_STAMP := node_modules/.package-lock.json

.PHONY: run test install lint test-fast browser bench bench-instructions bench-breakdown bench-inbox bench-jobs bench-audit \
	bench-sqlite-concurrency clean

# Every installed package, runtime and dev, pinned with hashes (README: "Dependencies").
LOCK := requirements.lock
LOCKED := $(VENV)/.locked
# The lock is for CPython 3.11 on x86-64 Linux, whatever machine runs `make lock`.
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

.PHONY: lock

# The packages of the lock, each checked against its hash; nothing else is fetched.
$(LOCKED): $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	touch $@

# Insurflow itself on top, without resolving anything; `pip check` catches a lock that no
# longer covers pyproject.toml (a dependency added without `make lock`).
$(BIN)/insurflow: pyproject.toml $(LOCKED)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
		echo "error: $(LOCK) does not cover pyproject.toml: run 'make lock'" >&2; exit 1; }
	touch $(BIN)/insurflow

## lock: pin pyproject's dependencies (runtime and dev) with hashes into requirements.lock;
## pins already in the lock stay unless ARGS='--upgrade-package NAME' (or ARGS=--upgrade).
## Needs only uv, taken from the lock with its hashes, so it works even when the rest of the
## lock no longer installs (a bad merge); without uv in the lock, pyproject's range of it.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	awk '/^uv==/ {on = 1; print; next} on && /^ / {print; next} {on = 0}' $(LOCK) \
		> $(VENV)/uv-requirement.txt 2>/dev/null || true
	if [ -s $(VENV)/uv-requirement.txt ]; then \
		$(BIN)/pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt; \
	else $(BIN)/pip install --quiet 'uv>=0.5'; fi
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes $(LOCK_TARGET) \
		--custom-compile-command "make lock" --output-file $(LOCK) --quiet $(ARGS)

# The process diagram viewer (bpmn-js) comes from npm; without Node.js the app still runs and
# case pages show the steps as a list instead of a drawing.
$(VIEWER_STAMP): package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(NPM) ci --no-audit --no-fund && touch $@; \
	else \
		echo "warning: npm not found; install Node.js and rerun 'make install' to draw process diagrams" >&2; \
	fi

install: $(BIN)/insurflow $(VIEWER_STAMP)

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

## bench-instructions: instructions per accept-path case, SQLite and in memory (valgrind)
bench-instructions: install
	$(BIN)/python bench/bench_core_instructions.py

## bench-breakdown: where an accept-path case's time goes on SQLite, by layer (sampled)
bench-breakdown: install
	$(BIN)/python bench/bench_core_breakdown.py

## bench-inbox: the clerks' inbox and task completion over HTTP, 100k open + 1M done tasks
bench-inbox: install
	$(BIN)/python bench/bench_inbox.py

## bench-jobs: worker throughput (one and two workers) and timer lateness on PostgreSQL
bench-jobs: install
	$(BIN)/python bench/bench_jobs.py

## bench-sqlite-concurrency: 8 clients starting cases and completing tasks on one web process
## over SQLite: answers by status (no 500) and latency percentiles
bench-sqlite-concurrency: install
	$(BIN)/python bench/bench_sqlite_concurrency.py $(ARGS)

## bench-audit: verify a 1,000-event case and `audit verify --all` over 10,000 cases (SQLite;
## ARGS='--database-url postgresql://postgres@127.0.0.1:5432/insurflow_bench_audit' for PostgreSQL)
bench-audit: install
	$(BIN)/python bench/bench_audit_verify.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules insurflow.db .pytest_cache .mypy_cache .ruff_cache test-artifacts
