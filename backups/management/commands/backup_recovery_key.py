"""Make the age key pairs backups are encrypted to: `manage.py backup_recovery_key --if-missing`.

Writes, under the directory of FIRMPORTAL_BACKUP_RECIPIENTS_FILE (var/backups/keys/ by default):
- `recovery-identity.txt`: the RECOVERY key. In production move it OFF this machine at once (print
  it, keep it in the firm's safe and with a second officer) and delete it here: the system needs
  only the public recipient to make backups;
- `drill-identity.txt`: the key the automatic restore drill decrypts with (a second recipient);
- `recipients.txt`: both public keys, one per line (what FIRMPORTAL_BACKUP_RECIPIENTS would say).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyrage
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


class Command(BaseCommand):
    help = "Generate the backup recovery and drill age keys (for make run and tests; see docs/backups.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true", help="do nothing when the keys exist")

    def handle(self, *args: Any, **options: Any) -> None:
        recipients_file = Path(settings.FIRMPORTAL_BACKUP_RECIPIENTS_FILE)
        directory = recipients_file.parent
        recovery_file = directory / "recovery-identity.txt"
        drill_file = Path(settings.FIRMPORTAL_BACKUP_DRILL_IDENTITY_FILE)
        if recipients_file.exists():
            if options["if_missing"]:
                return
            raise CommandError(f"{recipients_file} exists; refusing to replace backup keys")
        directory.mkdir(parents=True, exist_ok=True)
        drill_file.parent.mkdir(parents=True, exist_ok=True)
        recovery = pyrage.x25519.Identity.generate()
        drill = pyrage.x25519.Identity.generate()
        _write_secret(recovery_file, f"# FirmPortal backup RECOVERY key: keep offline\n{recovery}\n")
        _write_secret(drill_file, f"# FirmPortal restore-drill key\n{drill}\n")
        recipients_file.write_text(f"{recovery.to_public()}\n{drill.to_public()}\n", encoding="utf-8")
        self.stdout.write(f"recovery recipient {recovery.to_public()} (identity in {recovery_file}: move it offline)")
        self.stdout.write(f"drill recipient {drill.to_public()} (identity in {drill_file})")
