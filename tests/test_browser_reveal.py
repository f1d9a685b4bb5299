"""In a real browser: a staff member reveals a masked bank account through htmx, must state a purpose
(an empty one is refused in place), sees the value; the client then sees that reveal and its purpose."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from audit.models import AccessEvent
from tests import cast
from tests.access_cast import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCOUNT_NUMBER = "6225887700004321"


def _signed_in_page(browser, live_server, user: User):  # type: ignore[no-untyped-def]
    key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_reveal_needs_a_purpose_shows_the_value_and_the_client_sees_it(live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import launched_browser, save_failure

    world = build_world()
    client = world.client_a
    client.bank_accounts = [{"bank": "招商银行上海分行", "account_number": ACCOUNT_NUMBER}]
    client.save()
    alice = world.bookkeeper_alice
    with launched_browser() as browser:
        staff_ctx, staff = _signed_in_page(browser, live_server, alice)
        owner_ctx, owner = _signed_in_page(browser, live_server, world.client_a_owner)
        try:
            staff.goto(f"{live_server.url}/staff/clients/{client.pk}/")
            secret = staff.locator(f"#secret-bank_accounts-{client.pk}")
            assert secret.is_visible()
            assert ACCOUNT_NUMBER not in staff.content()  # masked: only the last four show
            assert "•••• 4321" in staff.content()
            secret.get_by_role("link", name="显示").click()

            # htmx swapped in the purpose form, in place, without leaving the page.
            form = staff.locator("form.reveal-form")
            form.wait_for()
            assert staff.url.endswith(f"/staff/clients/{client.pk}/")
            form.get_by_role("combobox").select_option("tax_filing")
            form.get_by_label("目的说明").fill("   ")  # passes the browser's "required", not ours
            form.get_by_role("button", name="显示（将被记录）").click()
            staff.get_by_text("请说明您需要此访问的理由。").wait_for()
            assert ACCOUNT_NUMBER not in staff.content()
            assert not AccessEvent.objects.filter(action="reveal").exists()

            form = staff.locator("form.reveal-form")
            form.get_by_role("combobox").select_option("tax_filing")
            form.get_by_label("目的说明").fill("核对增值税退税账户")
            form.get_by_role("button", name="显示（将被记录）").click()
            revealed = staff.locator(".secret-revealed")
            revealed.wait_for()
            assert ACCOUNT_NUMBER in revealed.inner_text() and "已显示并记录" in revealed.inner_text()
            assert staff.url.endswith(f"/staff/clients/{client.pk}/")

            event = AccessEvent.objects.get(action="reveal")
            assert event.actor == alice and event.client_ref == str(client.pk)
            assert event.purpose == "tax_filing: 核对增值税退税账户"
            assert event.object_type == "clients.client.bank_accounts"

            owner.goto(f"{live_server.url}/portal/access/reveals/")
            assert owner.get_by_role("heading", name="谁查看了您的机密数据").is_visible()
            row = owner.locator("table tbody tr", has_text="核对增值税退税账户")
            assert row.count() == 1
            assert alice.username in row.inner_text() and "clients.client.bank_accounts" in row.inner_text()
            assert ACCOUNT_NUMBER not in owner.content()
        except Exception:
            save_failure(staff, "reveal-staff")
            save_failure(owner, "reveal-owner")
            raise
        finally:
            staff_ctx.close()
            owner_ctx.close()
