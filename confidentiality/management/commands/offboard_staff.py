"""`manage.py offboard_staff USERNAME`: the same one-step offboarding as the staff page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from confidentiality import access_services


class Command(BaseCommand):
    help = "Offboard a staff member: disable sign-in, revoke all access and tokens, end all sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--by", dest="by", default="", help="User name of the firm admin doing this.")
        parser.add_argument(
            "--exit-acknowledged",
            action="store_true",
            help="The leaver signed the exit confidentiality acknowledgement.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        actor = None
        if options["by"]:
            actor = User.objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['by']!r}.")
        try:
            report = access_services.offboard_staff(
                user=user, actor=actor, exit_acknowledged=options["exit_acknowledged"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        summary = ", ".join(f"{k}={v}" for k, v in report.summary.items())
        self.stdout.write(f"Offboarded {user.username}: {summary}. Leaver report {report.pk}.")
