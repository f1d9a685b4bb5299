"""Backups: throughput against a bare `pg_dump -Fc > /dev/null` of the same database in the same
run, and peak memory of the backup process at two database sizes (it must not grow with the data).

The backup runs as its own process (`manage.py backup`), exactly as an operator or the nightly job
runs it. Its duration is the run's own record (started_at → finished_at: snapshot, row counts,
dump, encryption, both targets written and re-read for verification), so interpreter start-up is
not counted against it. Peak memory is the process's maximum RSS as the kernel reports it
(`wait4`). Payload: a table of pseudo-random text (compresses about 2:1, like ledgers do).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench import Context, Result

ROOT = Path(__file__).resolve().parent.parent
TABLE = "bench_backup_payload"
ROW_BYTES = 256


def _fill(megabytes: int) -> None:
    from django.db import connection

    rows = megabytes * 1024 * 1024 // ROW_BYTES
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, body text NOT NULL)")
            cursor.execute(
                f"INSERT INTO {TABLE} SELECT g, repeat(md5(g::text) || md5(random()::text), 4) "  # noqa: S608
                "FROM generate_series(1, %s) g",
                [rows],
            )
            cursor.execute(f"ANALYZE {TABLE}")
        else:
            cursor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, body text NOT NULL)")
            cursor.execute(
                f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "  # noqa: S608
                f"INSERT INTO {TABLE} SELECT n, hex(randomblob(64)) || hex(zeroblob(64)) FROM g",
                [rows],
            )


def _drop() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _env(scratch: Path) -> dict[str, str]:
    import pyrage
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{db['NAME']}"
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = str(db["PASSWORD"])
    else:
        env.pop("DATABASE_URL", None)
        env["FIRMPORTAL_SQLITE_PATH"] = str(db["NAME"])
    env["FIRMPORTAL_VAR_DIR"] = str(settings.VAR_DIR)
    env["FIRMPORTAL_KEYRING_FILE"] = str(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["path"])
    env.setdefault("FIRMPORTAL_HTTPS", "0")
    env["FIRMPORTAL_BACKUP_PRIMARY_PATH"] = str(scratch / "primary")
    env["FIRMPORTAL_BACKUP_OFFSITE_PATH"] = str(scratch / "offsite")
    env["FIRMPORTAL_MEDIA_ROOT"] = str(scratch / "media")
    env["FIRMPORTAL_BACKUP_RECIPIENTS"] = str(pyrage.x25519.Identity.generate().to_public())
    env["FIRMPORTAL_LOG_LEVEL"] = "WARNING"
    return env


def _backup(scratch: Path) -> tuple[float, float]:
    """Run `manage.py backup` as a process; (seconds the run took, peak RSS in MiB)."""
    from backups.models import BackupRun

    process = subprocess.Popen(
        [sys.executable, "manage.py", "backup"], cwd=ROOT, env=_env(scratch), stdout=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"manage.py backup failed (exit {process.returncode})")
    run = BackupRun.objects.order_by("-created_at").first()
    assert run is not None and run.started_at and run.finished_at
    return (run.finished_at - run.started_at).total_seconds(), usage.ru_maxrss / 1024


def _bare_pg_dump() -> float:
    from django.db import connection

    from backups.sources import pg_args

    args, env = pg_args(connection.settings_dict)
    start = time.perf_counter()
    subprocess.run(["pg_dump", "-Fc", *args], stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def _bare_sqlite_dump() -> float:
    import sqlite3
    import zlib

    from django.db import connection

    start = time.perf_counter()
    raw = sqlite3.connect(str(connection.settings_dict["NAME"]))
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(os.devnull, "wb") as sink:
        for statement in raw.iterdump():
            sink.write(compressor.compress((statement + "\n").encode()))
        sink.write(compressor.flush())
    raw.close()
    return time.perf_counter() - start


def run(ctx: Context) -> list[Result]:
    from django.db import connection

    small, large = ctx.size(40, 1), ctx.size(160, 2)
    postgres = connection.vendor == "postgresql"
    baseline_name = "bare `pg_dump -Fc > /dev/null`" if postgres else "bare SQLite iterdump | gzip > /dev/null"
    try:
        _fill(small)
        _seconds_small, rss_small = _backup(ctx.scratch / "small")
        _fill(large)
        seconds_large, rss_large = _backup(ctx.scratch / "large")
        bare = _bare_pg_dump() if postgres else _bare_sqlite_dump()
    finally:
        _drop()
    throughput = bare / seconds_large if seconds_large else 0.0
    memory = rss_large / rss_small if rss_small else 0.0
    sizes = f"{small} MiB and {large} MiB of table data ({connection.vendor})"
    return [
        Result(
            name="backup throughput vs. bare dump",
            measured=round(throughput, 3),
            target="≥ 0.5",
            ok=throughput >= 0.5,
            baseline=baseline_name + f" of the same {large} MiB database, same run",
            notes=f"backup {seconds_large:.2f} s (dump, age encryption, two targets written and re-read) vs. "
            f"bare {bare:.2f} s. If missing: check the targets' disk speed and FIRMPORTAL_BACKUP_RATE_LIMIT.",
        ),
        Result(
            name="backup peak memory, large vs. small database",
            measured=round(memory, 3),
            target="≤ 1.2",
            ok=memory <= 1.2,
            baseline=f"peak RSS of `manage.py backup` at {small} MiB ({rss_small:.0f} MiB)",
            notes=f"{sizes}; peak RSS {rss_small:.0f} MiB vs. {rss_large:.0f} MiB. The stream holds at most one "
            "4 MiB tar part plus small buffers.",
        ),
    ]
