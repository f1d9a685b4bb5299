"""Nothing leaks: a unique canary goes through encrypted fields, files (stored and uploaded),
blind indexes, a decryption failure and both kinds of key rotation (on a real Celery worker);
then the database (pg_dump on PostgreSQL, the database file on SQLite, and raw SQL over every
table in both), the media, log, key and broker directories, temp files and Redis are scanned.

The harness's shared scanner (tests/security/canary.py) was not on this branch, so the scanner
is here (`_needles`, `_scan_*`); swap it for the shared one at merge if it lands.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory

from clients.models import Client, TaxpayerType
from confidentiality import blind_index, crypto, files, rotation
from confidentiality.keyscope import KeyScope
from confidentiality.models import KeyRotationJob, RotationState, StoredFile
from tests.workers import running_worker, wait_for


def _needles(canary: str) -> list[bytes]:
    raw = canary.encode()
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw)[:-4], canary.encode("utf-16-le")]


def _hits(blob: bytes, needles: list[bytes]) -> bool:
    return any(needle in blob for needle in needles)


def _scan_tree(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    if root.is_file():
        return [str(root)] if _hits(root.read_bytes(), needles) else []
    if root.exists():
        for path in root.rglob("*"):
            if path.is_file():
                try:
                    if _hits(path.read_bytes(), needles):
                        found.append(str(path))
                except OSError:
                    continue
    return found


def _scan_sql(needles: list[bytes]) -> list[str]:
    """Every column of every row of every table, as text (bytea shows as hex) and as bytes."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    if _hits(blob, needles):
                        found.append(table)
    return found


def _scan_database_dump(needles: list[bytes]) -> list[str]:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env = dict(os.environ, PGPASSWORD=str(db.get("PASSWORD") or ""))
        dump = subprocess.run(
            [
                "pg_dump",
                "-h",
                str(db.get("HOST") or "127.0.0.1"),
                "-p",
                str(db.get("PORT") or 5432),
                "-U",
                str(db.get("USER") or "postgres"),
                "--data-only",
                str(db["NAME"]),
            ],
            capture_output=True,
            env=env,
            check=True,
            timeout=300,
        ).stdout
        assert b"COPY public.clients_client" in dump  # the dump really holds the data
        return ["pg_dump"] if _hits(dump, needles) else []
    name = Path(str(db["NAME"]))
    return [str(p) for p in (name, Path(f"{name}-wal")) if p.exists() and _hits(p.read_bytes(), needles)]


def _scan_redis(needles: list[bytes]) -> list[str]:
    if not settings.REDIS_URL:
        return []
    import redis

    found = []
    server = redis.Redis.from_url(settings.REDIS_URL)
    for key in server.scan_iter(count=1000):
        dumped = server.dump(key) or b""
        if _hits(key + dumped, needles):
            found.append(key.decode(errors="replace"))
    return found


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_canary_never_appears_at_rest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}-机密"
    needles = _needles(canary)
    monkeypatch.setenv("FIRMPORTAL_KEY_REVALIDATE_SECONDS", "0")  # the worker's settling wait
    settings.FIRMPORTAL_KEY_REVALIDATE_SECONDS = 0
    temp_dir = Path(tempfile.gettempdir())
    temp_before = {p for p in temp_dir.iterdir()} if temp_dir.exists() else set()

    # Encrypted fields.
    client = Client.objects.create(
        name=f"{canary} 有限公司", credit_code=f"{canary}-code", taxpayer_type=TaxpayerType.GENERAL
    )
    scope = KeyScope.for_client(client.pk, fiscal_year=2024)
    # Files: stored directly, and a large upload through the real upload handlers.
    small = files.store_encrypted(
        scope, io.BytesIO((canary + "\n").encode() * 100), owner_label="test", name=f"{canary}.pdf"
    )
    big = (canary.encode() + b"|") * ((settings.FILE_UPLOAD_MAX_MEMORY_SIZE // len(canary)) + 2000)
    request = RequestFactory().post("/upload", {"doc": SimpleUploadedFile(f"{canary}.xlsx", big, "application/pdf")})
    uploaded = request.FILES["doc"]
    large = files.store_encrypted(scope, uploaded, owner_label="test")
    uploaded.close()  # type: ignore[union-attr]
    # Blind indexes, and a decryption failure (logged and audited without the plaintext).
    assert len(blind_index.compute(client.pk, "counterparty", canary)) == 64
    raw = bytearray(bytes(Client.objects.filter(pk=client.pk).values_list("credit_code", flat=True).get()))  # type: ignore[arg-type]
    Client.objects.filter(pk=client.pk).update(credit_code=bytes(raw[:-1] + bytes([raw[-1] ^ 1])))
    with pytest.raises(crypto.DecryptionError):
        _ = Client.objects.get(pk=client.pk).credit_code
    Client.objects.filter(pk=client.pk).update(credit_code=bytes(raw))

    # Rotation: data keys on a real worker, then the master key.
    with running_worker():
        jobs = rotation.start_client_rotation(client.pk, actor=None)
        assert len(jobs) == 2
        assert wait_for(
            lambda: KeyRotationJob.objects.filter(pk__in=[j.pk for j in jobs], state=RotationState.DONE).count() == 2,
            timeout=90,
        ), list(KeyRotationJob.objects.values("state", "done", "total", "error"))
    rotation.rotate_master_key(actor=None)
    crypto.reset_caches()

    # Everything still reads back after both rotations.
    assert Client.objects.get(pk=client.pk).name == f"{canary} 有限公司"
    assert files.read_decrypted(StoredFile.objects.get(pk=small.pk)) == (canary + "\n").encode() * 100
    assert files.read_decrypted(StoredFile.objects.get(pk=large.pk)) == big
    assert StoredFile.objects.get(pk=large.pk).name == f"{canary}.xlsx"

    leaks = {
        "database dump": _scan_database_dump(needles),
        "database tables": _scan_sql(needles),
        "media": _scan_tree(Path(settings.MEDIA_ROOT), needles),
        "logs": _scan_tree(Path(settings.LOG_DIR), needles),
        "keys": _scan_tree(Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["keystore"]).parent, needles),
        "broker and worker log": _scan_tree(settings.VAR_DIR / "broker", needles)
        + _scan_tree(settings.VAR_DIR / "worker-test.log", needles),
        "temp files": [
            str(p) for p in set(temp_dir.iterdir()) - temp_before if p.is_file() and _hits(p.read_bytes(), needles)
        ],
        "redis": _scan_redis(needles),
    }
    assert leaks == {key: [] for key in leaks}
    # The scanner itself finds a planted canary (in each encoding it looks for).
    for needle in needles:
        (tmp_path / "control.bin").write_bytes(b"..." + needle + b"...")
        assert _scan_tree(tmp_path, needles) == [str(tmp_path / "control.bin")]
