"""Check the whole audit trail against its signed seal; exit 1 naming the first bad entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import services


class Command(BaseCommand):
    help = "Verify every audit entry, seal block and signature; exit non-zero naming the first bad entry."

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.verify_audit_trail(actor=None)
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        summary = (
            f"{report.entries} entries, {report.blocks} blocks, {report.unsealed} not yet sealed, "
            f"{report.problems} problems"
        )
        if not report.ok:
            assert report.first is not None
            raise CommandError(f"FIRST BAD ENTRY: {report.first.describe()}; {summary}")
        self.stdout.write(f"audit trail intact: {summary}")
