"""The production-like stack on this machine, for `make load` and `make chaos`.

Everything listens on 127.0.0.1 only. The database is a fresh one on the given PostgreSQL server;
nothing else on that server is touched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.support import free_port, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `server_url`; returns its URL."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(with_database(server_url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return with_database(server_url, name)


def stack_env(*, database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of every process of the stack (web, worker, seeding, checks)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIRMPORTAL_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "firmportal.settings",
            "DJANGO_SECRET_KEY_FILE": str(key_file),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "FIRMPORTAL_VAR_DIR": str(var_dir),
            "FIRMPORTAL_LOG_LEVEL": "WARNING",
            # Plain HTTP on loopback: the TLS proxy of production is not part of this stack.
            "FIRMPORTAL_HTTPS": "0",
        }
    )
    return env


def provision_keys(env: dict[str, str]) -> None:
    """The keys that live outside the database: master keyring and keystore, backup recovery key.
    (The audit seal key is made under the var dir on first use while HTTPS is off.)"""
    manage(env, "init_keyring", "--if-missing")
    manage(env, "backup_recovery_key", "--if-missing")


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Stack:
    env: dict[str, str]
    var_dir: Path
    port: int = 0
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.var_dir / "gunicorn-access.log"

    def start_web(self, *, workers: int = 2, threads: int = 8) -> None:
        self.port = self.port or free_port()
        with open(self.var_dir / "gunicorn.log", "ab") as log:
            self.web = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "firmportal.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--worker-class",
                    "gthread",
                    "--timeout",
                    "60",
                    # Longer than a simulated person's pause (1-3 s): gunicorn's default of 2 s closes
                    # idle connections just as a client reuses them (status 0 on the client side).
                    "--keep-alive",
                    "10",
                    "--access-logfile",
                    str(self.access_log),
                    "--access-logformat",
                    '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s',
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port)

    def start_worker(self, *, concurrency: int = 2, name: str = "w1") -> subprocess.Popen[bytes]:
        with open(self.var_dir / f"worker-{name}.log", "ab") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "firmportal",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"{name}@%h",
                    "-l",
                    "INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(worker)
        return worker

    def start_beat(self) -> subprocess.Popen[bytes]:
        """Celery beat, as production runs it: its first tick sends the worker's heartbeat."""
        with open(self.var_dir / "beat.log", "ab") as log:
            beat = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "firmportal",
                    "beat",
                    "-l",
                    "INFO",
                    "--schedule",
                    str(self.var_dir / "celerybeat-schedule"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(beat)
        return beat

    def stop(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        if self.web is not None:
            stop_process(self.web)


@contextlib.contextmanager
def running(env: dict[str, str], var_dir: Path, *, worker_concurrency: int = 2) -> Iterator[Stack]:
    stack = Stack(env=env, var_dir=var_dir)
    try:
        stack.start_worker(concurrency=worker_concurrency)
        stack.start_beat()
        stack.start_web()
        yield stack
    finally:
        stack.stop()


def send_heartbeat(env: dict[str, str]) -> None:
    """Queue the worker's heartbeat now (beat sends the next one a minute later)."""
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "firmportal", "call", "firmportal.tasks.heartbeat"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_healthy(stack: Stack, *, timeout: float = 90) -> dict[str, object]:
    """Wait until /healthz answers 200 (database, broker and the worker's heartbeat all well)."""
    import json
    import urllib.request

    send_heartbeat(stack.env)
    deadline = time.monotonic() + timeout
    last: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{stack.url}/healthz", timeout=5) as response:
                return dict(json.loads(response.read()))
        except Exception as exc:  # noqa: BLE001 - 503 while the worker's first heartbeat is on its way
            last = {"error": str(exc)}
        time.sleep(1)
    raise RuntimeError(f"/healthz did not become healthy in {timeout:.0f} s: {last}")
