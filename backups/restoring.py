"""Reading an archive back into a database: the restore drill's scratch database and `manage.py restore`."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections

from backups.archive import COPY_CHUNK, MANIFEST_MEMBER, ArchiveError
from backups.sources import StderrTail, pg_args


@dataclass
class TargetDatabase:
    """A database to restore into: a PostgreSQL database on the default server, or an SQLite file."""

    vendor: str
    name: str  # database name (PostgreSQL) or file path (SQLite)

    def settings_dict(self) -> dict[str, Any]:
        base = dict(connections.databases["default"])
        base["NAME"] = self.name
        base["TEST"] = dict(base.get("TEST") or {})
        return base

    @contextlib.contextmanager
    def alias(self) -> Iterator[str]:
        """A Django database alias pointing at this database, for the checks after a restore."""
        alias = f"restore_{secrets.token_hex(4)}"
        connections.databases[alias] = self.settings_dict()
        try:
            # Connect now, explicitly: a connection opened lazily later is refused by Django's test
            # isolation for aliases it did not know when the test began.
            connections[alias].connect()
            yield alias
        finally:
            with contextlib.suppress(Exception):
                connections[alias].close()
            with contextlib.suppress(Exception):
                del connections[alias]
            connections.databases.pop(alias, None)


def _server_cursor() -> Any:
    """An autocommit connection to the PostgreSQL server's maintenance database."""
    import psycopg2

    db = connections.databases["default"]
    conn = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    conn.autocommit = True
    return conn


def _pg_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ArchiveError(f"database name {name!r}: use letters, digits and underscores only")
    return f'"{name}"'


def database_is_empty(target: TargetDatabase) -> bool | None:
    """True if empty, False if it holds tables, None if it does not exist."""
    if target.vendor == "sqlite":
        path = Path(target.name)
        if not path.exists():
            return None
        with contextlib.closing(sqlite3.connect(path)) as conn:
            n = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        return n == 0
    with contextlib.closing(_server_cursor()) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
        if cursor.fetchone() is None:
            return None
    import psycopg2

    db = connections.databases["default"]
    with (
        contextlib.closing(
            psycopg2.connect(
                dbname=target.name,
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
            )
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        return int(cursor.fetchone()[0]) == 0


def create_database(target: TargetDatabase, *, replace: bool) -> None:
    if target.vendor == "sqlite":
        path = Path(target.name)
        if replace:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    with contextlib.closing(_server_cursor()) as conn, conn.cursor() as cursor:
        if replace:
            cursor.execute(f"DROP DATABASE IF EXISTS {_pg_ident(target.name)} WITH (FORCE)")
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {_pg_ident(target.name)} TEMPLATE template0 ENCODING 'UTF8'")


def drop_database(target: TargetDatabase) -> None:
    if target.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(target.name) + suffix).unlink(missing_ok=True)
        return
    with contextlib.closing(_server_cursor()) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_pg_ident(target.name)} WITH (FORCE)")


@contextlib.contextmanager
def scratch_database() -> Iterator[TargetDatabase]:
    """A temporary database of the same engine as the live one, dropped afterwards whatever happens."""
    vendor = connections["default"].vendor
    if vendor == "sqlite":
        base = Path(settings.VAR_DIR) / "drills"
        base.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix="drill-", dir=base))
        target = TargetDatabase("sqlite", str(directory / "scratch.sqlite3"))
        try:
            yield target
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    target = TargetDatabase("postgresql", f"fp_drill_{secrets.token_hex(6)}")
    create_database(target, replace=False)
    try:
        yield target
    finally:
        drop_database(target)


