"""Reports read from the encrypted balances: trial balance, ledgers, 资产负债表 and 利润表, and their exports."""

from __future__ import annotations

import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from clients import exports, reports, services
from clients.models import Client
from tests.books import account, lines, make_client, posted_voucher

pytestmark = pytest.mark.django_db


def _year(client: Client, preparer: User, reviewer: User) -> None:
    posted_voucher(
        client,
        preparer,
        reviewer,
        date=datetime.date(2024, 12, 1),
        spec=lines(("1002", "投资款", "50000.00", None), ("3001", "实收资本", None, "50000.00")),
    )
    posted_voucher(
        client,
        preparer,
        reviewer,
        date=datetime.date(2025, 1, 10),
        spec=lines(
            ("1122", "销售商品", "11300.00", None),
            ("5001", "销售商品", None, "10000.00"),
            ("2221", "销项税额", None, "1300.00"),
        ),
    )
    posted_voucher(
        client,
        preparer,
        reviewer,
        date=datetime.date(2025, 2, 5),
        spec=lines(("1002", "收回货款", "11300.00", None), ("1122", "收回货款", None, "11300.00")),
    )
    posted_voucher(
        client,
        preparer,
        reviewer,
        date=datetime.date(2025, 2, 20),
        spec=lines(("5602", "办公费", "800.00", None), ("1002", "办公费", None, "800.00")),
    )


@pytest.fixture
def books(bookkeeper_alice: User, reviewer_rita: User) -> Client:
    client = make_client(bookkeeper_alice)
    _year(client, bookkeeper_alice, reviewer_rita)
    return client


def test_trial_balance_balances_and_reads_the_right_numbers(books: Client) -> None:
    report = reports.trial_balance(books, year=2025, month_from=1, month_to=2)
    assert report.balanced
    by_code = {row.code: row for row in report.rows}
    bank = by_code["1002"]
    assert (bank.opening, bank.debit, bank.credit, bank.closing) == (
        Decimal("50000.00"),
        Decimal("11300.00"),
        Decimal("800.00"),
        Decimal("60500.00"),
    )
    assert by_code["5001"].closing_credit == Decimal("10000.00")
    assert report.total is not None and report.total.debit == Decimal("23400.00")


def test_trial_balance_queries_do_not_grow_with_lines(
    books: Client, bookkeeper_alice: User, reviewer_rita: User
) -> None:
    with CaptureQueriesContext(connection) as before:
        reports.trial_balance(books, year=2025)
    for day in range(1, 20):
        posted_voucher(
            books,
            bookkeeper_alice,
            reviewer_rita,
            date=datetime.date(2025, 2, day),
            spec=lines(("5602", "办公费", "1.00", None), ("1002", "办公费", None, "1.00")),
        )
    with CaptureQueriesContext(connection) as after:
        reports.trial_balance(books, year=2025)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_sub_accounts_roll_up_into_their_standard_account(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    sub = services.create_sub_account(client, parent=account("1122"), name="客户甲", actor=bookkeeper_alice)
    posted_voucher(
        client,
        bookkeeper_alice,
        reviewer_rita,
        spec=[
            services.LineInput(account_id=sub.pk, summary="赊销", debit="300"),
            services.LineInput(account_id=account("5001").pk, summary="赊销", credit="300"),
        ],
    )
    report = reports.trial_balance(client, year=2025)
    codes = [(row.code, row.level, row.closing) for row in report.rows]
    assert ("1122", 1, Decimal("300.00")) in codes and ("112201", 2, Decimal("300.00")) in codes
    ledger = reports.subsidiary_ledger(client, account=account("1122"), year=2025)
    assert [e.summary for e in ledger.entries][1:] == ["赊销"]


def test_balance_sheet_balances_in_the_small_enterprise_format(books: Client) -> None:
    sheet = reports.balance_sheet(books, year=2025, month=2)
    assert sheet.balanced and sheet.form == "会小企01表"
    lines_by_number = {row.number: row for row in [*sheet.left, *sheet.right]}
    assert lines_by_number[1].current == Decimal("60500.00")  # 货币资金
    assert lines_by_number[1].comparative == Decimal("50000.00")  # at the start of the year
    assert lines_by_number[36].current == Decimal("1300.00")  # 应交税费
    assert lines_by_number[51].current == Decimal("9200.00")  # 未分配利润 = this year's profit
    assert lines_by_number[53].current == Decimal("60500.00")


def test_income_statement_has_month_and_year_to_date(books: Client) -> None:
    statement = reports.income_statement(books, year=2025, month=2)
    rows = {row.number: row for row in statement.left}
    assert rows[1].current == Decimal("10000.00") and rows[1].comparative == Decimal("0.00")
    assert rows[14].current == Decimal("800.00") and rows[14].comparative == Decimal("800.00")
    assert rows[32].current == Decimal("9200.00") and rows[32].comparative == Decimal("-800.00")


def test_general_ledger_has_opening_month_and_year_to_date(books: Client) -> None:
    ledger = {acc.code: acc for acc in reports.general_ledger(books, year=2025)}
    bank = ledger["1002"].entries
    assert [(e.summary, e.debit, e.credit, e.balance) for e in bank] == [
        ("期初余额", None, None, Decimal("50000.00")),
        ("本月合计", Decimal("11300.00"), Decimal("800.00"), Decimal("60500.00")),
        ("本年累计", Decimal("11300.00"), Decimal("800.00"), Decimal("60500.00")),
    ]


def test_xlsx_export_holds_the_numbers(books: Client) -> None:
    from openpyxl import load_workbook

    data = exports.to_xlsx(exports.trial_balance_table(reports.trial_balance(books, year=2025), "示例公司"))
    sheet = load_workbook(io.BytesIO(data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "1002" in values and 60500 in values and "示例公司 · 2025-01 ~ 2025-12" in values


def test_pdf_export_has_extractable_chinese_text(books: Client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    statement = reports.balance_sheet(books, year=2025, month=2)
    data = exports.to_pdf(exports.statement_table(statement, "上海示例贸易<有限>公司 & Co"))
    assert data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "资产负债表" in text or "Balance sheet" in text
    assert "货币资金" in text and "60,500.00" in text and "上海示例贸易" in text
