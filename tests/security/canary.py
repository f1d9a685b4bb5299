"""The canary scan: where, at rest, does a unique string typed into FirmPortal end up?

A slice pushes a canary (a unique string, see `new_canary()`) through its input paths (forms,
uploads, messages, jobs), then calls `scan(canary)`. The scan looks at every place data rests:

- the database, as a dump (`pg_dump` for PostgreSQL, `iterdump()` for SQLite), per table;
- every key and value of the configured Redis database (broker, cache), or the directory broker;
- the log directory, the media directory and the backup directories (gzip and zip opened);

for the canary's UTF-8, UTF-16 (LE/BE) and JSON-escaped bytes, each also as hex and as base64
(standard and URL-safe, at every byte alignment), and returns where it was found. Encrypted data
never matches; plaintext, or plaintext merely encoded, always does.

    canary = new_canary()
    post_voucher_with_memo(canary)
    report = scan(canary)
    assert report.findings == [], report.describe()
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import subprocess
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections


def new_canary() -> str:
    """A unique string, with Chinese characters so that encodings matter (as in a client's data)."""
    return f"CANARY-机密-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Finding:
    place: str  # database, redis, broker, logs, media, backups, or a named extra directory
    location: str  # the table, key or file
    form: str  # how it was written: utf-8, utf-16-le base64, ...

    def __str__(self) -> str:
        return f"{self.place}: {self.location} ({self.form})"


@dataclass
class ScanReport:
    findings: list[Finding] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)  # places looked at
    not_scanned: dict[str, str] = field(default_factory=dict)  # place -> why not

    def places(self) -> set[str]:
        return {finding.place for finding in self.findings}

    def describe(self) -> str:
        lines = [str(f) for f in self.findings] or ["canary not found"]
        lines.append(f"scanned: {', '.join(self.scanned)}")
        lines += [f"not scanned: {place} ({why})" for place, why in self.not_scanned.items()]
        return "\n".join(lines)


