"""Encrypted backups to two targets, verified copies, restore drills, restore, GFS retention."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import StaffRole
from audit.models import AuditEvent
from backups import services
from backups.models import BackupAction, BackupCopy, BackupRun, CopyState, DrillState, RunState
from backups.restoring import TargetDatabase, drop_database
from tests import backup_support, cast
from tests.backup_support import CANARY, make_client, open_archive

backup_dirs = backup_support.backup_dirs

pytestmark = pytest.mark.django_db(transaction=True)


def _archive(base: Path, target: str, run: BackupRun) -> Path:
    return base / target / run.archive_name


def test_backup_writes_one_verified_encrypted_archive_to_each_target(backup_dirs: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    assert run.state == RunState.SUCCEEDED, run.failure_reason
    copies = {c.target: c for c in run.copies.all()}
    assert set(copies) == {"primary", "offsite"}
    for name in ("primary", "offsite"):
        stored = _archive(backup_dirs, name, run).read_bytes()
        assert copies[name].state == CopyState.VERIFIED and copies[name].sha256 == run.sha256
        assert len(stored) == run.size
        assert stored.startswith(b"age-encryption.org/v1")
        assert CANARY.encode() not in stored
        sidecar = json.loads((backup_dirs / name / (run.archive_name + ".manifest.json")).read_text())
        assert sidecar["archive"]["sha256"] == run.sha256
    # No partial file is left, only the archive and its manifest.
    assert sorted(p.name for p in (backup_dirs / "primary").iterdir()) == [
        run.archive_name,
        run.archive_name + ".manifest.json",
    ]
    assert AuditEvent.objects.filter(action=BackupAction.BACKUP_SUCCEEDED, target_id=str(run.pk)).exists()


def test_manifest_records_keys_schema_row_counts_and_audit_head(backup_dirs: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    manifest = run.manifest
    assert manifest["row_counts"]["clients_client"] == 1
    assert manifest["schema"]["backups"] == "0001_initial"
    assert manifest["recipients"] == run.recipients and run.recipients[0].startswith("age1")
    assert "highest_ids" in manifest["audit_seal_head"]
    assert set(manifest["copies"]) == {"primary", "offsite"}
    assert manifest["copies"]["offsite"]["sha256"] == run.sha256


def test_archive_opens_with_the_recovery_key_and_standard_tools(backup_dirs: Path, tmp_path: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    with open_archive(_archive(backup_dirs, "offsite", run)) as tar:
        names = tar.getnames()
        assert names[0] == "manifest.json"
        inner = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        parts = [n for n in names if n.startswith(inner["database"]["member"] + ".")]
        dump = b"".join(tar.extractfile(n).read() for n in parts)  # type: ignore[union-attr]
    assert inner["backup_id"] == str(run.pk)
    assert CANARY.encode() not in dump  # the database holds ciphertext only
    if connection.vendor == "postgresql":
        listing = subprocess.run(["pg_restore", "--list"], input=dump, capture_output=True, check=True)
        assert b"TABLE DATA public clients_client" in listing.stdout
    else:
        import gzip

        sql = gzip.decompress(dump).decode()
        assert 'CREATE TABLE "clients_client"' in sql


def test_restore_drill_passes_and_decrypts_a_sample(backup_dirs: Path) -> None:
    make_client()
    make_client("另一家公司")
    values = backup_support.encrypted_value_count()
    run = services.backup_now(actor=None)
    drill = services.drill_now(run=run, actor=None)
    assert drill.state == DrillState.PASSED, drill.failure_reason
    assert drill.results["row_counts"]["status"] == "match"
    # Both clients' values and every other encrypted field in the sampled rows.
    assert drill.results["decryption"]["decrypted"] == values >= 4
    assert drill.results["decryption"]["failed"] == 0
    assert AuditEvent.objects.filter(action=BackupAction.DRILL_PASSED, target_id=str(run.pk)).exists()


def test_drill_fails_and_alerts_when_row_counts_differ_from_the_manifest(backup_dirs: Path) -> None:
    cast.make_staff("it_ivan", StaffRole.IT_ADMIN)
    cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    make_client()
    run = services.backup_now(actor=None)
    manifest = dict(run.manifest)
    manifest["row_counts"] = dict(manifest["row_counts"], clients_client=5)
    BackupRun.objects.filter(pk=run.pk).update(manifest=manifest)
    mail.outbox.clear()
    drill = services.drill_now(run=BackupRun.objects.get(pk=run.pk), actor=None)
    assert drill.state == DrillState.FAILED
    assert "clients_client" in drill.failure_reason
    assert AuditEvent.objects.filter(action=BackupAction.DRILL_FAILED).exists()
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"it_ivan@firm.test", "compliance_cora@firm.test"}
    assert CANARY not in mail.outbox[0].body


def test_verify_backup_command_reports_pass_and_failure(backup_dirs: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    call_command("verify_backup", str(run.pk)[:8])
    (backup_dirs / "primary" / run.archive_name).write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="FAILED"):
        call_command("verify_backup", str(run.pk))


def _target_db(tmp_path: Path, label: str) -> TargetDatabase:
    if connection.vendor == "postgresql":
        return TargetDatabase("postgresql", f"fp_backup_restore_{label}")
    return TargetDatabase("sqlite", str(tmp_path / f"{label}.sqlite3"))


def test_restore_into_an_empty_database_and_refuse_a_full_one_without_force(backup_dirs: Path, tmp_path: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    target = _target_db(tmp_path, "cmd")
    drop_database(target)
    try:
        call_command("restore", str(run.pk), "--target-database", target.name)
        with target.alias() as alias, __import__("django.db").db.connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM clients_client")
            assert cursor.fetchone()[0] == 1
        with pytest.raises(CommandError, match="--force"):
            call_command("restore", str(run.pk), "--target-database", target.name)
        call_command("restore", str(run.pk), "--target-database", target.name, "--force")
        assert AuditEvent.objects.filter(action=BackupAction.BACKUP_RESTORED).count() == 2
    finally:
        drop_database(target)


def test_restore_from_the_file_alone_with_the_recovery_key(backup_dirs: Path, tmp_path: Path) -> None:
    make_client()
    run = services.backup_now(actor=None)
    recovery = Path(backup_dirs / "offsite" / run.archive_name)
    target = _target_db(tmp_path, "file")
    drop_database(target)
    from django.conf import settings

    key = Path(settings.FIRMPORTAL_BACKUP_RECIPIENTS_FILE).parent / "recovery-identity.txt"
    try:
        call_command("restore", "--archive", str(recovery), "--identity", str(key), "--target-database", target.name)
    finally:
        drop_database(target)


def _good_run(created_at: Any, **extra: Any) -> BackupRun:
    return BackupRun.objects.create(
        state=RunState.SUCCEEDED,
        created_at=created_at,
        size=1,
        sha256="0" * 64,
        archive_name=f"firmportal-{created_at:%Y%m%dT%H%M%S}.tar.age",
        **extra,
    )


def test_gfs_keeps_7_daily_4_weekly_12_monthly_and_never_a_held_backup(backup_dirs: Path) -> None:
    now = timezone.now()
    runs = [_good_run(now - timedelta(days=d)) for d in range(0, 400)]
    held = runs[200]
    services.place_backup_hold(held, reason="incident INC-7", actor=None)
    pruned = services.prune_backups(actor=None)
    kept = BackupRun.objects.filter(state=RunState.SUCCEEDED)
    # 7 days + up to 4 weeks + up to 12 months overlap; the held one stays on top of that.
    assert 7 + 1 <= kept.count() <= 7 + 4 + 12 + 1
    assert kept.filter(pk=held.pk).exists()
    assert all(kept.filter(pk=r.pk).exists() for r in runs[:7])
    assert not kept.filter(pk=runs[399].pk).exists()
    assert len(pruned) == 400 - kept.count()
    assert AuditEvent.objects.filter(action=BackupAction.BACKUP_PRUNED).count() == len(pruned)
    assert AuditEvent.objects.filter(action=BackupAction.BACKUP_HOLD_PLACED, target_id=str(held.pk)).exists()


def test_pruning_deletes_the_stored_files(backup_dirs: Path) -> None:
    old = services.backup_now(actor=None)
    BackupRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=800))
    new = services.backup_now(actor=None)
    services.prune_backups(actor=None)
    assert BackupRun.objects.get(pk=old.pk).state == RunState.PRUNED
    assert not (backup_dirs / "primary" / old.archive_name).exists()
    assert not (backup_dirs / "offsite" / old.archive_name).exists()
    assert (backup_dirs / "offsite" / new.archive_name).exists()
    assert set(BackupCopy.objects.filter(run=old).values_list("state", flat=True)) == {CopyState.PRUNED}


def test_health_reports_backup_only_once_expected_and_degrades_after_26_hours(backup_dirs: Path) -> None:
    from firmportal.views import health_checks

    assert "backup" not in health_checks()
    run = services.backup_now(actor=None)
    assert health_checks()["backup"] is True
    BackupRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=27))
    assert health_checks()["backup"] is False


def test_a_redelivered_task_fails_the_interrupted_run_and_makes_a_fresh_one(backup_dirs: Path) -> None:
    run = BackupRun.objects.create(
        state=RunState.RUNNING, archive_name="firmportal-x.tar.age", heartbeat_at=timezone.now()
    )
    services.perform_backup(run_id=run.pk)
    assert BackupRun.objects.get(pk=run.pk).state == RunState.FAILED
    assert "中断" in BackupRun.objects.get(pk=run.pk).failure_reason
    fresh = BackupRun.objects.exclude(pk=run.pk).get()
    assert fresh.state == RunState.SUCCEEDED
    # Delivered once more, a finished run is left alone: nothing is done twice.
    services.perform_backup(run_id=fresh.pk)
    assert BackupRun.objects.count() == 2


def test_drill_verifies_the_restored_audit_trail_against_the_seal_head(backup_dirs: Path, tmp_path: Path) -> None:
    from django.test import override_settings

    from audit import sealing
    from audit.models import AccessEvent
    from tests.test_audit_sealing import tamper

    with override_settings(FIRMPORTAL_AUDIT_HEAD_FILE=str(tmp_path / "seal-head.json")):
        make_client()
        first = AccessEvent.objects.create(actor_label="alice", action="view", client_ref="client-1")
        AccessEvent.objects.create(actor_label="alice", action="view", client_ref="client-2")
        sealing.seal(wait_seconds=0)
        good = services.drill_now(run=services.backup_now(actor=None), actor=None)
        assert good.state == DrillState.PASSED, good.failure_reason
        assert good.results["audit"]["status"] == "passed"
        assert not str(good.results["audit"]["seal_verification"]).startswith("skipped")

        # A superuser edits a sealed entry; the next backup carries the edit and its drill must fail.
        tamper("UPDATE audit_accessevent SET client_ref = %s WHERE id = %s", ["client-9", first.pk])
        bad = services.drill_now(run=services.backup_now(actor=None), actor=None)
    assert bad.state == DrillState.FAILED
    assert bad.results["audit"]["status"] == "failed"
    assert str(first.pk) in bad.results["audit"]["detail"]
