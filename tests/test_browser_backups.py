"""An IT administrator starts a backup from the dashboard in a real browser and watches it finish
(a real worker makes it; htmx polls the progress panel until nothing runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import StaffRole
from backups.models import BackupRun, RunState
from tests import cast
from tests.backup_support import ensure_backup_keys
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_it_admin_backs_up_from_the_dashboard_and_sees_it_verified(  # type: ignore[no-untyped-def]
    live_server, browser_page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_backup_keys()
    monkeypatch.setenv("FIRMPORTAL_BACKUP_PRIMARY_PATH", str(tmp_path / "primary"))
    monkeypatch.setenv("FIRMPORTAL_BACKUP_OFFSITE_PATH", str(tmp_path / "offsite"))
    admin = cast.make_staff("it_ivan", StaffRole.IT_ADMIN)
    http = cast.signed_in(admin)
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": http.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/staff/backups/")
    assert page.get_by_role("heading", name="备份", exact=True).is_visible()
    assert page.get_by_text("当前没有任务在运行。").is_visible()
    with running_worker():
        page.get_by_role("button", name="立即备份").click()
        page.get_by_text("备份已排队，进度显示在下方。").wait_for()
        # htmx polls the panel; it settles on "nothing running" when the worker is done.
        page.get_by_text("当前没有任务在运行。").wait_for(timeout=90_000)
    run = BackupRun.objects.get()
    assert run.state == RunState.SUCCEEDED, run.failure_reason
    page.reload()
    assert page.locator("svg.chart rect.chart-bar").count() == 1
    assert page.get_by_text("已校验").count() == 2  # primary and off-site
