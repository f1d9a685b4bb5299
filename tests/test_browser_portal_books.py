"""A client signs in through a real browser, sees the dashboard chart, opens the balance sheet of a closed
month and downloads it as xlsx (Playwright's download API); the file opens and holds the figure."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import openpyxl
import pytest

from clients import services as books
from clients.models import AccountingPeriod
from portal.seed import ensure_first_commitment
from tests import access_cast, cast
from tests.books import ensure_chart, lines, posted_voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_opens_the_balance_sheet_and_downloads_the_xlsx(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    ensure_chart()
    ensure_first_commitment()
    world = access_cast.build_world()
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)  # 1,000 sale in March
    posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        date=datetime.date(2025, 4, 10),
        spec=lines(("5602", "办公费", "300.00", None), ("1002", "付办公费", None, "300.00")),
    )
    march = AccountingPeriod.objects.get(client=world.client_a, year=2025, month=3)
    books.close_period(march, actor=world.reviewer_rita)

    page = browser_page
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("用户名").fill("client_a_owner")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")

    # The dashboard: the chart is drawn by the server as SVG, April's expense bar has a height.
    assert page.locator("svg.portal-chart").is_visible()
    assert page.locator("svg.portal-chart rect.chart-expense").count() == 12
    april = page.locator("svg.portal-chart rect.chart-expense").nth(3)
    assert april.bounding_box()["height"] > 0  # type: ignore[index]
    assert page.locator(".commitment-banner").is_visible()
    assert page.get_by_text("事务所目前没有向您索取资料。").is_visible()
    assert page.get_by_text("0 条未读消息").is_visible()

    page.get_by_role("link", name="账簿与报表").first.click()
    page.wait_for_url("**/portal/books/")
    page.get_by_role("link", name="资产负债表").first.click()
    page.wait_for_url("**/portal/books/balance-sheet/**")
    assert page.get_by_role("heading", name="资产负债表").is_visible()
    assert page.locator('select[name="period"] option').all_inner_texts() == ["2025-03"]  # April is open
    assert page.locator('[data-report="left"] td[data-line="1"]').inner_text() == "1,000.00"

    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename == "balance-sheet-2025-03.xlsx"
    # Playwright keeps the file under a name without extension: openpyxl is given its bytes.
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert sheet is not None
    cash = [row for row in sheet.iter_rows(values_only=True) if row and str(row[0]).strip() == "货币资金"]
    assert cash and float(cash[0][2]) == 1000.0  # type: ignore[arg-type]
    download.delete()
