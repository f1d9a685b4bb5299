"""What goes into a backup: a consistent database snapshot (dump, row counts, schema, audit head)
and the media files.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the row counts, schema versions and
audit head are read in that transaction and `pg_dump -Fc --snapshot=...` dumps exactly the same
state, so the manifest's counts are those of the dump, not "roughly then".

SQLite (embedded default): a read transaction on a WAL database is a snapshot too; the counts are
read in it and `Connection.iterdump()` streams the SQL of that snapshot, statement by statement,
through gzip. We do not use SQLite's online backup API here: its destination is a database, so it
would need either a plaintext temporary file (forbidden) or an in-memory copy of the whole database
(memory growing with the database). A read transaction gives the same consistency, streams in
constant memory, and leaves nothing on disk.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from backups import hooks
from backups.archive import COPY_CHUNK, ArchiveError

SQL_CHUNK = 256 * 1024


@dataclass
class Snapshot:
    vendor: str
    member_prefix: str
    row_counts: dict[str, int]
    schema: dict[str, str]
    audit_head: dict[str, Any]
    dump: Iterator[bytes]
    extra: dict[str, Any] = field(default_factory=dict)


def pg_args(db: dict[str, Any], name: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client tools, and their environment (password)."""
    args = ["--no-password", "-d", str(name or db["NAME"])]
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


class StderrTail:
    """Collects the last few KiB a child process writes to stderr (error text, never data)."""

    def __init__(self, stream: Any) -> None:
        self.text = b""
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            self.text = (self.text + line)[-4096:]

    def value(self) -> str:
        self._thread.join(timeout=5)
        return self.text.decode("utf-8", "replace").strip()


def _quote(vendor: str, name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_row_counts(cursor: Any, tables: list[str], vendor: str) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT count(*) FROM {_quote(vendor, table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    return counts


def schema_versions(cursor: Any, tables: list[str]) -> dict[str, str]:
    """The latest applied migration of each app (by name order, which is apply order in practice)."""
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return {str(app): str(name) for app, name in cursor.fetchall()}


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [str(row[0]) for row in cursor.fetchall()]


def _sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [str(row[0]) for row in cursor.fetchall()]


def facts(cursor: Any, vendor: str) -> tuple[dict[str, int], dict[str, str], dict[str, Any]]:
    tables = _pg_tables(cursor) if vendor == "postgresql" else _sqlite_tables(cursor)
    return (
        table_row_counts(cursor, tables, vendor),
        schema_versions(cursor, tables),
        hooks.audit_seal_head(cursor, tables),
    )


@contextlib.contextmanager
def database_snapshot(alias: str = "default") -> Iterator[Snapshot]:
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        with _pg_snapshot(alias) as snap:
            yield snap
    elif vendor == "sqlite":
        with _sqlite_snapshot(alias) as snap:
            yield snap
    else:  # pragma: no cover - only the two supported engines
        raise ArchiveError(f"backups support PostgreSQL and SQLite, not {vendor}")


@contextlib.contextmanager
def _pg_snapshot(alias: str) -> Iterator[Snapshot]:
    conn = connections.create_connection(alias)
    process: subprocess.Popen[bytes] | None = None
    try:
        conn.ensure_connection()
        with conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = str(cursor.fetchone()[0])
            counts, schema, head = facts(cursor, "postgresql")
            args, env = pg_args(conn.settings_dict)
            process = subprocess.Popen(  # noqa: S603 - fixed program, arguments from settings
                ["pg_dump", "-Fc", f"--snapshot={snapshot_id}", *args],  # noqa: S607
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            stderr = StderrTail(process.stderr)

            def stream() -> Iterator[bytes]:
                assert process is not None and process.stdout is not None
                while chunk := process.stdout.read(COPY_CHUNK):
                    yield chunk
                if process.wait() != 0:
                    raise ArchiveError(f"pg_dump failed (exit {process.returncode}): {stderr.value()}")

            yield Snapshot("postgresql", "database/pg.dump", counts, schema, head, stream())
            cursor.execute("ROLLBACK")
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        conn.close()


@contextlib.contextmanager
def _sqlite_snapshot(alias: str) -> Iterator[Snapshot]:
    path = str(connections[alias].settings_dict["NAME"])
    raw = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        raw.execute("BEGIN")
        cursor = raw.cursor()
        # The first read starts the read transaction: from here on this connection sees one snapshot.
        counts, schema, head = facts(cursor, "sqlite")

        def stream() -> Iterator[bytes]:
            compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing: `gunzip` opens it
            pending: list[str] = []
            size = 0
            for statement in raw.iterdump():
                if statement == "BEGIN TRANSACTION;" or statement == "COMMIT;":
                    continue  # the restore decides its own transaction
                pending.append(statement + "\n")
                size += len(statement)
                if size >= SQL_CHUNK:
                    yield compressor.compress("".join(pending).encode("utf-8"))
                    pending, size = [], 0
            yield compressor.compress("".join(pending).encode("utf-8"))
            yield compressor.flush()

        yield Snapshot("sqlite", "database/sqlite.sql.gz", counts, schema, head, stream())
    finally:
        with contextlib.suppress(sqlite3.Error):
            raw.execute("ROLLBACK")
        raw.close()


def media_files() -> list[tuple[str, Path]]:
    """Every media file (already ciphertext), as (name in the archive, path), in a stable order."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append(("media/" + path.relative_to(root).as_posix(), path))
    return sorted(found)
