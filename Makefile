# Every routine task has one short name here. The venv is built from the hashed lock file.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export SCO_REGISTRY_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck fmt unit fuzz-import bench bench-readside bench-api lock migrate verify clean schema page page-test screenshots

$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), sys.version" || { echo "needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## run: create and migrate the embedded SQLite database, load history, serve
run: $(STAMP)
	$(BIN)/sco-registry run

## test: the whole suite (lint, types, tests on in-memory, SQLite and PostgreSQL)
test: $(STAMP) lint typecheck
	@# The PostgreSQL tests use this server; they skip (one line) where none is reachable, fail under CI.
	@# On every core (pytest-xdist; `make test PYTEST_WORKERS=0` runs in one process). Each
	@# worker builds its own session fixtures (databases are named per process).
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

## fuzz-import: the import properties under the `fuzz` Hypothesis profile (random, 20x the
## examples, larger histories); PostgreSQL ones too when its server answers
fuzz-import: $(STAMP)
	SCO_REGISTRY_HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/property $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/sco-registry migrate

verify: $(STAMP)
	$(BIN)/sco-registry verify

## bench: benchmarks against eventsourcing and raw SQL, the read side's and the API's; writes
## bench/results.json, docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## bench-readside: the read side's benchmark alone (rebuilds from synthetic logs cached in
## bench/.cache/, read latency); merges its rows into bench/results.json, regenerates the doc
bench-readside: $(STAMP)
	$(BIN)/python -m bench.readside --out bench/results.json --doc docs/benchmarks.md $(BENCH_ARGS)

## bench-api: the API's benchmark alone (GraphQL against a plain endpoint over HTTP, on the
## 100,000-event synthetic log; PostgreSQL on a fresh database of SCO_REGISTRY_TEST_PG_URL's
## server); merges its results into bench/results.json, regenerates the doc
bench-api: $(STAMP)
	$(BIN)/python -m bench.api_bench $(BENCH_ARGS)

## lock: refresh the hashed lock file from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements-dev.lock
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## schema: write schema.graphql (SDL) from the code; a test fails when it is stale
schema: $(STAMP)
	$(BIN)/python -c "from sco_registry.graphql.schema import SCHEMA_FILE, sdl; SCHEMA_FILE.write_text(sdl())"

## page: rebuild the timeline page's vendored library (vis-timeline's standalone build, from
## frontend/package-lock.json) into src/sco_registry/web/vendor/; the result is committed
WEB_VENDOR := src/sco_registry/web/vendor
page:
	cd frontend && npm ci --no-audit --no-fund
	cp frontend/node_modules/vis-timeline/standalone/umd/vis-timeline-graph2d.min.js $(WEB_VENDOR)/
	cp frontend/node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css $(WEB_VENDOR)/

## page-test: the page's browser tests alone (headless chromium); screenshots in build/page-artifacts/
page-test: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser $(PYTEST_ARGS)

## screenshots: the browser tests, then their screenshots copied into docs/images/ (README)
screenshots: page-test
	mkdir -p docs/images
	cp build/page-artifacts/page-desktop.png build/page-artifacts/page-phone.png build/page-artifacts/page-desktop-panel.png docs/images/
