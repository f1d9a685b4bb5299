"""What the fault-injection harness (`make chaos`) runs and checks: a generic idempotent job and a
ledger of acknowledged writes. No client data lives here."""

from __future__ import annotations

import uuid

from django.db import models


class ProofJobState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class ProofJob(models.Model):
    """A job that takes `work_seconds`, records how often it ran and how often it completed.

    The pattern every long job follows (backups, destruction): the row is the truth, the broker
    message only a nudge; the work is claimed and completed under a row lock, so a redelivered or
    re-sent message finds the job done and does nothing. `completions` must end at exactly 1.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work_seconds = models.FloatField(default=1.0)
    state = models.CharField(max_length=16, choices=ProofJobState.choices, default=ProofJobState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(completions__lte=1), name="proofjob_completes_at_most_once"),
        ]

    def __str__(self) -> str:
        return f"proof job {self.id} ({self.state})"


class ProofWrite(models.Model):
    """One acknowledged write: the harness notes its id only after the commit returned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    written_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.id)
