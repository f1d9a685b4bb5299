"""The canary scan finds a canary planted in each place data rests, in each encoding."""

from __future__ import annotations

import base64
import gzip
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User
from tests.security.canary import encodings, new_canary, scan


def test_every_encoding_of_the_canary_is_distinct_and_found_inside_larger_data() -> None:
    canary = new_canary()
    forms = encodings(canary)
    for prefix in (b"", b"x", b"xy", b"xyz"):
        blob = base64.b64encode(prefix + canary.encode() + b"tail")
        assert any(forms[name] in blob for name in forms if name.startswith("utf-8 base64@")), prefix
    assert forms["utf-16-le"] == canary.encode("utf-16-le")
    assert "json-escaped" in forms  # the Chinese characters escape in JSON


@pytest.mark.django_db(transaction=True)
def test_scan_finds_a_canary_in_the_database_dump(client_a_owner: User) -> None:
    plain, encoded = new_canary(), new_canary()
    client_a_owner.first_name = plain[:150]
    client_a_owner.save()
    Session.objects.create(
        session_key=uuid.uuid4().hex,
        session_data=base64.b64encode(b'{"memo": "' + encoded.encode() + b'"}').decode(),
        expire_date=timezone.now() + timedelta(hours=1),
    )
    report = scan(plain, redis_url=False)
    assert any(f.place == "database" and "accounts_user" in f.location and f.form == "utf-8" for f in report.findings)
    found = scan(encoded, redis_url=False).findings
    assert any(f.place == "database" and "django_session" in f.location and "base64" in f.form for f in found)
    assert scan(new_canary(), redis_url=False).findings == []


@pytest.mark.skipif(not settings.REDIS_URL, reason="no REDIS_URL: this run's broker is the directory (tested below)")
def test_scan_finds_a_canary_in_redis_keys_and_values() -> None:
    import redis

    client = redis.Redis.from_url(str(settings.REDIS_URL))
    in_value, in_hash, in_list, in_key = new_canary(), new_canary(), new_canary(), new_canary()
    prefix = f"canary-test:{uuid.uuid4().hex}"
    try:
        client.set(f"{prefix}:string", b"before " + in_value.encode() + b" after")
        client.hset(f"{prefix}:hash", "field", in_hash.encode("utf-16-le"))
        client.rpush(f"{prefix}:list", base64.b64encode(("x" + in_list).encode()))
        client.set(f"{prefix}:{in_key}", b"1")
        for canary, form in (
            (in_value, "utf-8"),
            (in_hash, "utf-16-le"),
            (in_list, "utf-8 base64@1"),
            (in_key, "utf-8"),
        ):
            report = scan(canary, database=False)
            assert any(
                f.place == "redis" and f.location.startswith(prefix) and f.form == form for f in report.findings
            ), report.describe()
    finally:
        client.delete(*client.keys(f"{prefix}:*"))


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="the directory broker exists only without REDIS_URL")
def test_scan_finds_a_canary_in_the_directory_broker() -> None:
    canary = new_canary()
    queue = Path(settings.VAR_DIR) / "broker" / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    planted = queue / f"{uuid.uuid4().hex}.msg"
    planted.write_bytes(base64.b64encode(canary.encode()))
    try:
        assert "broker" in scan(canary, database=False).places()
    finally:
        planted.unlink()


def test_scan_finds_a_canary_in_the_log_directory_through_the_real_logger() -> None:
    canary = new_canary()
    logging.getLogger("firmportal.canary-test").warning("note %s", canary)
    for handler in logging.getLogger().handlers:
        handler.flush()
    report = scan(canary, database=False, redis_url=False)
    assert any(f.place == "logs" and f.location.endswith("firmportal.log") for f in report.findings), report.describe()


def test_scan_opens_rotated_gzip_logs(tmp_path: Path) -> None:
    canary = new_canary()
    (tmp_path / "firmportal.log.1.gz").write_bytes(gzip.compress(b"line " + canary.encode()))
    report = scan(canary, database=False, redis_url=False, log_dir=tmp_path)
    assert any(f.place == "logs" and "gunzipped" in f.location for f in report.findings)


def test_scan_finds_a_canary_in_media_in_utf16() -> None:
    canary = new_canary()
    media = Path(settings.MEDIA_ROOT) / "canary-test"
    media.mkdir(parents=True, exist_ok=True)
    planted = media / f"{uuid.uuid4().hex}.bin"
    planted.write_bytes(b"\xff\xfe" + canary.encode("utf-16-le"))
    try:
        report = scan(canary, database=False, redis_url=False)
        assert [(f.place, f.form) for f in report.findings] == [("media", "utf-16-le")]
    finally:
        planted.unlink()


def test_scan_finds_a_canary_in_backups_inside_a_zip(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    canary = new_canary()
    backups = tmp_path / "offsite"
    backups.mkdir()
    with zipfile.ZipFile(backups / "nightly.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("db.sql", f"-- a dump\n{canary}\n")
    settings.FIRMPORTAL_BACKUP_DIRS = [str(backups)]
    report = scan(canary, database=False, redis_url=False)
    assert any(f.place == "backups" and "nightly.zip!db.sql" in f.location for f in report.findings), report.describe()
    assert any(s.startswith("backups") for s in report.scanned)


def test_report_names_what_it_could_not_scan(tmp_path: Path) -> None:
    report = scan(new_canary(), database=False, redis_url=False, media_root=tmp_path / "missing")
    assert "media" in report.not_scanned and "redis" in report.not_scanned
    assert report.findings == []