class _PgRestoreSink:
    def __init__(self, target: TargetDatabase) -> None:
        args, env = pg_args(target.settings_dict())
        self.process = subprocess.Popen(  # noqa: S603 - fixed program
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args],  # noqa: S607
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.stderr = StderrTail(self.process.stderr)

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
        except BrokenPipeError as exc:
            self.process.wait()
            raise ArchiveError(f"pg_restore stopped: {self.stderr.value()}") from exc

    def finish(self) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        if self.process.wait() != 0:
            raise ArchiveError(f"pg_restore failed (exit {self.process.returncode}): {self.stderr.value()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class _SqliteRestoreSink:
    def __init__(self, target: TargetDatabase) -> None:
        self.conn = sqlite3.connect(target.name, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("BEGIN")
        self.inflater = zlib.decompressobj(31)
        self.pending = ""
        self.statement = ""

    def _execute_lines(self, text: str, final: bool = False) -> None:
        self.pending += text
        lines = self.pending.split("\n")
        self.pending = "" if final else lines.pop()
        for line in lines:
            self.statement += line + "\n"
            if sqlite3.complete_statement(self.statement):
                self.conn.execute(self.statement)
                self.statement = ""

    def write(self, data: bytes) -> None:
        try:
            self._execute_lines(self.inflater.decompress(data).decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, sqlite3.Error) as exc:
            raise ArchiveError(f"the SQLite dump does not restore: {exc}") from exc

    def finish(self) -> None:
        try:
            rest = self.inflater.flush()
            if not self.inflater.eof:
                raise ArchiveError("the SQLite dump is cut short (gzip stream incomplete)")
            self._execute_lines(rest.decode("utf-8"), final=True)
            if self.statement.strip():
                raise ArchiveError("the SQLite dump ends inside a statement")
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise ArchiveError(f"the SQLite dump does not restore: {exc}") from exc
        finally:
            self.conn.close()

    def kill(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()


@dataclass
class RestoredArchive:
    manifest: dict[str, Any]
    database_parts: int = 0
    media_files: int = 0
    media_bytes: int = 0
    media_written: list[str] = field(default_factory=list)


def restore_stream(plain: IO[bytes], target: TargetDatabase, *, media_root: Path | None = None) -> RestoredArchive:
    """Read the tar stream: check the manifest, pipe the database parts into the target database,
    count (or, with `media_root`, write) the media files."""
    result: RestoredArchive | None = None
    sink: _PgRestoreSink | _SqliteRestoreSink | None = None
    try:
        with tarfile.open(fileobj=plain, mode="r|") as archive:
            for member in archive:
                if not member.isfile():
                    raise ArchiveError(f"unexpected member {member.name!r} in the archive")
                handle = archive.extractfile(member)
                assert handle is not None
                if result is None:
                    if member.name != MANIFEST_MEMBER:
                        raise ArchiveError("the archive does not start with its manifest")
                    result = RestoredArchive(manifest=json.loads(handle.read()))
                    if result.manifest.get("database", {}).get("vendor") != target.vendor:
                        raise ArchiveError(
                            f"the backup is of a {result.manifest.get('database', {}).get('vendor')} database; "
                            f"it cannot be restored into {target.vendor}"
                        )
                    continue
                prefix = result.manifest["database"]["member"]
                if member.name.startswith(prefix + "."):
                    index = int(member.name.rsplit(".", 1)[1])
                    if index != result.database_parts:
                        raise ArchiveError(f"database part {index} is out of order")
                    if sink is None:
                        sink = _PgRestoreSink(target) if target.vendor == "postgresql" else _SqliteRestoreSink(target)
                    while chunk := handle.read(COPY_CHUNK):
                        sink.write(chunk)
                    result.database_parts += 1
                elif member.name.startswith("media/"):
                    result.media_files += 1
                    result.media_bytes += member.size
                    if media_root is not None:
                        _write_media(media_root, member.name[len("media/") :], handle)
                        result.media_written.append(member.name)
                else:
                    raise ArchiveError(f"unexpected member {member.name!r} in the archive")
        if result is None:
            raise ArchiveError("the archive is empty")
        if sink is None:
            raise ArchiveError("the archive holds no database dump")
        sink.finish()
        sink = None
        return result
    except tarfile.TarError as exc:
        raise ArchiveError(f"the archive's tar stream is damaged: {exc}") from exc
    finally:
        if sink is not None:
            sink.kill()


def _write_media(root: Path, relative: str, handle: IO[bytes]) -> None:
    destination = (root / relative).resolve()
    if not destination.is_relative_to(root.resolve()):
        raise ArchiveError(f"media member {relative!r} points outside the media directory")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(destination.name + ".restoring")
    with open(temp, "wb") as out:
        shutil.copyfileobj(handle, out, COPY_CHUNK)
    temp.replace(destination)
