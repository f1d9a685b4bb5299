"""An IT administrator rotates a client's data keys in a real browser and watches the htmx-polled
progress bar reach done while a real Celery worker re-encrypts the data."""

from __future__ import annotations

import io

import pytest

from accounts.models import StaffRole
from clients.models import Client, TaxpayerType
from confidentiality import crypto, files
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState, KeyRotationJob, RotationState
from tests import cast
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_it_admin_rotates_a_client_and_sees_progress(live_server, browser_page, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FIRMPORTAL_KEY_REVALIDATE_SECONDS", "0")
    settings.FIRMPORTAL_KEY_REVALIDATE_SECONDS = 0
    crypto.reset_caches()
    admin = cast.make_staff("it_ivan", StaffRole.IT_ADMIN)
    client = Client.objects.create(
        name="浏览器测试公司", credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.GENERAL
    )
    for i in range(30):
        files.store_encrypted(
            KeyScope.for_client(client.pk), io.BytesIO(b"scan %d" % i), owner_label="test", name=f"{i}.pdf"
        )
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
    with running_worker():
        page.goto(f"{live_server.url}/staff/keys/")
        assert page.get_by_role("heading", name="加密密钥").is_visible()
        page.get_by_label("客户编号").fill(str(client.pk))
        page.get_by_role("button", name="开始轮换").click()
        page.wait_for_url(f"{live_server.url}/staff/keys/")
        job = KeyRotationJob.objects.get(owner=f"client:{client.pk}")
        row = page.locator(f"#job-{job.id}")
        assert row.locator("progress").is_visible()
        # No reload: htmx polls the row until the worker is done.
        row.locator(".js-job-state", has_text="完成").wait_for(timeout=90_000)
        assert page.locator(f"#job-{job.id} progress").get_attribute("value") == "100"
    job.refresh_from_db()
    assert job.state == RotationState.DONE and job.done == 31
    assert DataKey.objects.filter(owner=f"client:{client.pk}", state=DataKeyState.DESTROYED).count() == 1
    crypto.reset_caches()
    assert Client.objects.get(pk=client.pk).name == "浏览器测试公司"
