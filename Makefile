# Pain diary: one entry point for setting up, running and checking the service.
# GNU make. Every target that needs Python sets up .venv first (see `venv`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Python 3.11: python3.11, or python3 when that is 3.11. Override with `make PYTHON=...`.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell command -v python3.11 2>/dev/null || \
	{ python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && \
	  command -v python3; })
endif

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Web port for `make run` (honcho hands it to the first Procfile line as $PORT).
PORT ?= 8000
# Extra pytest options, e.g. `make test PYTEST_ARGS="-k entries -x"`.
PYTEST_ARGS ?=
# Options for bench/ingest, e.g. `make bench BENCH_ARGS="--duration 30"`.
BENCH_ARGS ?=

.PHONY: help venv run test lint schema client bench bench-dispatch bench-alerts bench-checkin bench-drill \
	bench-fs-pages bench-pages clean distclean

help:
	@echo "make run     set up .venv, migrate, load demo data, start web, workers and beat"
	@echo "make test    set up .venv and run the whole test suite"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make schema  validate the OpenAPI schema (fails on warnings)"
	@echo "make client  generate the TypeScript client from it and type-check the phone flow"
	@echo "make bench   run bench/ingest (also: make bench-dispatch, make bench-alerts,"
	@echo "             make bench-checkin)"
	@echo "make bench-drill  fault drills: worker kill, dropped database sessions, Redis outage"
	@echo "make bench-fs-pages  page latency on the embedded default (filesystem broker)"
	@echo "make bench-pages  time the staff pages and list endpoints at 100 and 2,000 patients"
	@echo "make clean   remove var/ (local database, broker, beat schedule) and caches"
	@echo "make distclean  clean, and remove .venv"

# Reinstalls only when a requirements file is newer than the stamp.
$(STAMP): requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.11 not found: install python3.11 or run make PYTHON=/path/to/python3.11" >&2; \
		exit 1; \
	fi
	@if [ ! -x $(BIN)/python ]; then \
		echo "==> creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The embedded default: SQLite and Celery's filesystem transport under var/, DEBUG on.
# Set DATABASE_URL / REDIS_URL (and DEBUG=false with SECRET_KEY) to run on real servers.
# Demo data (public passwords) is loaded only with DEBUG=true, unless SEED_DEMO=true|false says.
# honcho gets --env /dev/null so that web, worker and beat see the same environment as
# migrate and seed_demo (the shell's), never a stray .env file.
run: export DEBUG ?= true
# Links printed and sent (web check-in, alert pages) point at this server.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: venv
	$(BIN)/python manage.py migrate --noinput
	@if [ "$${SEED_DEMO:-$$DEBUG}" = true ]; then \
		echo "$(BIN)/python manage.py seed_demo && $(BIN)/python manage.py seed_demo_alerts"; \
		$(BIN)/python manage.py seed_demo; \
		$(BIN)/python manage.py seed_demo_alerts; \
	else \
		echo "==> DEBUG=false: no demo data (its passwords are public); SEED_DEMO=true to load it,"; \
		echo "    or create a clinic: CLINIC_ADMIN_PASSWORD=... manage.py create_clinic --help"; \
	fi
	@echo
	@echo "==> Dashboard: $$SITE_URL/dashboard/"
	@if [ "$${SEED_DEMO:-$$DEBUG}" = true ]; then \
		echo "    sign in as dr.cole (clinician) or nia (on-call nurse); admin for /admin/;"; \
		echo "    every demo password is demo-password-2026"; \
	fi
	@if [ "$${OUTBOX_CHANNEL:-$$DEBUG}" = true ]; then \
		echo "==> Outbox:    $$SITE_URL/dashboard/outbox/ (every SMS, e-mail and push, kept: open a reminder's link)"; \
	fi
	@echo "==> Admin:     $$SITE_URL/admin/"
	@echo "==> API docs:  $$SITE_URL/api/v1/docs/"
	@echo "==> Starting web, worker, alerts worker and beat (Procfile); Ctrl-C stops them all."
	@echo
	@# honcho answers Ctrl-C with exit status 130 after stopping everything: that is the way
	@# out of a demo, not a failure.
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bin/run-procfile start --procfile Procfile --port $(PORT) \
		--env /dev/null || [ $$? -eq 130 ]

# pytest exits 5 when it collects no tests, so an empty suite fails here too.
test: venv
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: venv
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	exit $$status

# DEBUG=true only so that no SECRET_KEY is needed to load the settings.
schema: venv
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yml
	@echo "==> schema is valid: var/openapi.yml"

# npm ci: exactly the versions in package-lock.json, from the npm registry.
client: schema
	cd clients/typescript && npm ci --no-audit --no-fund && npm run check

bench: venv
	$(BIN)/python bench/ingest $(BENCH_ARGS)

bench-dispatch: venv
	$(BIN)/python bench/dispatch $(BENCH_ARGS)

bench-alerts: venv
	$(BIN)/python bench/alert_latency $(BENCH_ARGS)

# Needs PostgreSQL on 127.0.0.1 and redis-server on PATH (the drill runs its own).
bench-drill: venv
	$(BIN)/python -m bench.drill $(BENCH_ARGS)

bench-fs-pages: venv
	$(BIN)/python -m bench.fs_pages $(BENCH_ARGS)

bench-checkin: venv
	$(BIN)/python bench/checkin $(BENCH_ARGS)

bench-pages: venv
	$(BIN)/python bench/pages $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# The patient-facing words: extract them into locale/*/django.po (then translate), and
# compile the .mo files that are committed beside them (no gettext needed to run).
.PHONY: messages
messages: venv
	$(BIN)/python manage.py makemessages --locale es --add-location file \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages --locale es --ignore '.venv/*'
