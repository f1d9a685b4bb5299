"""Helpers for the bookkeeping tests: a client with its books, built through the services."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from clients import importing, services
from clients.models import Account, Client, TaxpayerType, Voucher

VALID_CODE = "91350100M000100Y43"  # the example code of GB 32100-2015
OTHER_VALID_CODE = "91110000710935732K"


def ensure_chart() -> None:
    """The standard chart comes from a data migration; a transactional test's flush empties it, so restore."""
    from clients.chart import ensure_standard_chart

    ensure_standard_chart()


def account(code: str) -> Account:
    ensure_chart()
    return Account.objects.get(client__isnull=True, code=code)


def make_client(actor: Any, name: str = "上海示例贸易有限公司", code: str = VALID_CODE) -> Client:
    return services.create_client(
        name=name,
        credit_code=code,
        taxpayer_type=TaxpayerType.SMALL_SCALE,
        address="上海市浦东新区示例路1号",
        contacts=[{"name": "黄先生", "role": "owner", "phone": "13800000000", "email": "h@example.cn"}],
        bank_accounts=[{"bank": "招商银行", "account_number": "6225880000000000"}],
        actor=actor,
    )


def lines(*spec: tuple[str, str, str | None, str | None]) -> list[services.LineInput]:
    """(account code, summary, debit, credit) → LineInput using the standard account of that code."""
    return [
        services.LineInput(account_id=account(code).pk, summary=summary, debit=debit, credit=credit)
        for code, summary, debit, credit in spec
    ]


def sale(amount: str = "1000.00") -> list[services.LineInput]:
    return lines(("1002", "收到货款", amount, None), ("5001", "销售商品", None, amount))


def poster() -> Any:
    """A third person who posts (记账): separation of duties keeps preparer, reviewer and poster apart."""
    from accounts.models import StaffRole, User
    from tests import cast

    return User.objects.filter(username="poster_paula").first() or cast.make_staff("poster_paula", StaffRole.REVIEWER)


def posted_voucher(
    client: Client,
    preparer: Any,
    reviewer: Any,
    *,
    date: datetime.date = datetime.date(2025, 3, 15),
    spec: list[services.LineInput] | None = None,
    posted_by: Any = None,
) -> Voucher:
    voucher = services.create_voucher(client, date=date, lines=spec or sale(), actor=preparer)
    services.review_voucher(voucher, actor=reviewer)
    return services.post_voucher(voucher, actor=posted_by or poster())


D = Decimal


def voucher_workbook(rows: list[list[object]]) -> bytes:
    """An .xlsx for the voucher import: the template's header row, then `rows` in its columns
    (凭证号, 日期, 科目编码, 摘要, 借方金额, 贷方金额, 附件数)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(importing.HEADERS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
