"""The audit's beat jobs: scheduled in the one place, and run by a real worker."""

from __future__ import annotations

import pytest

from audit.models import AccessEvent, SealBlock
from firmportal.celery import app
from tests.workers import running_worker, wait_for


def test_audit_jobs_are_on_the_beat_schedule() -> None:
    tasks = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert 120 <= tasks["audit.tasks.seal_audit_trail"] <= 300
    assert tasks["audit.tasks.evaluate_alerts"] == 60.0
    assert "audit.tasks.verify_audit_trail" in tasks  # nightly (crontab)
    import audit.tasks  # noqa: F401

    assert {"audit.tasks.seal_audit_trail", "audit.tasks.evaluate_alerts", "audit.tasks.verify_audit_trail"} <= set(
        app.tasks
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_seals_new_entries() -> None:
    from audit.sealing import head_path, verify
    from audit.tasks import seal_audit_trail

    AccessEvent.objects.create(action="view", client_ref="c-1", actor_label="x")
    # The worker is another process: it uses the key and head file of the same var directory.
    try:
        with running_worker():
            seal_audit_trail.delay()
            assert wait_for(lambda: SealBlock.objects.filter(source="access").exists(), timeout=60)
            assert wait_for(head_path().exists, timeout=10)
        assert verify().ok
    finally:
        head_path().unlink(missing_ok=True)
