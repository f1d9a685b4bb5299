"""Seal new audit entries now (the beat job does this every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import sealing


class Command(BaseCommand):
    help = "Seal every final, unsealed audit entry into signed blocks."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sealing.seal()
        if report.skipped_reason:
            self.stdout.write(f"postponed: {report.skipped_reason}")
        else:
            self.stdout.write(f"sealed {report.entries} entries in {report.blocks} blocks (head {report.head_seq})")
