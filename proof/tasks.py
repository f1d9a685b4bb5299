from __future__ import annotations

import uuid

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from proof import services


@shared_task(
    name="proof.run_proof_job",
    acks_late=True,
    autoretry_for=(DatabaseError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=20,
)
def run_proof_job(job_id: str) -> None:
    services.run_proof_job(uuid.UUID(job_id))
