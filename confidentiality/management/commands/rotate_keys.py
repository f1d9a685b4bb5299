"""Rotate keys: `--master` rewraps data keys under a new master key; `--client ID` / `--all-clients`
start data-key rotation jobs (run by the Celery worker, or here with `--wait`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from confidentiality import rotation
from confidentiality.models import KeyRotationJob


class Command(BaseCommand):
    help = "Rotate the master key (--master) or data keys (--client ID, --all-clients)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--master", action="store_true", help="rewrap every data key under a new master key")
        parser.add_argument("--client", action="append", default=[], metavar="ID", help="rotate this client's keys")
        parser.add_argument("--all-clients", action="store_true", help="rotate every client's data keys")
        parser.add_argument("--resume", action="store_true", help="queue unfinished or failed jobs again")
        parser.add_argument("--wait", action="store_true", help="run the jobs in this process, not the worker")
        parser.add_argument("--actor", default="", help="username recorded as the actor in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["master"] or options["client"] or options["all_clients"] or options["resume"]):
            raise CommandError("say what to rotate: --master, --client ID, --all-clients or --resume")
        actor = None
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user {options['actor']!r}")
        if options["master"]:
            job = rotation.rotate_master_key(actor=actor)
            self.stdout.write(
                f"Master key rotated: {job.old_master_key_id} -> {job.new_master_key_id}, {job.done} entries rewrapped."
            )
        jobs: list[KeyRotationJob] = []
        try:
            for client_id in options["client"]:
                try:
                    parsed = uuid.UUID(client_id)
                except ValueError as exc:
                    raise CommandError(f"{client_id!r} is not a client id") from exc
                jobs.extend(rotation.start_client_rotation(parsed, actor=actor))
            if options["all_clients"]:
                jobs.extend(rotation.start_all_clients_rotation(actor=actor))
            if options["resume"]:
                jobs.extend(rotation.resume_open_jobs())
        except rotation.RotationError as exc:
            raise CommandError(str(exc)) from exc
        for job in jobs:
            if options["wait"]:
                job = rotation.run_rotation_job(job.id)
            self.stdout.write(
                f"Data-key rotation {job.id} {job.owner}/{job.year or '-'}: {job.state} {job.done}/{job.total}"
            )
