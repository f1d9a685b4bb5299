"""The proof job `make chaos` runs: idempotent, completes once, and stale jobs are sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from proof import services
from proof.models import ProofJob, ProofJobState


@pytest.mark.django_db
def test_running_a_job_twice_completes_it_once() -> None:
    job = ProofJob.objects.create(work_seconds=0, enqueued_at=timezone.now())
    assert services.run_proof_job(job.id) is True
    assert services.run_proof_job(job.id) is False
    job.refresh_from_db()
    assert (job.state, job.completions, job.attempts) == (ProofJobState.DONE, 1, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_second_completion() -> None:
    job = ProofJob.objects.create(work_seconds=0, enqueued_at=timezone.now(), completions=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProofJob.objects.filter(pk=job.pk).update(completions=2)


@pytest.mark.django_db
def test_only_stale_unfinished_jobs_are_sent_again(django_capture_on_commit_callbacks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    from proof import tasks

    monkeypatch.setattr(tasks.run_proof_job, "delay", lambda job_id: sent.append(job_id))
    old = timezone.now() - timedelta(minutes=5)
    stale = ProofJob.objects.create(work_seconds=0, enqueued_at=old)
    ProofJob.objects.create(work_seconds=0, enqueued_at=old, state=ProofJobState.DONE, completions=1)
    ProofJob.objects.create(work_seconds=0, enqueued_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resend_stale_proof_jobs(older_than=timedelta(minutes=1)) == 1
    assert sent == [str(stale.id)]
