"""Make a backup now, in this process: `manage.py backup`. Exits non-zero when it failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backups import services
from backups.models import RunState


class Command(BaseCommand):
    help = "Back up the database and media files to every configured target, encrypted, and verify the copies."

    def handle(self, *args: Any, **options: Any) -> None:
        services.reap_interrupted_runs()
        run = services.backup_now(actor=None)
        if run.state != RunState.SUCCEEDED:
            raise CommandError(f"backup {run.pk} failed: {run.failure_reason}")
        self.stdout.write(f"backup {run.pk} ok: {run.archive_name} ({run.size} bytes, sha256 {run.sha256})")
