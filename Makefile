# Two commands do all the set-up on a fresh machine with Python 3.12+:
#   make run    venv, install, database, migrate, demo data, serve on 127.0.0.1:8000
#   make test   the same set-up, then ruff and the whole pytest suite on real PostgreSQL
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
# The first Python on the PATH that is 3.12 or newer (pyenv's shims read .python-version).
PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null && { echo $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: one per core by default; each has a test database
# of its own (test_millbrae_gw0, ...). PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: help venv system-deps db run test lint format benchmark clean

help:
	@echo "make run        set up and serve the app on http://$(HOST):$(PORT) with demo data and a worker"
	@echo "make test       set up, lint, and run the whole test suite"
	@echo "make benchmark  run the benchmark workloads"
	@echo "make format     format the code with ruff"

$(BIN)/.installed: requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is needed (none found on PATH)." >&2; exit 1; fi
	@echo "Creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

venv: $(BIN)/.installed

system-deps:
	@bash scripts/system_deps.sh $(SYSTEM_DEPS)

# Starts the embedded PostgreSQL server under .local/ (unless DATABASE_URL is set) and
# brings the schema up to date.
db: venv system-deps
	$(BIN)/python manage.py migrate --noinput -v 0

run: db
	@$(BIN)/python manage.py seed_demo --print-logins
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/ with a background worker (Ctrl-C stops both)"
	@# The worker (django-tasks-db) runs background jobs beside the web server. Ctrl-C
	@# reaches both; the trap also stops the worker when runserver ends any other way.
	@export DEBUG=$${DEBUG:-1}; \
	$(BIN)/python manage.py db_worker --no-reload --queue-name='*' & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: SYSTEM_DEPS = browser
test: venv system-deps lint
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest --create-db -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

benchmark: db
	$(BIN)/python manage.py benchmark $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
