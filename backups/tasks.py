"""Celery adapters: ids in, a service call, nothing out (outcomes live in our tables)."""

from __future__ import annotations

import uuid

from celery import shared_task

from backups import keystore_backup, services
from backups.models import BackupRun, RunState, Trigger


@shared_task(name="backups.tasks.run_backup")
def run_backup(run_id: str) -> None:
    services.perform_backup(run_id=uuid.UUID(run_id))


@shared_task(name="backups.tasks.nightly_backup")
def nightly_backup() -> None:
    services.reap_interrupted_runs()
    run = BackupRun.objects.create(trigger=Trigger.SCHEDULED)
    services.perform_backup(run_id=run.pk)
    services.prune_backups(actor=None)
    keystore_backup.sync_keystore_backup()


@shared_task(name="backups.tasks.run_drill")
def run_drill(drill_id: str) -> None:
    services.perform_drill(drill_id=uuid.UUID(drill_id))


@shared_task(name="backups.tasks.weekly_drill")
def weekly_drill() -> None:
    services.reap_interrupted_runs()
    run = services.latest_good_backup()
    if run is None:
        return
    services.drill_now(run=run, actor=None)


@shared_task(name="backups.tasks.reap_interrupted")
def reap_interrupted() -> None:
    services.reap_interrupted_runs()


@shared_task(name="backups.tasks.sync_keystore_backup")
def sync_keystore_backup() -> None:
    keystore_backup.sync_keystore_backup()


__all__ = ["RunState", "nightly_backup", "reap_interrupted", "run_backup", "run_drill", "weekly_drill"]
