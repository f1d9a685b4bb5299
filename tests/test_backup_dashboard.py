"""The backup dashboard: for IT administrators only; last good backup per target, last drill, sizes
chart, progress polling, holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AuditEvent
from backups.models import BackupAction, BackupCopy, BackupRun, CopyState, DrillState, RestoreDrill, RunState
from tests import cast

pytestmark = pytest.mark.django_db

URL = "/staff/backups/"


@pytest.fixture
def it_admin(db: None) -> User:
    return cast.make_staff("it_ivan", StaffRole.IT_ADMIN)


def _good(days_ago: int, size: int = 1000) -> BackupRun:
    run = BackupRun.objects.create(
        state=RunState.SUCCEEDED,
        created_at=timezone.now() - timedelta(days=days_ago),
        size=size,
        sha256="a" * 64,
        archive_name=f"firmportal-{days_ago}.tar.age",
    )
    for target in ("primary", "offsite"):
        BackupCopy.objects.create(
            run=run, target=target, backend="local", state=CopyState.VERIFIED, size=size, sha256="a" * 64
        )
    return run


def test_it_admin_sees_last_good_backup_per_target_last_drill_and_chart(it_admin: User) -> None:
    newest = _good(0, size=2048)
    _good(1)
    RestoreDrill.objects.create(
        run=newest, state=DrillState.FAILED, failure_reason="wrong key: no identity", finished_at=timezone.now()
    )
    response = cast.signed_in(it_admin).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "备份" in html  # Chinese by default
    assert "wrong key: no identity" in html
    assert html.count('class="chart-bar"') == 2
    assert "<script" not in html.split("</head>")[1]
    assert "style=" not in html


@pytest.mark.parametrize("role", [StaffRole.BOOKKEEPER, StaffRole.COMPLIANCE_OFFICER, StaffRole.MANAGER])
def test_staff_without_the_capability_get_404(role: str) -> None:
    user = cast.make_staff(f"someone_{role}", role)
    assert cast.signed_in(user).get(URL).status_code == 404
    assert cast.signed_in(user).post(URL + "run/").status_code == 404


def test_client_users_and_anonymous_get_no_dashboard(client_a_owner: User) -> None:
    assert cast.signed_in(client_a_owner).get(URL).status_code == 404
    from django.test import Client as HttpClient

    assert HttpClient().get(URL).status_code in (302, 404)


def test_dashboard_query_count_does_not_grow_with_backups(it_admin: User, django_assert_max_num_queries: Any) -> None:
    http = cast.signed_in(it_admin)
    for days in range(3):
        _good(days)
    http.get(URL)
    with django_assert_max_num_queries(20) as few:
        http.get(URL)
    for days in range(3, 25):
        _good(days)
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(URL)


def test_progress_polls_while_a_backup_runs_and_stops_after(it_admin: User) -> None:
    http = cast.signed_in(it_admin)
    run = BackupRun.objects.create(state=RunState.RUNNING, progress_bytes=5 * 1024 * 1024, progress_note="Writing")
    html = http.get(URL + "progress/").content.decode()
    assert 'hx-trigger="every 2s"' in html and run.short_id in html and "5.0" in html
    BackupRun.objects.filter(pk=run.pk).update(state=RunState.FAILED)
    html = http.get(URL + "progress/").content.decode()
    assert "hx-trigger" not in html


def test_back_up_now_queues_after_commit(it_admin: User, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = cast.signed_in(it_admin).post(URL + "run/")
    assert response.status_code == 302
    assert BackupRun.objects.get().state == RunState.PENDING
    assert BackupRun.objects.get().requested_by == it_admin
    assert len(callbacks) == 1


def test_hold_needs_a_reason_and_is_audited(it_admin: User) -> None:
    run = _good(3)
    http = cast.signed_in(it_admin)
    http.post(f"{URL}{run.pk}/hold/", {"reason": ""})
    assert not BackupRun.objects.get(pk=run.pk).held
    http.post(f"{URL}{run.pk}/hold/", {"reason": "事故 INC-7 调查"})
    assert BackupRun.objects.get(pk=run.pk).held
    assert AuditEvent.objects.filter(action=BackupAction.BACKUP_HOLD_PLACED, actor=it_admin).exists()
    http.post(f"{URL}{run.pk}/release/")
    assert not BackupRun.objects.get(pk=run.pk).held
    assert http.post(f"{URL}00000000-0000-0000-0000-000000000000/hold/", {"reason": "x"}).status_code == 404
