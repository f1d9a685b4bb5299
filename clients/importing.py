"""Import vouchers from the xlsx template: every row checked, errors reported by row, and nothing
saved when any row is bad (one transaction). The file is read in memory, never stored.
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit
from clients import chart, services
from clients.models import BooksAction, Client, Voucher

HEADERS = ("凭证号", "日期", "科目编码", "摘要", "借方金额", "贷方金额", "附件数")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (1 = the header)
    message: str


class ImportFailedError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def template_xlsx() -> bytes:
    """The import template: the header row, two example rows and the standard account codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "凭证"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([1, "2025-01-05", "1002", "收到货款", "1130.00", None, 1])
    sheet.append([1, "2025-01-05", "5001", "销售商品", None, "1000.00", None])
    sheet.append([1, "2025-01-05", "2221", "销项税额", None, "130.00", None])
    for column, width in zip("ABCDEFG", (8, 12, 10, 30, 14, 14, 8), strict=True):
        sheet.column_dimensions[column].width = width
    codes = workbook.create_sheet("科目")
    codes.append(["科目编码", "科目名称", "Account"])
    for account in chart.STANDARD_ACCOUNTS:
        codes.append([account.code, account.name_zh, account.name_en])
    notes = workbook.create_sheet("说明")
    for line in (
        "同一凭证号、同一月份的行组成一张凭证；每行只填借方或贷方金额之一，金额最多两位小数。",
        "One voucher per number and month; each row has a debit or a credit amount (at most 2 decimals).",
        "可使用本客户的明细科目编码（如 112201）。Sub-account codes of the client may be used.",
        "任何一行有误则整个文件不导入。If any row is wrong, nothing is imported.",
    ):
        notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise ImportFailedError([RowError(number, _("The file has more than %(n)d rows.") % {"n": MAX_ROWS})])
            rows.append((number, tuple(values)))
        workbook.close()
    except ImportFailedError:
        raise
    except Exception as exc:
        raise ImportFailedError([RowError(0, _("This is not a readable .xlsx file."))]) from exc
    if not rows or tuple(_cell_text(v) for v in rows[0][1][: len(HEADERS)]) != HEADERS:
        raise ImportFailedError(
            [RowError(1, _("The first row must be the template's header: %(h)s.") % {"h": "、".join(HEADERS)})]
        )
    return rows[1:]


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(_cell_text(value))


@transaction.atomic
def import_vouchers(client: Client, *, data: bytes, actor: Any) -> list[Voucher]:
    """Create one draft voucher per number and month of the file, all or nothing."""
    rows = _read_rows(data)
    accounts = {a.code: a for a in services.postable_accounts(client)}
    errors: list[RowError] = []
    groups: dict[tuple[int, int, int], list[tuple[int, datetime.date, services.LineInput, int]]] = defaultdict(list)
    for number, values in rows:
        cells = (list(values) + [None] * len(HEADERS))[: len(HEADERS)]
        if all(_cell_text(v) == "" for v in cells):
            continue
        ref, raw_date, code, summary, debit, credit, attachments = cells
        row_errors: list[str] = []
        ref_text = _cell_text(ref)
        if not ref_text.isdigit() or not 1 <= int(ref_text) <= 999_999:
            row_errors.append(_("the voucher number must be a whole number from 1 to 999999."))
        try:
            date = _parse_date(raw_date)
            if not services.MIN_YEAR <= date.year <= services.MAX_YEAR:
                raise ValueError
        except (ValueError, TypeError):
            row_errors.append(_("the date must be written as YYYY-MM-DD."))
            date = datetime.date(1, 1, 1)
        account = accounts.get(_cell_text(code))
        if account is None:
            row_errors.append(_("account code “%(code)s” is not a postable account of this client.") % {"code": code})
        attachments_text = _cell_text(attachments) or "0"
        if not attachments_text.isdigit() or int(attachments_text) > services.MAX_ATTACHMENTS:
            row_errors.append(_("the number of attachments must be between 0 and 9999."))
            attachments_text = "0"
        line = services.LineInput(
            account_id=account.pk if account is not None else "",
            summary=_cell_text(summary),
            debit=_cell_text(debit) or None,
            credit=_cell_text(credit) or None,
        )
        # Line-level checks (amounts, one side, summary) by the service's own rules, on this row alone.
        if account is not None:
            try:
                services.check_line(client.pk, line)
            except ValidationError as exc:
                row_errors.extend(exc.messages)
        if row_errors:
            errors.extend(RowError(number, message) for message in row_errors)
        else:
            groups[(int(ref_text), date.year, date.month)].append((number, date, line, int(attachments_text)))
    created: list[Voucher] = []
    if not errors:
        for (ref, _year, _month), members in sorted(
            groups.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])
        ):
            row_numbers = [m[0] for m in members]
            try:
                created.append(
                    services.create_voucher(
                        client,
                        date=min(m[1] for m in members),
                        lines=[m[2] for m in members],
                        attachments_count=max(m[3] for m in members),
                        number=ref,
                        actor=actor,
                    )
                )
            except ValidationError as exc:
                label = _("rows %(rows)s (voucher %(ref)d)") % {"rows": ", ".join(map(str, row_numbers)), "ref": ref}
                errors.extend(RowError(row_numbers[0], f"{label}: {message}") for message in exc.messages)
    if not errors and not created:
        errors.append(RowError(2, _("The file holds no voucher rows.")))
    if errors:
        raise ImportFailedError(sorted(errors, key=lambda e: e.row))
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHERS_IMPORTED,
        target=client,
        client_ref=str(client.pk),
        details={"vouchers": len(created), "voucher_ids": [str(v.pk) for v in created], "rows": len(rows)},
    )
    return created
