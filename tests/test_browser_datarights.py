"""In a real browser: a data-access request through to the downloaded package, and a delegate's
invitation, acceptance (from the e-mail's link), scoped reading and revocation.

The third proof of the issue (the access-history page shows a staff view made moments before) is
already in tests/test_browser_portal.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import User
from confidentiality.models import Delegation, DelegationState
from tests import access_cast, cast
from tests.books import ensure_chart, posted_voucher
from tests.datarights_cast import FILE_BODY, build_books
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in_context(browser, live_server, user: User):  # type: ignore[no-untyped-def]
    """A browser context carrying a session made past 2FA (as tests/test_browser_access.py does)."""
    key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _sign_in(page, live_server, username: str, password: str = cast.PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/portal/")
    assert "/accounts/login/" in page.url
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")


def test_a_data_access_request_through_to_the_downloaded_package(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import launched_browser

    books = build_books()
    with launched_browser() as browser, running_worker():
        client_ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
        client = client_ctx.new_page()
        client.set_default_timeout(15_000)
        _sign_in(client, live_server, "client_a_owner")
        client.get_by_role("link", name="我的数据权利").click()
        client.wait_for_url("**/portal/data-rights/")
        # An empty form: a clear error, nothing stored.
        client.get_by_role("button", name="提交请求").click()
        client.wait_for_load_state()
        assert client.get_by_text("请选择您要提出的请求。").first.is_visible()
        client.get_by_label("查阅、复制我们的数据（个人信息保护法第四十四、四十五条）").check()
        client.locator("textarea[name=details]").fill("请提供全部账务数据和原始凭证的副本")
        client.get_by_role("button", name="提交请求").click()
        client.wait_for_url(re.compile(r".*/portal/data-rights/[0-9a-f-]{36}/$"))
        detail_url = client.url
        assert client.locator("#request-state").inner_text().startswith("已提交")

        officer_ctx, officer = _signed_in_context(browser, live_server, books.officer)
        officer.goto(f"{live_server.url}/staff/datarights/")
        officer.locator("table.datarights-desk").get_by_role("link", name="打开案件").click()
        assert officer.get_by_text("请提供全部账务数据和原始凭证的副本").is_visible()
        officer.get_by_role("button", name="确认受理").click()
        assert officer.locator("#request-state").inner_text().startswith("已受理")
        officer.get_by_role("button", name="生成数据包").click()
        assert officer.get_by_text("导出包正在生成").is_visible()

        # The client's page polls the progress fragment (htmx) until the download appears.
        client.goto(detail_url)
        download_link = client.locator("#package-download")
        download_link.wait_for(state="visible", timeout=90_000)
        assert client.locator("#request-state").inner_text().startswith("已答复")
        with client.expect_download() as info:
            download_link.click()
        target = tmp_path / "copy.zip"
        info.value.save_as(target)
        with zipfile.ZipFile(target) as archive:
            assert archive.read(f"files/{books.document.pk}/三月发票.pdf") == FILE_BODY
            assert "收到货款" in archive.read("data.json").decode()
        officer_ctx.close()
        client_ctx.close()


def test_delegate_invitation_acceptance_scoped_reading_and_revocation(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    ensure_chart()
    world = access_cast.build_world()
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    mail.outbox = []
    owner = browser_page
    _sign_in(owner, live_server, "client_a_owner")
    owner.goto(f"{live_server.url}/portal/delegates/")
    owner.locator("input[name=email]").fill("lawyer@law.test")
    owner.locator("input[name=scope][value=reports]").check()
    ends = timezone.localtime(timezone.now() + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    owner.locator("input[name=ends_at]").fill(ends)
    owner.get_by_role("button", name="发送邀请").click()
    owner.wait_for_url("**/portal/delegates/")
    assert owner.get_by_text("lawyer@law.test").first.is_visible()

    assert [m.to for m in mail.outbox] == [["lawyer@law.test"]]
    link = re.search(r"https?://[^\s]+(/delegate/accept/[^\s]+/)", str(mail.outbox[0].body))
    assert link is not None and "上海甲贸易有限公司" not in mail.outbox[0].body

    browser = owner.context.browser
    assert browser is not None
    with contextlib.closing(browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")) as context:
        lawyer = context.new_page()
        lawyer.set_default_timeout(15_000)
        lawyer.goto(f"{live_server.url}{link.group(1)}")
        lawyer.locator("input[name=username]").fill("lawyer_lu")
        lawyer.locator("input[name=password]").fill("Long-Enough-Pass-42")
        lawyer.locator("input[name=password_again]").fill("Long-Enough-Pass-42")
        lawyer.locator("form button[type=submit]").click()
        lawyer.wait_for_url("**/accounts/login/**")
        _sign_in(lawyer, live_server, "lawyer_lu", "Long-Enough-Pass-42")
        # The scoped page (the books' dashboard) shows company A; owner-only pages are missing.
        assert lawyer.get_by_role("heading", name="我的公司").is_visible()
        assert lawyer.get_by_text("上海甲贸易有限公司").first.is_visible()
        assert "上海乙科技有限公司" not in lawyer.content()
        for path in ("/portal/access-history/", "/portal/data-rights/", "/portal/delegates/"):
            response = lawyer.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 404, path

        # The owner sees the delegate's activity, then revokes.
        owner.goto(f"{live_server.url}/portal/delegates/")
        activity = owner.locator("tr.delegate-activity", has_text="lawyer_lu")
        assert "最近的操作" in activity.inner_text() and "clients.accountbalance" in activity.inner_text()
        owner.get_by_role("button", name="撤销").click()
        owner.wait_for_url("**/portal/delegates/")
        assert Delegation.objects.get(client=world.client_a).state == DelegationState.REVOKED

        # Revocation ended the delegate's session; signed in again, company A is missing (404).
        lawyer.goto(f"{live_server.url}/portal/?client={world.client_a.pk}")
        assert "/accounts/login/" in lawyer.url
        _sign_in(lawyer, live_server, "lawyer_lu", "Long-Enough-Pass-42")
        assert "上海甲贸易有限公司" not in lawyer.content()
        response = lawyer.goto(f"{live_server.url}/portal/?client={world.client_a.pk}")
        assert response is not None and response.status == 404
        assert "上海甲贸易有限公司" not in lawyer.content()
