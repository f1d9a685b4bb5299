"""`flush` empties the whole database, audit tables included: the one sanctioned path past the triggers.

Django's test runner flushes the test database after transactional tests; an operator who runs it
in production wipes everything (and the seal head kept outside the database shows the cut).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from audit.db import install_triggers, remove_triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        remove_triggers(connection)
        try:
            super().handle(**options)
        finally:
            install_triggers(connection)
