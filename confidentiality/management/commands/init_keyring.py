"""Create the local master keyring (embedded default). Refuses to overwrite an existing one."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from confidentiality.providers import LocalKeyringProvider


class Command(BaseCommand):
    help = "Create the local master keyring file if it does not exist."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--if-missing", action="store_true", help="do nothing when the keyring exists")

    def handle(self, *args: object, **options: object) -> None:
        from pathlib import Path

        path = Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["path"])
        if path.exists():
            if options["if_missing"]:
                return
            self.stderr.write(f"{path} exists; refusing to overwrite a keyring.")
            raise SystemExit(1)
        LocalKeyringProvider.create(path)
        self.stdout.write(f"Created master keyring {path} (keep it apart from database backups).")
