"""Apply the grandfather-father-son retention to the backups now: `manage.py prune_backups`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backups import services


class Command(BaseCommand):
    help = "Delete backups the retention policy (GFS) no longer keeps; held backups stay."

    def handle(self, *args: Any, **options: Any) -> None:
        for run in services.prune_backups(actor=None):
            self.stdout.write(f"pruned {run.archive_name}")
