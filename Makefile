# FirmPortal: `make run` starts the demo portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock 2>/dev/null | cut -c1-12)

.PHONY: run test lint typecheck check ci-checks clean install messages

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
	FIRMPORTAL_VAR_DIR=var/ci DJANGO_SECRET_KEY=ci-only-a-long-random-production-like-secret-0123456789abcdefghijklmnop \
		DJANGO_ALLOWED_HOSTS=portal.firm.example $(PY) manage.py check --deploy --fail-level WARNING

messages: install
	for app in . accounts audit clients confidentiality retention backups; do \
		(cd $$app && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l zh_Hans --no-obsolete >/dev/null 2>&1 || true); done
	$(PY) manage.py compilemessages -l zh_Hans --ignore .venv --ignore var

clean:
	rm -rf $(VENV) var staticfiles
