"""Create an Ed25519 key file for signing audit seals (never overwrites one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.keys import generate_key_file


class Command(BaseCommand):
    help = "Write a new audit signing key to PATH (mode 0600); keep it outside the database and its backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--if-missing", action="store_true", help="do nothing when PATH exists")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists():
            if options["if_missing"]:
                return
            raise CommandError(f"{path} exists; refusing to overwrite an audit signing key.")
        generate_key_file(path)
        self.stdout.write(f"wrote {path}")
