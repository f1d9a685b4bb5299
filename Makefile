# FirmPortal: `make run` starts the demo portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock 2>/dev/null | cut -c1-12)

.PHONY: run test lint typecheck check ci-checks clean install messages bench security load chaos

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## The portal with demo data on the embedded default (SQLite, a directory as the Celery broker).
run: install
	@scripts/run-embedded.sh

## The whole suite. Uses PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	DJANGO_SECRET_KEY=typecheck-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz FIRMPORTAL_HTTPS=0 \
		$(VENV)/bin/mypy .

## Static checks CI runs besides the suite.
check: install
	FIRMPORTAL_VAR_DIR=var/ci DJANGO_SECRET_KEY=ci-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
		$(PY) manage.py init_keyring --if-missing
	FIRMPORTAL_VAR_DIR=var/ci DJANGO_SECRET_KEY=ci-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz FIRMPORTAL_HTTPS=0 \
		$(PY) manage.py makemigrations --check --dry-run
	FIRMPORTAL_VAR_DIR=var/ci DJANGO_SECRET_KEY=ci-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz FIRMPORTAL_HTTPS=0 \
		$(PY) manage.py audit_keygen --if-missing var/ci/audit-signing-key.pem
	FIRMPORTAL_VAR_DIR=var/ci DJANGO_SECRET_KEY=ci-only-a-long-random-production-like-secret-0123456789abcdefghijklmnop \
		FIRMPORTAL_AUDIT_SIGNING_KEY_FILE=var/ci/audit-signing-key.pem \
		DJANGO_ALLOWED_HOSTS=portal.firm.example $(PY) manage.py check --deploy --fail-level WARNING

## Benchmarks as ratios -> docs/benchmarks.md (PostgreSQL when DATABASE_URL is set). BENCH_ARGS=--quick for a smoke run.
bench: install
	$(PY) -m bench $(BENCH_ARGS)

## The security suite (tests/security/, marker `security`): headers, CSRF, XSS, SQL injection, uploads, canary scan, check --deploy, pip-audit.
security: install
	$(PY) -m pytest -m security -ra $(PYTEST_ARGS) tests

## The production-like stack (gunicorn, PostgreSQL, Redis, worker, beat) under 50 people for 2 min; LOAD_ARGS=--short for CI.
load: install
	$(PY) -m load $(LOAD_ARGS)

## Fault injection on a private PostgreSQL cluster and redis-server: worker SIGKILL, Redis and PostgreSQL restarts. CHAOS_ARGS=--quick for CI.
chaos: install
	$(PY) -m chaos $(CHAOS_ARGS)

messages: install
	for app in . accounts audit clients confidentiality retention compliance backups portal; do \
		(cd $$app && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l zh_Hans --no-obsolete >/dev/null 2>&1 || true); done
	$(PY) manage.py compilemessages -l zh_Hans --ignore .venv --ignore var

clean:
	rm -rf $(VENV) var staticfiles
