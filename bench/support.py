"""Helpers the benchmarks (and the load and chaos scripts) share: the database a child process
should open, free loopback ports, a gunicorn process, a signed-in session, a concurrent HTTP driver."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def database_url_of_connection() -> str | None:
    """The URL of the database Django is connected to now (the test or bench database), or None for SQLite."""
    from django.db import connection

    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        return None
    user = quote(db.get("USER") or "postgres", safe="")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process (gunicorn, a worker) that must open the same database."""
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    url = database_url_of_connection()
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
        env["FIRMPORTAL_SQLITE_PATH"] = str(connection.settings_dict["NAME"])
    env["FIRMPORTAL_VAR_DIR"] = str(settings.VAR_DIR)
    env.setdefault("FIRMPORTAL_HTTPS", "0")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True, and its children, by its own group id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(
    *,
    env: dict[str, str],
    log_path: Path,
    workers: int = 2,
    threads: int = 4,
    settings_module: str = "firmportal.settings",
    port: int | None = None,
) -> Iterator[int]:
    """gunicorn serving FirmPortal on a free loopback port; yields the port."""
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(env, DJANGO_SETTINGS_MODULE=settings_module)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "firmportal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port)
        yield port
    finally:
        stop_process(process)


def signed_in_staff_cookie() -> tuple[str, str]:
    """A new staff member, signed in past TOTP; returns (cookie name, session key)."""
    from django.conf import settings

    from accounts.models import StaffRole
    from tests import cast

    user = cast.make_staff(f"bench_{uuid.uuid4().hex[:10]}", StaffRole.BOOKKEEPER)
    http = cast.signed_in(user)
    return settings.SESSION_COOKIE_NAME, http.cookies[settings.SESSION_COOKIE_NAME].value


@dataclass
class Drive:
    requests: int
    seconds: float
    failures: int
    latencies: list[float]

    @property
    def seconds_per_request(self) -> float:
        return self.seconds / max(self.requests, 1)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[94] if len(self.latencies) >= 2 else 0.0


def drive(port: int, path: str, *, cookie: str, clients: int, requests_per_client: int) -> Drive:
    """`clients` threads, each with its own keep-alive connection, GET `path` that many times.

    A response other than 200 counts as a failure; the wall time covers all clients together.
    """
    failures = 0
    latencies: list[float] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)

    def one_client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad = 0
        start_gate.wait()
        for _ in range(requests_per_client):
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - began)
        conn.close()
        with lock:
            failures += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return Drive(requests=clients * requests_per_client, seconds=elapsed, failures=failures, latencies=latencies)
