"""Run a restore drill of one backup now: `manage.py verify_backup BACKUP_ID` (or `latest`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import queries, services
from backups.models import DrillState


class Command(BaseCommand):
    help = "Restore a backup into a scratch database and check it against its manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_id", help="a backup id (or its first 8 characters), or 'latest'")
        parser.add_argument("--target", default="primary", help="which stored copy to restore from")
        parser.add_argument("--identity", type=Path, help="age identity file (default: the drill identity)")

    def handle(self, *args: Any, **options: Any) -> None:
        run = queries.find_backup(options["backup_id"])
        if run is None:
            raise CommandError(f"no backup {options['backup_id']!r}")
        drill = services.drill_now(run=run, actor=None, target=options["target"], identity_file=options["identity"])
        if drill.state != DrillState.PASSED:
            raise CommandError(f"restore drill of {run.pk} FAILED: {drill.failure_reason}")
        self.stdout.write(f"restore drill of {run.pk} passed: {drill.results}")
