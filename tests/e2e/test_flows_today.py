"""The flows the foundation supports, in a real browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from accounts.models import StaffRole, UserSession
from audit.models import AuditAction, AuditEvent
from tests import cast
from tests.e2e.flows import sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_with_password_and_totp(live_server, new_page: Callable[[], Page]) -> None:  # type: ignore[no-untyped-def]
    alice = cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)
    page = new_page()
    page.goto(f"{live_server.url}/staff/")
    assert "/accounts/login/" in page.url  # not signed in: sent to sign in first
    sign_in_staff(page, live_server.url, alice)
    assert page.get_by_role("heading", name="工作台").is_visible()
    actions = set(AuditEvent.objects.filter(actor=alice).values_list("action", flat=True))
    assert {AuditAction.USER_SIGNED_IN, AuditAction.OTP_VERIFIED} <= actions


def test_language_switch_is_kept_after_sign_in(live_server, new_page: Callable[[], Page]) -> None:  # type: ignore[no-untyped-def]
    alice = cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)
    page = new_page()
    sign_in_staff(page, live_server.url, alice)
    page.select_option("#lang-select", "en")  # static/js/app.js submits on change
    page.get_by_role("heading", name="Workspace").wait_for()
    page.goto(f"{live_server.url}/accounts/sessions/")
    page.get_by_role("heading", name="Your sessions").wait_for()
    page.select_option("#lang-select", "zh-hans")
    page.get_by_role("heading", name="您的会话").wait_for()


def test_sign_out_everywhere_from_a_second_browser(live_server, new_page: Callable[[], Page]) -> None:  # type: ignore[no-untyped-def]
    alice = cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)
    laptop, phone = new_page(), new_page()
    sign_in_staff(laptop, live_server.url, alice)
    # The same person again within the same 30 s: the used code is refused, so the next one.
    sign_in_staff(phone, live_server.url, alice, offset_steps=1)
    assert UserSession.objects.filter(user=alice, ended_at__isnull=True).count() == 2

    phone.goto(f"{live_server.url}/accounts/sessions/")
    phone.get_by_role("button", name="在所有设备上退出").click()
    phone.wait_for_url("**/accounts/login/")

    laptop.reload()
    assert "/accounts/login/" in laptop.url
    assert laptop.get_by_role("heading", name="登录").is_visible()
    assert not UserSession.objects.filter(user=alice, ended_at__isnull=True).exists()
