"""`manage.py run_retention`: the daily retention job, by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention import services


class Command(BaseCommand):
    help = "Open an appraisal batch for records past retention and resume stalled destruction runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Appraise as of this date (YYYY-MM-DD); default: today.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date like 2055-01-01") from exc
        batch = services.run_daily(today=today)
        if batch is None:
            self.stdout.write("No records past retention that are not already in an appraisal.")
        else:
            self.stdout.write(f"Opened appraisal {batch.number} with {batch.items.count()} volumes.")
