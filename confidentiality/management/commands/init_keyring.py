"""Create the local master keyring and the keystore (embedded default). Never overwrites either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from confidentiality.providers import Keystore, LocalKeyringProvider


class Command(BaseCommand):
    help = "Create the local master keyring and the keystore if they do not exist."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true", help="do nothing when they exist")

    def handle(self, *args: Any, **options: Any) -> None:
        opts = settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS
        keyring = Path(opts["path"]) if "path" in opts else None
        keystore = Path(opts.get("keystore") or (keyring.parent / "keystore.sqlite3" if keyring else ""))
        if keyring is not None:
            if keyring.exists():
                if not options["if_missing"]:
                    self.stderr.write(f"{keyring} exists; refusing to overwrite a keyring.")
                    raise SystemExit(1)
            else:
                LocalKeyringProvider.create(keyring, keystore=keystore)
                self.stdout.write(f"Created master keyring {keyring} (keep it apart from database backups).")
        if not keystore.exists():
            Keystore.create(keystore)
            self.stdout.write(f"Created keystore {keystore} (back it up apart from the database).")
