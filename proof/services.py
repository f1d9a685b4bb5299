"""The proof job's life: enqueue, run (idempotently), re-send the stale ones."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from proof.models import ProofJob, ProofJobState


def enqueue_proof_jobs(*, count: int, work_seconds: float) -> list[uuid.UUID]:
    """Create `count` jobs and send each to the worker once the rows are committed."""
    from proof import tasks

    with transaction.atomic():
        now = timezone.now()
        jobs = ProofJob.objects.bulk_create(ProofJob(work_seconds=work_seconds, enqueued_at=now) for _ in range(count))
        ids = [job.id for job in jobs]
        transaction.on_commit(lambda: [tasks.run_proof_job.delay(str(job_id)) for job_id in ids])
    return ids


def run_proof_job(job_id: uuid.UUID) -> bool:
    """Run the job unless it is done; True when this call completed it. Safe to call any number of times."""
    with transaction.atomic():
        job = ProofJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state == ProofJobState.DONE:
            return False
        job.attempts += 1
        job.state = ProofJobState.RUNNING
        job.save(update_fields=["attempts", "state"])
    time.sleep(job.work_seconds)  # the long part of the work, outside any transaction
    with transaction.atomic():
        job = ProofJob.objects.select_for_update().get(pk=job_id)
        if job.state == ProofJobState.DONE:
            return False  # a duplicate delivery finished first
        job.state = ProofJobState.DONE
        job.completions += 1
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "completions", "finished_at"])
    return True


def resend_stale_proof_jobs(*, older_than: timedelta) -> int:
    """Send again every unfinished job last sent before `older_than` ago (a lost message, a dead
    worker, a broker that forgot its queue). Duplicates are harmless: running is idempotent."""
    from proof import tasks

    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stale = list(
            ProofJob.objects.select_for_update(skip_locked=True)
            .filter(enqueued_at__lt=cutoff)
            .exclude(state=ProofJobState.DONE)
            .values_list("id", flat=True)
        )
        ProofJob.objects.filter(pk__in=stale).update(enqueued_at=timezone.now())
        transaction.on_commit(lambda: [tasks.run_proof_job.delay(str(job_id)) for job_id in stale])
    return len(stale)
