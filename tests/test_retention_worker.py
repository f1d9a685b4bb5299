"""A real worker killed with SIGKILL in the middle of a destruction; a new worker finishes it once.

Runs on whatever broker the suite uses: Redis (REDIS_URL) or the embedded directory broker. A
message taken by a worker killed with SIGKILL is redelivered by Redis only after the visibility
timeout (hours) and never by the directory broker, so in both the killed run is picked up by
`resume_runs` (the beat job every 10 minutes, and the daily job), which requeues any run whose
worker's lease ran out. The run then resumes from its progress rows.
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import Voucher, VoucherLine
from retention import services
from retention.models import (
    DestructionList,
    DestructionRun,
    ListState,
    Register,
    RegisterKind,
    RetentionAction,
    VolumeProgress,
)
from tests import retention_helpers as books
from tests.retention_cast import assign_supervisors, destroy_all_and_prepare, make_signers, sign_all
from tests.workers import running_worker, stop, wait_for


@pytest.mark.django_db(transaction=True)
@override_settings(FIRMPORTAL_RETENTION_LEASE_SECONDS=2)
def test_worker_killed_mid_destruction_resumes_and_finishes_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker deletes 3 vouchers per batch and pauses between batches, so there is a middle to kill in.
    monkeypatch.setenv("FIRMPORTAL_RETENTION_BATCH_SIZE", "3")
    monkeypatch.setenv("FIRMPORTAL_RETENTION_BATCH_PAUSE_MS", "400")
    monkeypatch.setenv("FIRMPORTAL_RETENTION_LEASE_SECONDS", "2")
    people = make_signers()
    client = books.make_client()
    for number in range(1, 31):
        books.make_voucher(client, 1995, number=number)
    kept = books.make_voucher(client, 2020, summary="留存")
    batch = services.open_appraisal(today=dt.date(2026, 3, 1))
    assert batch is not None
    dlist = destroy_all_and_prepare(batch, people)
    assign_supervisors(dlist, people)
    sign_all(dlist, people)  # approval queues the execution task after commit
    assert DestructionList.objects.get(pk=dlist.pk).state == ListState.APPROVED

    def progress() -> int:
        row = VolumeProgress.objects.filter(run__destruction_list=dlist).first()
        return row.rows_deleted if row else 0

    with running_worker() as worker:
        assert wait_for(lambda: progress() >= 6, timeout=60), "the worker never started deleting"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        stop(worker)
    deleted_at_kill = progress()
    assert 6 <= deleted_at_kill < 30
    assert DestructionList.objects.get(pk=dlist.pk).state == ListState.EXECUTING
    assert Voucher.objects.filter(fiscal_year=1995).count() == 30 - deleted_at_kill

    with running_worker():
        # The dead worker's lease runs out; the resume job requeues the run.
        assert wait_for(lambda: _lease_expired(dlist), timeout=10)
        with transaction.atomic():
            assert services.resume_runs() == [str(dlist.pk)]
        assert wait_for(lambda: DestructionList.objects.get(pk=dlist.pk).state == ListState.EXECUTED, timeout=90)

    assert not Voucher.objects.filter(fiscal_year=1995).exists()
    assert not VoucherLine.objects.filter(fiscal_year=1995).exists()
    assert VoucherLine.objects.filter(voucher=kept).first().summary == "留存 1"  # type: ignore[union-attr]
    run = DestructionRun.objects.get(destruction_list=dlist)
    assert run.attempts == 2
    assert AuditEvent.objects.filter(action=RetentionAction.VOLUME_KEY_DESTROYED).count() == 1
    assert AuditEvent.objects.filter(action=RetentionAction.EXECUTED).count() == 1
    assert AuditEvent.objects.filter(action=RetentionAction.EXECUTION_RESUMED).count() == 1
    assert Register.objects.filter(kind=RegisterKind.DESTRUCTION_CERTIFICATE, subject_id=dlist.pk).count() == 2


def _lease_expired(dlist: DestructionList) -> bool:
    lease = DestructionRun.objects.get(destruction_list=dlist).lease_until
    return lease is None or lease < timezone.now()
