"""Reads for the backup dashboard, commands and health."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from backups.models import BackupCopy, BackupRun, CopyState, DrillState, RestoreDrill, RunState


def find_backup(ref: str) -> BackupRun | None:
    """A backup by id, by its first characters, by archive name, or 'latest' (newest good one)."""
    ref = ref.strip()
    if ref == "latest":
        return BackupRun.objects.filter(state=RunState.SUCCEEDED).order_by("-created_at").first()
    try:
        return BackupRun.objects.filter(pk=uuid.UUID(ref)).first()
    except ValueError:
        pass
    by_name = BackupRun.objects.filter(archive_name=ref).first()
    if by_name is not None:
        return by_name
    if len(ref) >= 6 and all(c in "0123456789abcdef-" for c in ref.lower()):
        matches = [r for r in BackupRun.objects.all().only("id") if str(r.pk).startswith(ref.lower())]
        if len(matches) == 1:
            return BackupRun.objects.get(pk=matches[0].pk)
    return None


def last_good_copy_per_target() -> dict[str, BackupCopy | None]:
    result: dict[str, BackupCopy | None] = {name: None for name in settings.FIRMPORTAL_BACKUP_TARGETS}
    for name in result:
        result[name] = (
            BackupCopy.objects.filter(target=name, state=CopyState.VERIFIED)
            .select_related("run")
            .order_by("-run__created_at")
            .first()
        )
    return result


def last_drill() -> RestoreDrill | None:
    return RestoreDrill.objects.exclude(state=DrillState.RUNNING).select_related("run").first()


def running_jobs() -> dict[str, Any]:
    return {
        "backups": list(
            BackupRun.objects.filter(state__in=[RunState.PENDING, RunState.RUNNING]).order_by("created_at")
        ),
        "drills": list(RestoreDrill.objects.filter(state=DrillState.RUNNING).select_related("run")),
    }


def size_history(*, limit: int = 60) -> list[BackupRun]:
    runs = BackupRun.objects.filter(state__in=[RunState.SUCCEEDED, RunState.PRUNED]).exclude(size=None)
    return list(reversed(runs.order_by("-created_at")[:limit]))


def backup_health() -> bool | None:
    """The `backup` check of /healthz: None (not reported) until a first backup was ever attempted,
    then whether the newest good backup is younger than FIRMPORTAL_BACKUP_MAX_AGE_HOURS (26 h:
    nightly plus slack). If even the first attempt fails, the check fails once that attempt is older
    than the allowed age. A fresh system whose beat never runs is caught by the worker check (beat
    sends the heartbeat), not by this one."""
    max_age = timedelta(hours=settings.FIRMPORTAL_BACKUP_MAX_AGE_HOURS)
    now = timezone.now()
    newest = BackupRun.objects.filter(state__in=[RunState.SUCCEEDED]).order_by("-created_at").first()
    if newest is not None:
        return now - newest.created_at <= max_age
    first_attempt = BackupRun.objects.order_by("created_at").first()
    if first_attempt is None:
        return None
    return now - first_attempt.created_at <= max_age
