# make up    set up .venv, migrate, create a first admin, serve on http://127.0.0.1:8000
# make test  install test dependencies (and, as root, Debian's chromium and PostgreSQL),
#            then ruff, mypy and the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://lanward:lanward@127.0.0.1:5432/lanward

.PHONY: up install install-test test lint typecheck pytest-sqlite pytest-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

up: install
	$(BIN)/lanward manage migrate --noinput
	$(BIN)/lanward manage ensure_admin
	$(BIN)/lanward manage load_demo
	$(BIN)/lanward serve --host $(HOST) --port $(PORT) --no-migrate

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-test
	$(BIN)/mypy

pytest-sqlite: install-test
	env -u DATABASE_URL $(BIN)/pytest -n 2 --dist loadgroup

pytest-postgres: install-test
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 --dist loadgroup

test: install-test
	bash scripts/test-services.sh
	$(MAKE) lint typecheck pytest-sqlite pytest-postgres

bench: install-test
	$(BIN)/python bench/signin_rate.py
	$(BIN)/python bench/analyze_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
