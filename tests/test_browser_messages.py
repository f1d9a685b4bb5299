"""In a real browser: a client sends a secure message with an attachment, the assigned staff member
sees it unread and replies, the client sees the reply."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from clientcare.models import Attachment
from tests import cast
from tests.access_cast import build_world
from tests.clientcare_helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in_context(browser, live_server, user: User):  # type: ignore[no-untyped-def]
    key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_client_sends_with_attachment_staff_sees_unread_and_replies(live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import launched_browser, save_failure

    world = build_world()
    with launched_browser() as browser:
        client_ctx, client = _signed_in_context(browser, live_server, world.client_a_owner)
        staff_ctx, staff = _signed_in_context(browser, live_server, world.bookkeeper_alice)
        try:
            client.goto(f"{live_server.url}/portal/")
            client.get_by_role("link", name="安全消息").first.click()
            client.wait_for_url("**/portal/messages/**")
            client.get_by_role("link", name="写新消息").click()
            client.get_by_label("主题").fill("十月银行对账单")
            client.get_by_role("textbox", name="消息").fill("对账单已附上，请查收。")
            client.get_by_label("附件").set_input_files(
                files=[{"name": "十月对账单.pdf", "mimeType": "application/pdf", "buffer": PDF + b"statement"}]
            )
            client.get_by_role("button", name="安全发送").click()
            client.wait_for_url("**/portal/messages/*-*/")
            assert client.get_by_text("您的消息已安全发送。").is_visible()
            assert client.get_by_role("link", name="十月对账单.pdf").is_visible()
            assert Attachment.objects.count() == 1

            staff.goto(f"{live_server.url}/staff/messages/")
            row = staff.locator("table.cc-threads tbody tr", has_text="十月银行对账单")
            assert row.count() == 1
            assert "cc-unread" in (row.get_attribute("class") or "")
            assert row.locator("[data-unread]").inner_text().strip() == "1"
            row.get_by_role("link", name="十月银行对账单").click()
            staff.wait_for_url("**/staff/messages/*-*/")
            assert staff.get_by_text("对账单已附上，请查收。").is_visible()
            with staff.expect_download() as download_info:
                staff.get_by_role("link", name="十月对账单.pdf").click()
            download = download_info.value
            with open(download.path(), "rb") as handle:
                assert handle.read() == PDF + b"statement"
            staff.get_by_role("textbox", name="消息").fill("收到，我们本周内完成记账。")
            staff.get_by_role("button", name="安全发送").click()
            staff.wait_for_url("**/staff/messages/*-*/**")
            assert staff.get_by_text("收到，我们本周内完成记账。").is_visible()

            client.goto(f"{live_server.url}/portal/")
            box = client.locator("section.cc-dashboard")
            assert box.locator("[data-unread]").get_attribute("data-unread") == "1"
            box.get_by_role("link", name="十月银行对账单").click()
            client.wait_for_url("**/portal/messages/*-*/")
            assert client.get_by_text("收到，我们本周内完成记账。").is_visible()
            assert client.get_by_text("bookkeeper_alice").first.is_visible()
            client.goto(f"{live_server.url}/portal/")
            assert client.locator("section.cc-dashboard [data-unread]").get_attribute("data-unread") == "0"
        except Exception:
            save_failure(client, "messages_client")
            save_failure(staff, "messages_staff")
            raise
        finally:
            client_ctx.close()
            staff_ctx.close()
