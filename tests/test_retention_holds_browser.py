"""In a real browser: the archivist places a tax-audit hold from the holds page, bad input is
refused with a message, and the hold is released."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import StaffRole, User
from retention.models import Hold
from tests import cast
from tests import retention_helpers as books

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user: User) -> None:  # type: ignore[no-untyped-def]
    session_key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": live_server.url}])


def test_archivist_places_and_releases_a_hold_in_the_browser(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    archivist = cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)
    client = books.make_client()
    code = str(client.pk)[:8].upper()
    page = browser_page
    _as(page, live_server, archivist)
    page.goto(f"{live_server.url}/staff/retention/")
    page.get_by_role("link", name="档案冻结").click()
    page.get_by_label("客户（档案编号或ID）").fill(code)
    page.get_by_label("冻结类型").select_option("tax_audit")
    page.get_by_label("原因（事项、通知书或案号）").fill("   ")
    page.get_by_role("button", name="设置冻结").click()
    page.get_by_text("请说明冻结原因。").wait_for()
    assert not Hold.objects.exists()

    page.get_by_label("原因（事项、通知书或案号）").fill("税务稽查通知 2026-17")
    page.get_by_label("会计年度（可选）").fill("2015")
    page.get_by_role("button", name="设置冻结").click()
    page.get_by_text("冻结已设置。").wait_for()
    assert page.locator("#hold-reason").inner_text() == "税务稽查通知 2026-17"
    hold = Hold.objects.get()
    assert (hold.kind, hold.fiscal_year, hold.client_id) == ("tax_audit", 2015, client.pk)

    page.get_by_role("button", name="解除冻结").click()
    page.get_by_text("冻结已解除。").wait_for()
    hold.refresh_from_db()
    assert hold.released_by_id == archivist.pk
    page.goto(f"{live_server.url}/staff/retention/holds/")
    assert code in page.locator("#released-holds").inner_text()
