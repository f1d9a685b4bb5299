"""Celery adapters for key jobs: ids in, a service call, nothing returned."""

from __future__ import annotations

import uuid

from celery import shared_task

from confidentiality import crypto, rotation


@shared_task(name="confidentiality.tasks.run_key_rotation", acks_late=True, reject_on_worker_lost=True)
def run_key_rotation(job_id: str) -> None:
    """Re-encrypt one scope under its new data key (resumes after a killed worker)."""
    try:
        rotation.run_rotation_job(uuid.UUID(job_id))
    except Exception:  # noqa: BLE001 - recorded on the job and in the audit trail; retrying is a decision
        return


@shared_task(name="confidentiality.tasks.shred_pending_keys")
def shred_pending_keys() -> None:
    """Delete keystore material of keys marked destroyed whose deletion did not run (crash after commit)."""
    crypto.shred_pending()
