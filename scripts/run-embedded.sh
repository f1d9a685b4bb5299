#!/usr/bin/env bash
# `make run`: the portal, a real Celery worker with beat, on SQLite and a directory broker.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
if [ ! -s var/dev-secret-key ]; then
  $PY -c "import secrets; print(secrets.token_urlsafe(50))" > var/dev-secret-key
  chmod 600 var/dev-secret-key
fi
export DJANGO_SECRET_KEY_FILE="$PWD/var/dev-secret-key"
export FIRMPORTAL_HTTPS=0          # loopback only; production always runs behind TLS
unset DATABASE_URL REDIS_URL       # the embedded default, whatever the shell has
export FIRMPORTAL_VAR_DIR="$PWD/var"

$PY manage.py init_keyring --if-missing
$PY manage.py backup_recovery_key --if-missing   # demo keys under var/backups/keys/ (see docs/backups.md)
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput >/dev/null
$PY manage.py seed_demo

$PY -m celery -A firmportal worker --beat --pool=solo -l INFO \
  --schedule var/celerybeat-schedule >var/log-worker.txt 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
# The first heartbeat now rather than a minute from now, so /healthz is green from the start.
$PY -m celery -A firmportal call firmportal.tasks.heartbeat >/dev/null
echo "Worker and beat started (log: var/log-worker.txt)."
echo "FirmPortal: http://127.0.0.1:8000/"
$PY -m gunicorn firmportal.wsgi:application --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
