"""Steps the browser flows share: signing in through the real pages."""

from __future__ import annotations

from playwright.sync_api import Page

from accounts.models import User
from tests import cast


def sign_in_password(page: Page, base_url: str, user: User) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()


def sign_in_staff(page: Page, base_url: str, user: User, *, offset_steps: int = 0) -> None:
    """Password, then the TOTP code of the person's enrolled device; ends on the workspace."""
    sign_in_password(page, base_url, user)
    page.wait_for_url("**/accounts/2fa/")
    page.get_by_label("身份验证器中的六位验证码").fill(cast.current_code(user, offset_steps=offset_steps))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/staff/")


def sign_in_client(page: Page, base_url: str, user: User) -> None:
    sign_in_password(page, base_url, user)
    page.wait_for_url("**/portal/")
