"""In real browsers: offboarding signs out every live session of the leaver at once."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from tests import cast
from tests.access_cast import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in_context(browser, live_server, user: User):  # type: ignore[no-untyped-def]
    key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_offboarding_signs_out_both_browsers_of_the_leaver(live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import launched_browser

    world = build_world()
    alice = world.bookkeeper_alice
    with launched_browser() as browser:
        first_ctx, first = _signed_in_context(browser, live_server, alice)
        second_ctx, second = _signed_in_context(browser, live_server, alice)
        admin_ctx, admin = _signed_in_context(browser, live_server, world.admin)
        for page in (first, second):
            page.goto(f"{live_server.url}/staff/access/clients/")
            assert page.get_by_role("heading", name="我的客户").is_visible()
            assert page.get_by_text("上海甲贸易有限公司").is_visible()

        admin.goto(f"{live_server.url}/staff/access/staff/")
        admin.get_by_role("row", name=alice.username).get_by_role("link", name="办理离职").click()
        admin.get_by_label("输入用户名以确认").fill(alice.username)
        admin.get_by_role("button", name="立即办理离职").click()
        admin.wait_for_url("**/staff/access/leavers/*/")
        assert admin.get_by_role("heading", name=f"离职报告: {alice.username}").is_visible()

        for page in (first, second):
            page.goto(f"{live_server.url}/staff/access/clients/")
            assert "/accounts/login/" in page.url
            assert page.get_by_text("上海甲贸易有限公司").count() == 0
        for context in (first_ctx, second_ctx, admin_ctx):
            context.close()
