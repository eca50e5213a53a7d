# Privacy Portal — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Read by settings.py: without SITE_URL, e-mailed links name this port.
export PORT
export DEBUG ?= 1

.PHONY: run demo setup test lint check bench clean messages

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes.
$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# Keys generated once per checkout, so the audit chain stays verifiable across runs.
var/local.env:
	mkdir -p var
	$(PY) -c "import base64, os, secrets; t = secrets.token_urlsafe; \
	print(f'SECRET_KEY={t(48)}'); print(f'AUDIT_HMAC_KEY={t(48)}'); \
	print('RETENTION_MASTER_KEY=' + base64.urlsafe_b64encode(os.urandom(32)).decode())" > $@
	chmod 600 $@

setup: $(VENV)/.run-installed var/local.env
	$(PY) manage.py migrate --no-input
	$(PY) manage.py setup_portal

## Start web, worker and beat on http://127.0.0.1:$(PORT)/ (embedded defaults).
run: setup
	exec $(PY) manage.py runportal --port $(PORT)

## Load the demo data set, then run.
demo: setup
	$(PY) manage.py seed_demo
	exec $(PY) manage.py runportal --port $(PORT)

## Extract marked strings into the catalogues (needs GNU gettext); translate, then commit.
messages: $(VENV)/.dev-installed
	$(PY) manage.py makemessages --no-obsolete -l de -l fr -l es -l pt_BR \
	  --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'bench/*' --ignore 'var/*' \
	  --ignore '*/tests/*' --ignore 'tests/*'

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: $(VENV)/.dev-installed
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Test-only JavaScript (axe-core for tests/test_accessibility.py), exactly as
# package-lock.json pins it; reinstalled only when the lock file changes.
node_modules/.installed: package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is missing (apt-get install nodejs npm); the accessibility tests need it" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

## Lint, Django checks, migrations check and the whole test suite.
## Uses PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set.
test: lint check node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## Benchmarks against PostgreSQL (DATABASE_URL): `make bench` or `make bench BENCH=name`.
bench: $(VENV)/.dev-installed
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) var/cache var/broker
