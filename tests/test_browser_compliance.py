# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""Compliance flows in a real browser: reporting an incident; the anonymous report and follow-up."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from compliance.models import Incident
from tests import cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_browser(page, live_server, user: User) -> None:  # type: ignore[no-untyped-def]
    """Put a session made by the test cast (already past 2FA) into the browser."""
    http = cast.signed_in(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": http.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_staff_reports_an_incident_and_the_officer_sees_it(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    reporter = cast.make_staff("reporter_rui", "bookkeeper")
    officer = cast.make_staff("officer_ou", "compliance_officer")
    page = browser_page
    _sign_in_browser(page, live_server, reporter)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="报告事件").click()
    page.get_by_label("简要说明").fill("U盘丢失")
    page.get_by_label("事件经过").fill("今天上午在地铁上丢失了装有客户凭证扫描件的U盘。")
    page.get_by_role("button", name="提交报告").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.get_by_text("已报告").first.is_visible()
    incident = Incident.objects.get()
    assert incident.reported_by == reporter and not incident.is_drill

    page.context.clear_cookies()
    _sign_in_browser(page, live_server, officer)
    page.goto(f"{live_server.url}/staff/compliance/incidents/")
    page.get_by_role("link", name="U盘丢失").click()
    page.get_by_label("严重程度").select_option("high")
    page.get_by_role("button", name="保存研判").click()
    page.wait_for_load_state("load")
    assert page.locator("#timeline").get_by_text("已研判").is_visible()
    incident.refresh_from_db()
    assert incident.severity == "high" and incident.status == "investigating"


def test_anonymous_report_and_follow_up_without_javascript_or_cookies(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from compliance.models import WhistleblowerReport

    cache.clear()
    officer = cast.make_staff("officer_ou", "compliance_officer")
    browser = browser_page.context.browser
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/report/")
        page.get_by_label("涉及什么？").select_option("leak")
        page.get_by_label("事件经过").fill("有人把客户名单发到了私人邮箱。")
        page.get_by_role("button", name="提交举报").click()
        page.get_by_role("heading", name="您的举报已收到").wait_for()
        code = page.locator("#receipt-code").inner_text()
        passphrase = page.locator("#receipt-passphrase").inner_text()

        report = WhistleblowerReport.objects.get()
        from compliance import whistleblowing

        whistleblowing.reply_to_report(report, text="请问是哪一天？", actor=officer)

        page.get_by_role("link", name="跟进举报").first.click()
        page.get_by_label("回执码").fill(code)
        page.get_by_label("口令").fill(passphrase)
        page.get_by_role("button", name="打开").click()
        page.get_by_text("有人把客户名单发到了私人邮箱。").wait_for()
        assert page.get_by_text("请问是哪一天？").is_visible()
        page.get_by_label("补充信息").fill("上周三下午。")
        page.get_by_role("button", name="发送").click()
        page.get_by_text("上周三下午。").wait_for()
        assert context.cookies() == []
        assert report.messages.count() == 3
    finally:
        context.close()
