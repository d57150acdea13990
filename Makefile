# wirefeed: `make demo` runs the main job end to end; `make test` runs the tests.
# Both install what they need first (venv + pip packages, system packages, Kafka jars), idempotently.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.wirefeed-installed

.PHONY: setup demo run test test-faults test-index-faults test-cluster test-unit lint lock bench schemas broker-start broker-stop clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	bash deploy/install-system-deps.sh
	$(BIN)/python -c "from agents.broker import ensure_jars; ensure_jars()"
	$(BIN)/python -c "from agents.opensearch import install_home; install_home()"

demo: setup
	$(BIN)/wirefeed demo

run: setup
	$(BIN)/wirefeed run --feeds feeds.yaml

test: setup
	$(BIN)/python -m pytest -q -m "not index_faults and not cluster and not faults"

# the index sink's fault tests (SIGKILL mid-bulk, OpenSearch down 30 s): minutes, so apart; CI runs both
test-faults: setup
	$(BIN)/python -m pytest -q -s -m faults tests/integration/test_faults.py tests/integration/test_rebalance.py

test-index-faults: setup
	$(BIN)/python -m pytest -q -s -m index_faults tests/integration/test_index_faults.py

# Fault tests on a three-broker KRaft cluster (replication 3, min ISR 2): ~15 min on 2 cores.
test-cluster: setup
	$(BIN)/python -m pytest -q -s -m cluster

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not broker and not opensearch and not cluster"

lint: $(STAMP)
	$(BIN)/ruff check .

# The image's exact runtime dependencies (with hashes), from pyproject.toml: run after changing them.
lock: $(STAMP)
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

schemas: $(STAMP)
	$(BIN)/python -m schemas.generate

bench: setup
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/dedupe.py
	$(BIN)/python bench/tagging.py

broker-start: setup
	$(BIN)/wirefeed broker start

broker-stop: $(STAMP)
	$(BIN)/wirefeed broker stop

clean:
	rm -rf .wirefeed demo-output.jsonl demo-dlq.jsonl .pytest_cache
