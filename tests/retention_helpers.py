"""Building books for retention tests: a client, vouchers with lines, balances, fixed assets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import User
from clients.models import Account, AccountBalance, AccountingPeriod, Client, Document, Voucher, VoucherLine
from tests import cast


def make_client(name: str = "上海甲公司") -> Client:
    client = Client(
        name=name,
        credit_code="91310000MA1FL0000X",
        taxpayer_type="small_scale",
        address="上海",
        contacts=[],
        bank_accounts=[],
    )
    client.save()
    return client


def standard(code: str, name: str, side: str) -> Account:
    account, _ = Account.objects.get_or_create(
        client=None, code=code, defaults={"name_zh": name, "category": "asset", "normal_side": side}
    )
    return account


def sub_account(client: Client, parent: Account, code: str, name: str) -> Account:
    account = Account(
        client=client, parent=parent, code=code, sub_name=name, category=parent.category, normal_side=parent.normal_side
    )
    account.save()
    return account


def period(client: Client, year: int, month: int = 12) -> AccountingPeriod:
    found = AccountingPeriod.objects.filter(client=client, year=year, month=month).first()
    if found is not None:
        return found
    result = AccountingPeriod(client=client, year=year, month=month)
    result.save()
    return result


def preparer() -> User:
    user = User.objects.filter(username="books_preparer").first()
    return user or cast.make_staff("books_preparer", "bookkeeper")


def make_voucher(
    client: Client,
    year: int,
    *,
    lines: int = 2,
    summary: str = "摘要",
    debit_account: Account | None = None,
    credit_account: Account | None = None,
    number: int | None = None,
) -> Voucher:
    debit_account = debit_account or standard("1001", "库存现金", "debit")
    credit_account = credit_account or standard("6001", "主营业务收入", "credit")
    p = period(client, year)
    number = number or (Voucher.objects.filter(client=client, period=p).count() + 1)
    voucher = Voucher(
        client=client,
        period=p,
        number=number,
        date=dt.date(year, 12, 1),
        fiscal_year=year,
        total=Decimal("100.00"),
        preparer=preparer(),
    )
    voucher.save()
    rows = []
    for position in range(1, lines + 1):
        debit = position % 2 == 1
        line = VoucherLine(
            voucher=voucher,
            client=client,
            fiscal_year=year,
            position=position,
            account=debit_account if debit else credit_account,
            side="debit" if debit else "credit",
            summary=f"{summary} {position}",
            debit=Decimal("100.00") if debit else None,
            credit=None if debit else Decimal("100.00"),
        )
        rows.append(line)
    for line in rows:
        line.save()
    return voucher


def make_balance(client: Client, account: Account, year: int, closing: Decimal) -> AccountBalance:
    p = period(client, year)
    balance = AccountBalance(
        client=client,
        account=account,
        period=p,
        fiscal_year=year,
        period_key=year * 100 + p.month,
        opening=Decimal("0"),
        debit=closing,
        credit=Decimal("0"),
        closing=closing,
    )
    balance.save()
    return balance


def make_document(client: Client, year: int, category: str, title: str = "银行对账单") -> Document:
    document = Document(
        client=client,
        fiscal_year=year,
        archive_category=category,
        title=title,
        original_name="a.pdf",
        uploaded_by=preparer(),
    )
    document.save()
    return document
