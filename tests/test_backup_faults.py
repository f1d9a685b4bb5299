"""Backups under real faults: a full or read-only target, S3 down, a killed worker, a flipped bit, a
truncated copy, the wrong key. Each run is failed with a clear reason, nothing partial counts as
good, older backups stay intact, and alerts go out."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from accounts.models import StaffRole
from audit.models import AuditEvent
from backups import services
from backups.models import BackupAction, BackupCopy, BackupRun, CopyState, DrillState, RunState
from tests import cast
from tests.backup_support import ensure_backup_keys, local_targets, make_client
from tests.workers import running_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alerted(db: None) -> list[str]:
    cast.make_staff("it_ivan", StaffRole.IT_ADMIN)
    cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    mail.outbox.clear()
    return ["compliance_cora@firm.test", "it_ivan@firm.test"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@contextlib.contextmanager
def tmpfs(path: Path, *, size: str) -> Iterator[Path]:
    """A real small filesystem (tmpfs), so "disk full" and "read-only" are the kernel's answers."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()}); needs CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _write_media(media: Path, size: int) -> None:
    media.mkdir(parents=True, exist_ok=True)
    (media / "documents").mkdir(exist_ok=True)
    (media / "documents" / f"blob-{size}.bin").write_bytes(os.urandom(size))


def _assert_failed_and_alerted(run: BackupRun, alerted: list[str], *, reason: str) -> None:
    assert run.state == RunState.FAILED
    assert reason in run.failure_reason, run.failure_reason
    assert AuditEvent.objects.filter(action=BackupAction.BACKUP_FAILED, target_id=str(run.pk)).exists()
    assert mail.outbox and sorted(mail.outbox[-1].to) == alerted
    assert run.failure_reason in mail.outbox[-1].body


def test_full_target_fails_the_run_keeps_older_backups_and_the_other_copy(
    tmp_path: Path, settings: Any, alerted: list[str]
) -> None:
    ensure_backup_keys()
    settings.MEDIA_ROOT = tmp_path / "media"
    make_client()
    # How large one backup of this database is (it grows with the schema): the small disk holds
    # two of them, so the first backup fits and one with much more media does not.
    settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path / "probe")
    probe = services.backup_now(actor=None)
    assert probe.state == RunState.SUCCEEDED, probe.failure_reason
    size = (tmp_path / "probe" / "primary" / probe.archive_name).stat().st_size
    with tmpfs(tmp_path / "offsite", size=f"{(2 * size) // 1024 + 64}k") as offsite:
        settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path)
        older = services.backup_now(actor=None)
        assert older.state == RunState.SUCCEEDED, older.failure_reason
        older_sha = _sha(offsite / older.archive_name)
        _write_media(tmp_path / "media", 3 * size + 600 * 1024)
        run = services.backup_now(actor=None)
        _assert_failed_and_alerted(run, alerted, reason="No space left on device")
        assert "offsite" in run.failure_reason
        # Nothing partial is left or counted; the older backup is untouched.
        assert _visible(offsite) == sorted([older.archive_name, older.archive_name + ".manifest.json"])
        assert _sha(offsite / older.archive_name) == older_sha
        copies = {c.target: c for c in BackupCopy.objects.filter(run=run)}
        assert copies["offsite"].state == CopyState.FAILED
        assert copies["primary"].state == CopyState.VERIFIED  # the primary copy is still good
        assert services.latest_good_backup() == older


