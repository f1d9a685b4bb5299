"""Back up the key provider's keystore now and drop keystore backups older than a destruction:
`manage.py backup_keystore` (see backups/keystore_backup.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backups import keystore_backup


class Command(BaseCommand):
    help = "Back up the keystore (age-encrypted, apart from database backups); delete superseded keystore backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="take a new backup even if nothing changed")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["force"]:
            self.stdout.write(f"made {keystore_backup.backup_keystore(actor=None)}")
        outcome = keystore_backup.sync_keystore_backup()
        if outcome["made"]:
            self.stdout.write(f"made {outcome['made']}")
        for name in outcome["deleted"]:
            self.stdout.write(f"deleted {name}")