def _base64_forms(data: bytes) -> dict[str, bytes]:
    """The canary's base64 text wherever it starts in a larger encoded blob (3 byte alignments)."""
    forms = {}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data)
        start = (0, 2, 3)[offset]
        end = ((offset + len(data)) // 3) * 4
        core = encoded[start:end]
        forms[f"base64@{offset}"] = core
        forms[f"base64url@{offset}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    return forms


def encodings(canary: str) -> dict[str, bytes]:
    """Every byte pattern the canary may rest as, by name."""
    bases = {
        "utf-8": canary.encode("utf-8"),
        "utf-16-le": canary.encode("utf-16-le"),
        "utf-16-be": canary.encode("utf-16-be"),
    }
    escaped = json.dumps(canary)[1:-1].encode("ascii")
    if escaped != bases["utf-8"]:
        bases["json-escaped"] = escaped
    forms: dict[str, bytes] = {}
    for name, raw in bases.items():
        forms[name] = raw
        forms[f"{name} hex"] = raw.hex().encode()
        forms[f"{name} HEX"] = raw.hex().upper().encode()
        forms.update({f"{name} {b64}": value for b64, value in _base64_forms(raw).items()})
    return forms


def matches(data: bytes, forms: dict[str, bytes]) -> list[str]:
    return [name for name, pattern in forms.items() if pattern and pattern in data]


# --- the database -----------------------------------------------------------------------------


def dump_database(using: str = "default") -> Iterable[tuple[str, bytes]]:
    """(table, dumped text) for every table of the database Django is connected to."""
    connection = connections[using]
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env = dict(os.environ)
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = str(db["PASSWORD"])
        command = [
            "pg_dump",
            "--no-owner",
            "--no-privileges",
            "-h",
            str(db.get("HOST") or "127.0.0.1"),
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            str(db.get("USER") or "postgres"),
            str(db["NAME"]),
        ]
        dump = subprocess.run(command, env=env, capture_output=True, check=True, timeout=600).stdout
        yield from _split_pg_dump(dump)
    elif connection.vendor == "sqlite":
        import sqlite3

        with sqlite3.connect(str(db["NAME"])) as raw:
            table = "(schema)"
            chunk: list[bytes] = []
            for line in raw.iterdump():
                if line.startswith('INSERT INTO "'):
                    name = line.split('"', 2)[1]
                    if name != table and chunk:
                        yield table, b"\n".join(chunk)
                        chunk = []
                    table = name
                chunk.append(line.encode("utf-8", errors="surrogateescape"))
            if chunk:
                yield table, b"\n".join(chunk)
    else:
        raise NotImplementedError(f"no dump for {connection.vendor}")


def _split_pg_dump(dump: bytes) -> Iterable[tuple[str, bytes]]:
    table = "(schema)"
    chunk: list[bytes] = []
    for line in dump.split(b"\n"):
        if line.startswith(b"COPY "):
            if chunk:
                yield table, b"\n".join(chunk)
                chunk = []
            table = line.split(b" ", 2)[1].decode(errors="replace")
        chunk.append(line)
    if chunk:
        yield table, b"\n".join(chunk)


def scan_database(forms: dict[str, bytes], using: str = "default") -> list[Finding]:
    return [Finding("database", table, form) for table, text in dump_database(using) for form in matches(text, forms)]


# --- Redis ------------------------------------------------------------------------------------


def redis_items(url: str) -> Iterable[tuple[str, bytes]]:
    """(key, every byte of its name and value) for every key of the Redis database in `url`."""
    import redis

    # Untyped on purpose: redis-py's stubs type every reply as bytes | str | awaitable.
    client: Any = redis.Redis.from_url(url)
    for key in client.scan_iter(count=500):
        kind = client.type(key).decode()
        parts: list[bytes] = [key]
        if kind == "string":
            parts.append(client.get(key) or b"")
        elif kind == "hash":
            for k, v in client.hgetall(key).items():
                parts += [k, v]
        elif kind == "list":
            parts += client.lrange(key, 0, -1)
        elif kind == "set":
            parts += list(client.smembers(key))
        elif kind == "zset":
            parts += [member for member, _score in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for _id, entry in client.xrange(key):
                for k, v in entry.items():
                    parts += [k, v]
        yield key.decode(errors="replace"), b"\n".join(parts)


def scan_redis(forms: dict[str, bytes], url: str) -> list[Finding]:
    return [Finding("redis", key, form) for key, data in redis_items(url) for form in matches(data, forms)]


# --- directories ------------------------------------------------------------------------------


def _file_contents(path: Path) -> Iterable[tuple[str, bytes]]:
    data = path.read_bytes()
    yield str(path), data
    if path.suffix == ".gz":
        with contextlib.suppress(OSError, EOFError):
            yield f"{path} (gunzipped)", gzip.decompress(data)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.file_size <= 512 * 1024 * 1024:
                        yield f"{path}!{info.filename}", archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError):
            pass


def scan_directory(forms: dict[str, bytes], root: Path, place: str) -> list[Finding]:
    findings = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if not path.is_file():
                continue
            findings += [Finding(place, f"{path} (name)", form) for form in matches(name.encode(), forms)]
            try:
                for location, data in _file_contents(path):
                    findings += [Finding(place, location, form) for form in matches(data, forms)]
            except OSError:
                continue
    return findings


def default_backup_dirs() -> list[Path]:
    """Where backups rest: the backup slice sets FIRMPORTAL_BACKUP_DIRS (a list of paths)."""
    return [Path(p) for p in getattr(settings, "FIRMPORTAL_BACKUP_DIRS", [])]


def scan(
    canary: str,
    *,
    database: bool = True,
    redis_url: str | bool | None = True,
    log_dir: Path | None = None,
    media_root: Path | None = None,
    backup_dirs: list[Path] | None = None,
    extra_dirs: dict[str, Path] | None = None,
) -> ScanReport:
    """Look for `canary` everywhere data rests; `redis_url=True` means the configured one."""
    forms = encodings(canary)
    report = ScanReport()
    if database:
        report.findings += scan_database(forms)
        report.scanned.append(f"database ({connections['default'].vendor})")
    url = settings.REDIS_URL if redis_url is True else (redis_url or None)
    if url:
        report.findings += scan_redis(forms, url)
        report.scanned.append(f"redis ({url.rsplit('@', 1)[-1]})")
    else:
        report.not_scanned["redis"] = "no REDIS_URL (the embedded directory broker is scanned instead)"
        broker = Path(settings.VAR_DIR) / "broker"
        if broker.exists():
            report.findings += scan_directory(forms, broker, "broker")
            report.scanned.append(f"broker ({broker})")
    directories = {
        "logs": log_dir or Path(settings.LOG_DIR),
        "media": media_root or Path(settings.MEDIA_ROOT),
    }
    for index, backup in enumerate(default_backup_dirs() if backup_dirs is None else backup_dirs):
        directories[f"backups{index or ''}"] = backup
    directories.update(extra_dirs or {})
    for place, root in directories.items():
        if root.exists():
            report.findings += [
                Finding("backups" if place.startswith("backups") else f.place, f.location, f.form)
                for f in scan_directory(forms, root, place)
            ]
            report.scanned.append(f"{place} ({root})")
        else:
            report.not_scanned[place] = f"{root} does not exist"
    if not default_backup_dirs() and backup_dirs is None:
        report.not_scanned["backups"] = "FIRMPORTAL_BACKUP_DIRS is not set (no backup slice yet)"
    return report
