"""A client signs in through a real browser, sees the dashboard chart and who accessed the company's data."""

from __future__ import annotations

import pytest

from confidentiality.models import AccessPurpose
from tests import access_cast, cast
from tests.books import ensure_chart, posted_voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_signs_in_sees_the_chart_and_a_staff_view_made_moments_before(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    ensure_chart()
    world = access_cast.build_world()
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    page = browser_page
    page.goto(f"{live_server.url}/portal/")
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill("client_a_owner")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")
    assert page.get_by_role("heading", name="我的公司").is_visible()
    chart = page.locator("svg.portal-chart")
    assert chart.is_visible()
    assert page.locator("svg.portal-chart rect.chart-income").count() == 12
    # March's income bar has a real height, drawn by the server under the strict CSP.
    march = page.locator("svg.portal-chart rect.chart-income").nth(2)
    assert float(march.get_attribute("height") or 0) > 0 and march.bounding_box()["height"] > 0  # type: ignore[index]
    assert "上海乙科技有限公司" not in page.content()

    staff = cast.signed_in(world.bookkeeper_alice)
    url = f"/staff/access/reveal/clients.client/{world.client_a.pk}/bank_accounts/"
    assert staff.post(url, {"purpose": AccessPurpose.TAX_FILING, "purpose_detail": "增值税申报"}).status_code == 200

    page.get_by_role("link", name="谁查看了我的数据").click()
    page.wait_for_url("**/portal/access-history/")
    row = page.locator("table.access-history tbody tr", has_text="增值税申报")
    assert row.count() == 1
    assert "bookkeeper_alice" in row.inner_text() and "制单会计" in row.inner_text()
