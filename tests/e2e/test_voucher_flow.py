"""A voucher's life in the browser: a bookkeeper enters it with the keyboard, a reviewer reviews it,
the manager posts it, and the trial balance downloaded as xlsx holds it."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audit.models import AccessEvent
from clients.models import Voucher, VoucherState
from tests import books
from tests.access_cast import build_world
from tests.e2e.flows import sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_client(page: Page, name: str) -> None:
    page.get_by_role("link", name="客户", exact=True).first.click()
    page.get_by_role("link", name=name).click()


def test_voucher_entered_reviewed_posted_and_in_the_downloaded_trial_balance(  # type: ignore[no-untyped-def]
    live_server, new_page: Callable[[], Page]
) -> None:
    books.ensure_chart()
    world = build_world()
    client = world.client_a
    today = timezone.localdate()

    alice = new_page()
    sign_in_staff(alice, live_server.url, world.bookkeeper_alice)
    alice.goto(f"{live_server.url}/staff/clients/{client.pk}/")
    alice.get_by_role("link", name="录入凭证").click()
    alice.get_by_label("日期").fill(today.isoformat())
    accounts = alice.get_by_label("科目", exact=True)
    summaries = alice.get_by_label("摘要", exact=True)
    debits = alice.get_by_label("借方", exact=True)
    credits = alice.get_by_label("贷方", exact=True)
    accounts.nth(0).fill("1001")
    summaries.nth(0).fill("收到货款")
    debits.nth(0).fill("1250.50")
    accounts.nth(1).fill("5001")
    summaries.nth(1).fill("收到货款")
    credits.nth(1).fill("1250.50")
    credits.nth(1).press("Tab")
    # The running totals are computed in the page as the bookkeeper types.
    expect(alice.locator(".js-debit-total")).to_have_text("1,250.50")
    expect(alice.locator(".js-difference")).to_have_text("0.00")
    # Tab led into the blank third line: an empty account field opens no list over the buttons (it
    # once did, and the click meant for "save" picked an account). Typing searches, clearing closes.
    blank = accounts.nth(2)
    blank.fill("1001")
    expect(alice.locator(".js-account-option").first).to_be_visible()
    blank.fill("")
    expect(alice.locator(".js-account-option")).to_have_count(0)
    alice.get_by_role("button", name="保存草稿").click()
    expect(alice.locator("h1 .badge")).to_have_text("草稿")
    voucher = Voucher.objects.get(client=client)
    assert voucher.preparer == world.bookkeeper_alice and voucher.state == VoucherState.DRAFT

    rita = new_page()
    sign_in_staff(rita, live_server.url, world.reviewer_rita)
    rita.goto(f"{live_server.url}/staff/clients/review/")
    rita.get_by_role("link", name=voucher.label).first.click()
    rita.get_by_role("button", name="审核", exact=True).click()
    expect(rita.locator("h1 .badge")).to_have_text("已审核")

    pan = new_page()
    sign_in_staff(pan, live_server.url, world.partner)
    pan.goto(f"{live_server.url}/staff/clients/{client.pk}/vouchers/{voucher.pk}/")
    pan.get_by_role("button", name="记账", exact=True).click()
    expect(pan.locator("h1 .badge")).to_have_text("已记账")
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.POSTED
    assert (voucher.preparer, voucher.reviewer, voucher.poster) == (
        world.bookkeeper_alice,
        world.reviewer_rita,
        world.partner,
    )

    pan.goto(f"{live_server.url}/staff/clients/{client.pk}/reports/trial-balance/")
    pan.get_by_label("年度").select_option(str(today.year))
    pan.get_by_label("截止月份").select_option(str(today.month))
    with pan.expect_download() as info:
        pan.get_by_role("button", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = download.path()
    assert path is not None
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    assert sheet is not None
    rows = [row for row in sheet.iter_rows(values_only=True) if row and str(row[0] or "").startswith("1001")]
    assert rows, "the cash account is in the downloaded trial balance"
    figures = {Decimal(str(value)) for value in rows[0] if isinstance(value, int | float | Decimal)}
    assert Decimal("1250.50") in figures
    assert AccessEvent.objects.filter(actor=world.partner, client_ref=str(client.pk), action="export").exists()
