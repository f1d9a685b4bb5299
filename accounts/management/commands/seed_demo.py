"""Demo data for `make run`: a firm with staff in every role and client users (idempotent).

Later slices extend `firmportal.demo.seed()` with clients, books and documents.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from firmportal import demo


class Command(BaseCommand):
    help = "Load the demo firm (idempotent). Never run against a production database."

    def handle(self, *args: object, **options: object) -> None:
        accounts = demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ with:"))
        for username, role in accounts:
            self.stdout.write(f"  {username:<22} {role}")
        self.stdout.write(f"  password for all demo accounts: {demo.DEMO_PASSWORD}")
        self.stdout.write("  Staff set up an authenticator app (TOTP) on first sign-in, by scanning the QR code.")
