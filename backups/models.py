"""Backups, their stored copies, and the restore drills that prove them.

A `BackupRun` is one attempt to make a backup. Its archive is written once and streamed to every
target at the same time; each target's copy is a `BackupCopy`. A run is good only when every copy
was stored under its final name and re-read with the expected SHA-256.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupAction(models.TextChoices):
    """Audit actions of this slice (recorded through `audit.record`)."""

    BACKUP_STARTED = "backup_started", _("Backup started")
    BACKUP_SUCCEEDED = "backup_succeeded", _("Backup succeeded")
    BACKUP_FAILED = "backup_failed", _("Backup failed")
    BACKUP_PRUNED = "backup_pruned", _("Backup pruned")
    BACKUP_HOLD_PLACED = "backup_hold_placed", _("Backup hold placed")
    BACKUP_HOLD_RELEASED = "backup_hold_released", _("Backup hold released")
    DRILL_PASSED = "restore_drill_passed", _("Restore drill passed")
    DRILL_FAILED = "restore_drill_failed", _("Restore drill failed")
    BACKUP_RESTORED = "backup_restored", _("Backup restored into a database")
    KEYSTORE_BACKED_UP = "keystore_backed_up", _("Keystore backed up")
    KEYSTORE_BACKUPS_PRUNED = (
        "keystore_backups_pruned",
        _("Keystore backups deleted (older than a destruction, or surplus)"),
    )


class RunState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    PRUNED = "pruned", _("Pruned")


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("Manual")


class BackupRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.PENDING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Refreshed while the run streams; a running run whose heartbeat stops was interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_bytes = models.BigIntegerField(default=0)
    progress_note = models.CharField(max_length=200, blank=True)
    # The archive's file name in every target, e.g. firmportal-20260101T020000Z-1a2b3c4d.tar.age
    archive_name = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # age recipients (public keys) the archive is encrypted to: the key ids of the manifest.
    recipients = models.JSONField(default=list, blank=True)
    # The manifest written into the archive and beside it (no client data: see docs/backups.md).
    manifest = models.JSONField(default=dict, blank=True)
    failure_reason = models.TextField(blank=True)
    held = models.BooleanField(default=False)
    hold_reason = models.CharField(max_length=200, blank=True)
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="succeeded") | (models.Q(size__isnull=False) & ~models.Q(sha256="")),
                name="good_backup_has_size_and_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"backup {self.archive_name or self.pk} ({self.state})"

    @property
    def short_id(self) -> str:
        return str(self.pk)[:8]


class CopyState(models.TextChoices):
    WRITING = "writing", _("Writing")
    VERIFIED = "verified", _("Stored and verified")
    FAILED = "failed", _("Failed")
    PRUNED = "pruned", _("Pruned")


class BackupCopy(models.Model):
    """One target's copy of a run's archive."""

    run = models.ForeignKey(BackupRun, on_delete=models.PROTECT, related_name="copies")
    target = models.CharField(max_length=32)  # "primary" / "offsite"
    backend = models.CharField(max_length=100)
    location = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=CopyState.choices, default=CopyState.WRITING)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "target"]
        constraints = [models.UniqueConstraint(fields=["run", "target"], name="one_copy_per_target")]

    def __str__(self) -> str:
        return f"{self.target} copy of {self.run_id} ({self.state})"


class DrillState(models.TextChoices):
    RUNNING = "running", _("Running")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class RestoreDrill(models.Model):
    """A restore of a backup into a scratch database, checked against its manifest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(BackupRun, on_delete=models.PROTECT, related_name="drills")
    target = models.CharField(max_length=32, default="primary")
    state = models.CharField(max_length=16, choices=DrillState.choices, default=DrillState.RUNNING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_note = models.CharField(max_length=200, blank=True)
    # Counts and check names only: never values of records.
    results = models.JSONField(default=dict, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"drill of {self.run_id} ({self.state})"