def test_read_only_target_fails_the_run(tmp_path: Path, settings: Any, alerted: list[str]) -> None:
    ensure_backup_keys()
    settings.MEDIA_ROOT = tmp_path / "media"
    with tmpfs(tmp_path / "primary", size="16m") as primary:
        settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path)
        older = services.backup_now(actor=None)
        assert older.state == RunState.SUCCEEDED, older.failure_reason
        subprocess.run(["mount", "-o", "remount,ro", str(primary)], check=True)
        run = services.backup_now(actor=None)
        _assert_failed_and_alerted(run, alerted, reason="Read-only file system")
        assert _visible(primary) == sorted([older.archive_name, older.archive_name + ".manifest.json"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    moto = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        return False

    assert wait_for(up, timeout=30)
    yield url, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def _s3_targets(tmp_path: Path, url: str) -> dict[str, Any]:
    targets = local_targets(tmp_path)
    targets["offsite"] = {
        "BACKEND": "backups.targets.S3Target",
        "OPTIONS": {
            "bucket": "firm-backups",
            "prefix": "firmportal/",
            "endpoint_url": url,
            "region": "us-east-1",
            "access_key": "test",
            "secret_key": "test",
            "connect_timeout": 1,
            "retries": 1,
        },
    }
    return targets


def test_s3_offsite_target_stores_and_verifies_then_fails_clearly_when_down(
    tmp_path: Path, settings: Any, moto_server: tuple[str, subprocess.Popen[bytes]], alerted: list[str]
) -> None:
    import boto3

    ensure_backup_keys()
    settings.MEDIA_ROOT = tmp_path / "media"
    url, process = moto_server
    s3 = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3.create_bucket(Bucket="firm-backups")
    settings.FIRMPORTAL_BACKUP_TARGETS = _s3_targets(tmp_path, url)
    make_client()
    good = services.backup_now(actor=None)
    assert good.state == RunState.SUCCEEDED, good.failure_reason
    stored = s3.get_object(Bucket="firm-backups", Key=f"firmportal/{good.archive_name}")["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == good.sha256
    drill = services.drill_now(run=good, actor=None, target="offsite")
    assert drill.state == DrillState.PASSED, drill.failure_reason

    process.terminate()
    process.wait(timeout=10)
    run = services.backup_now(actor=None)
    _assert_failed_and_alerted(run, alerted, reason="offsite")
    assert "Could not connect" in run.failure_reason or "connect" in run.failure_reason.lower()
    assert BackupCopy.objects.get(run=run, target="offsite").state == CopyState.FAILED
    assert BackupCopy.objects.get(run=run, target="primary").state == CopyState.VERIFIED


@pytest.mark.worker
def test_worker_killed_mid_backup_leaves_no_good_partial_and_is_failed(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, alerted: list[str]
) -> None:
    ensure_backup_keys()
    targets = local_targets(tmp_path)
    settings.FIRMPORTAL_BACKUP_TARGETS = targets
    settings.MEDIA_ROOT = tmp_path / "media"
    older = services.backup_now(actor=None)
    assert older.state == RunState.SUCCEEDED
    media = tmp_path / "media"
    _write_media(media, 3 * 1024 * 1024)
    # The worker is a separate process: it reads its configuration from the environment.
    monkeypatch.setenv("FIRMPORTAL_MEDIA_ROOT", str(media))
    monkeypatch.setenv("FIRMPORTAL_BACKUP_PRIMARY_PATH", str(tmp_path / "primary"))
    monkeypatch.setenv("FIRMPORTAL_BACKUP_OFFSITE_PATH", str(tmp_path / "offsite"))
    monkeypatch.setenv("FIRMPORTAL_BACKUP_RATE_LIMIT", str(256 * 1024))  # ~12 s for the archive
    with running_worker() as worker:
        run = services.request_backup(actor=None)
        assert wait_for(lambda: BackupRun.objects.get(pk=run.pk).progress_bytes > 256 * 1024, timeout=90), (
            "the worker never started writing"
        )
        partials = [p for p in (tmp_path / "primary").iterdir() if ".partial-" in p.name]
        assert partials, "a backup in progress writes under a temporary name"
        children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:  # the prefork child running the task
            os.kill(int(pid), signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    time.sleep(0.5)
    running = BackupRun.objects.get(pk=run.pk)
    assert running.state == RunState.RUNNING  # nobody is left to say otherwise...
    assert not (tmp_path / "primary" / running.archive_name).exists()  # ...but nothing partial looks final
    settings.FIRMPORTAL_BACKUP_STALE_SECONDS = 0
    reaped = services.reap_interrupted_runs()
    assert [r.pk for r in reaped] == [run.pk]
    failed = BackupRun.objects.get(pk=run.pk)
    _assert_failed_and_alerted(failed, alerted, reason="中断")
    for target in ("primary", "offsite"):
        assert _visible(tmp_path / target) == sorted([older.archive_name, older.archive_name + ".manifest.json"])
    assert services.latest_good_backup() == older


@pytest.fixture
def good_backup(tmp_path: Path, settings: Any) -> BackupRun:
    ensure_backup_keys()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path)
    make_client()
    run = services.backup_now(actor=None)
    assert run.state == RunState.SUCCEEDED
    return run


def test_a_flipped_bit_fails_the_drill_and_alerts(tmp_path: Path, good_backup: BackupRun, alerted: list[str]) -> None:
    path = tmp_path / "primary" / good_backup.archive_name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))
    drill = services.drill_now(run=good_backup, actor=None)
    assert drill.state == DrillState.FAILED
    assert "altered or truncated" in drill.failure_reason or "SHA-256" in drill.failure_reason
    assert AuditEvent.objects.filter(action=BackupAction.DRILL_FAILED).exists()
    assert sorted(mail.outbox[-1].to) == alerted
    # The off-site copy is untouched and still restores.
    assert services.drill_now(run=good_backup, actor=None, target="offsite").state == DrillState.PASSED


def test_a_truncated_copy_fails_the_drill(tmp_path: Path, good_backup: BackupRun, alerted: list[str]) -> None:
    path = tmp_path / "offsite" / good_backup.archive_name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 700])
    drill = services.drill_now(run=good_backup, actor=None, target="offsite")
    assert drill.state == DrillState.FAILED
    assert "truncated" in drill.failure_reason or "damaged" in drill.failure_reason
    assert mail.outbox


def test_the_wrong_key_fails_the_drill_naming_it(tmp_path: Path, good_backup: BackupRun, alerted: list[str]) -> None:
    import pyrage

    wrong = tmp_path / "wrong-identity.txt"
    wrong.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    drill = services.drill_now(run=good_backup, actor=None, identity_file=wrong)
    assert drill.state == DrillState.FAILED
    assert "wrong key" in drill.failure_reason
    assert mail.outbox


def test_a_bit_flipped_after_writing_is_caught_by_the_copy_verification(tmp_path: Path, settings: Any) -> None:
    """The stored copies are re-read after writing: a target that stores something else fails."""
    ensure_backup_keys()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path)
    settings.FIRMPORTAL_BACKUP_TARGETS["offsite"]["BACKEND"] = "tests.test_backup_faults.CorruptingTarget"
    run = services.backup_now(actor=None)
    assert run.state == RunState.FAILED
    assert "offsite" in run.failure_reason and "SHA-256" in run.failure_reason


class CorruptingTarget:
    """A local target whose disk flips one bit of what it stores (a faulty controller)."""

    def __new__(cls, name: str, path: str) -> Any:
        from backups.targets import LocalDirectoryTarget, _LocalUpload

        class _Flipping(_LocalUpload):
            def commit(self) -> str:
                self.handle.flush()
                self.handle.seek(100)
                self.handle.write(b"\xff")
                return super().commit()

        target = LocalDirectoryTarget(name, path)
        target.open_upload = lambda filename: _Flipping(target._dir(), filename)  # type: ignore[method-assign]
        return target
