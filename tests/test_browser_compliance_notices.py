"""A client reads a breach notice in a real browser: dashboard banner, the notice, "I have read it"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from audit.models import AccessEvent
from compliance import incidents
from compliance.models import BreachNotice
from tests import access_cast, cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_sees_the_banner_reads_the_notice_and_acknowledges_it(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    world = access_cast.build_world()
    officer = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    start = timezone.now() - timedelta(hours=2)
    AccessEvent.objects.create(
        occurred_at=start + timedelta(minutes=5),
        actor=world.bookkeeper_alice,
        actor_label="bookkeeper_alice",
        client_ref=str(world.client_a.pk),
        action="view",
    )
    incident = incidents.report_incident(title="电脑丢失", description="笔记本电脑丢失", actor=officer)
    incidents.triage_incident(
        incident,
        severity="high",
        window_start=start,
        window_end=start + timedelta(hours=1),
        suspect=world.bookkeeper_alice,
        actor=officer,
    )
    incidents.compute_affected_clients(incident, actor=officer)
    incidents.review_affected_client(incident.affected.get(), include=True, actor=officer)
    incidents.set_notice_content(
        incident,
        actor=officer,
        data_kinds="记账凭证",
        cause="笔记本电脑丢失",
        possible_harm="财务信息可能被他人看到",
        remedies="已远程锁定设备",
        client_actions="留意可疑来电",
        contact="合规部 021-00000000",
    )
    incidents.compose_breach_notices(incident, actor=officer)
    notice = incidents.publish_breach_notice(BreachNotice.objects.get(), actor=officer)

    page = browser_page
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("用户名").fill("client_a_owner")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")
    banner = page.locator("#breach-notice-banner")
    assert banner.is_visible() and "1 份重要告知书" in banner.inner_text()
    banner.get_by_role("link", name="阅读告知书").click()
    page.wait_for_url("**/portal/notices/**")
    page.get_by_role("link", name="个人信息安全事件告知书").click()
    page.wait_for_url(f"**/portal/notices/{notice.pk}/")
    text = page.locator("#notice-text").inner_text()
    assert "上海甲贸易有限公司" in text and "留意可疑来电" in text and "个人信息保护法" in text
    page.get_by_role("button", name="我已阅读此告知书").click()
    page.wait_for_url(f"**/portal/notices/{notice.pk}/")
    assert page.locator("#notice-read").is_visible()
    notice.refresh_from_db()
    assert notice.read_by == world.client_a_owner
    page.goto(f"{live_server.url}/portal/")
    assert page.locator("#breach-notice-banner").count() == 0
