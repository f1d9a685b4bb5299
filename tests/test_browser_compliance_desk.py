"""A compliance officer handles an alert on the desk in a real browser (strict CSP, no inline script)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from accounts.models import StaffRole
from accounts.roles import sync_roles
from audit import alerts
from audit import services as audit
from audit.models import AccessEvent, Alert, AlertKind, AlertStatus, AuditAction
from tests import cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compliance_officer_closes_an_alert_with_a_note(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    sync_roles(Group, Permission, ContentType)  # an earlier transactional test may have flushed them
    officer = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    partner = cast.make_staff("partner_pan", StaffRole.MANAGER)
    audit.record(actor=partner, action=AuditAction.ACCESS_EMERGENCY_GRANTED, client_ref="c-1")
    AccessEvent.objects.create(actor=partner, actor_label="partner_pan", action="view", client_ref="c-1")
    alerts.evaluate()
    # Off-hours runs (evenings in Shanghai) raise an off-hours alert for the same read as well.
    alert = Alert.objects.get(kind=AlertKind.EMERGENCY_ACCESS)

    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("compliance_cora")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/accounts/2fa/")
    page.get_by_label("身份验证器中的六位验证码").fill(cast.current_code(officer))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/staff/")

    page.goto(f"{live_server.url}/staff/compliance/")
    assert page.locator("svg.chart rect.chart-bar").count() == 30
    page.get_by_role("link", name="已授予紧急访问权限").first.click()
    page.wait_for_url(f"**/staff/compliance/alerts/{alert.pk}/")
    page.get_by_label("处理方式").select_option("close")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("请写一条备注说明原因。").is_visible()
    page.get_by_label("处理方式").select_option("close")
    page.get_by_label("备注").fill("与合伙人核实, 紧急处理税务稽查。")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存。").wait_for()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert not [error for error in errors if "Content Security Policy" in error]
