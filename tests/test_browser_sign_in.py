"""A person signs in through a real browser: password, TOTP enrolment with the QR page, workspace."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import TOTP

from accounts.models import StaffRole
from tests import cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_from_secret(secret: str) -> str:
    raw = secret.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    return str(TOTP(key).token()).zfill(6)


def test_staff_signs_in_with_totp_enrolment_to_the_workspace(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    cast.make_staff("new_bookkeeper", StaffRole.BOOKKEEPER, with_device=False)
    page = browser_page
    page.goto(f"{live_server.url}/staff/")
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill("new_bookkeeper")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url("**/accounts/2fa/setup/")
    assert page.locator("figure.qr svg").is_visible()
    secret = page.locator("code.secret-key").inner_text()
    page.get_by_label("身份验证器中的六位验证码").fill(_code_from_secret(secret))
    page.get_by_role("button", name="确认并继续").click()

    page.wait_for_url("**/staff/")
    assert page.get_by_role("heading", name="工作台").is_visible()
    # The page ran under the strict CSP with our own scripts: the idle warning exists but is hidden.
    assert page.locator("#idle-warning").is_hidden()


def test_language_switch_in_the_browser(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.get_by_role("heading", name="登录").is_visible()
    page.select_option("#lang-select", "en")  # our app.js submits the form on change
    page.wait_for_load_state("load")
    page.get_by_role("heading", name="Sign in").wait_for()
