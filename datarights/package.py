"""The access-and-copy package (PIPL Art. 45): all of one company's data, machine-readable.

A zip with `data.json` (everything in one document), one CSV per table under `csv/`, and the
original files under `files/`. It is written straight into `confidentiality.files.encrypted_writer`:
the plaintext exists only in memory, one chunk at a time, never in a temp file. Unlike the handover
package (`retention.handover._export_package`, volume metadata and voucher lines for the next
bookkeeper), this one holds every record and the documents' bytes, for the client itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone

from clients.models import (
    Account,
    AccountBalance,
    AccountingPeriod,
    Client,
    Document,
    Engagement,
    Voucher,
    VoucherLine,
)
from confidentiality.files import open_decrypted
from confidentiality.models import StoredFile

Progress = Callable[[int, int], None]

README = """数据副本（个人信息保护法第四十五条） / Copy of your data (PIPL Art. 45)

data.json        全部数据（一个 JSON 文件） / all data in one JSON document
csv/*.csv        每类记录一个 CSV 文件（UTF-8） / one CSV per kind of record (UTF-8)
files/           原始文件（解密后的原件） / the original files, as uploaded
"""

CLIENT_COLUMNS = ["id", "name", "credit_code", "taxpayer_type", "address", "created_at"]
CONTACT_COLUMNS = ["name", "role", "phone", "email"]
BANK_COLUMNS = ["bank", "account_number"]
ENGAGEMENT_COLUMNS = [
    "id",
    "contract_start",
    "contract_end",
    "scope",
    "archive_keeper",
    "archive_custodian",
    "state",
    "created_at",
]
ACCOUNT_COLUMNS = ["id", "code", "name", "parent_code", "category", "normal_side", "is_active"]
PERIOD_COLUMNS = ["id", "year", "month", "state", "closed_at", "reopened_at", "reopen_reason"]
VOUCHER_COLUMNS = ["id", "period", "number", "date", "fiscal_year", "kind", "state", "total", "posted_at"]
LINE_COLUMNS = ["voucher_id", "voucher_number", "period", "position", "account_code", "summary", "debit", "credit"]
BALANCE_COLUMNS = ["period", "account_code", "opening", "debit", "credit", "closing"]
DOCUMENT_COLUMNS = [
    "id",
    "fiscal_year",
    "archive_category",
    "title",
    "original_name",
    "content_type",
    "size",
    "voucher_id",
    "uploaded_at",
    "file_in_package",
]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(_text(row.get(column))) for column in columns])
    # With a BOM, so that spreadsheet programs read the Chinese text as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_name(name: str, fallback: str) -> str:
    """A file name for inside the zip: no directories, no control characters, not empty."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")[:120]
    return cleaned or fallback


@dataclass
class Tables:
    client: dict[str, Any]
    contacts: list[dict[str, Any]]
    bank_accounts: list[dict[str, Any]]
    engagements: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    periods: list[dict[str, Any]]
    vouchers: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    balances: list[dict[str, Any]]
    documents: list[dict[str, Any]]


def collect(client: Client) -> Tables:
    """Every record of the company, decrypted, as plain dictionaries (in memory, never written out)."""
    periods = {p.pk: p for p in AccountingPeriod.objects.filter(client=client).order_by("year", "month")}
    accounts = {a.pk: a for a in Account.objects.filter(client=client).select_related("parent").order_by("code")}
    # The standard accounts the company used, so that every code in the lines is explained.
    used_standard = Account.objects.filter(client__isnull=True, lines__client=client).distinct().order_by("code")
    account_rows = [
        {
            "id": a.pk,
            "code": a.code,
            "name": a.display_name,
            "parent_code": a.parent.code if a.parent is not None else "",
            "category": a.category,
            "normal_side": a.normal_side,
            "is_active": a.is_active,
        }
        for a in [*used_standard, *accounts.values()]
    ]

    def period_label(period_id: Any) -> str:
        period = periods.get(period_id)
        return f"{period.year}-{period.month:02d}" if period is not None else ""

    vouchers = list(
        Voucher.objects.filter(client=client).order_by("fiscal_year", "period__year", "period__month", "number")
    )
    numbers = {v.pk: v.number for v in vouchers}
    voucher_periods = {v.pk: v.period_id for v in vouchers}
    line_rows = [
        {
            "voucher_id": line.voucher_id,
            "voucher_number": numbers.get(line.voucher_id),
            "period": period_label(voucher_periods.get(line.voucher_id)),
            "position": line.position,
            "account_code": line.account.code,
            "summary": line.summary,
            "debit": line.debit,
            "credit": line.credit,
        }
        for line in VoucherLine.objects.filter(client=client)
        .select_related("account")
        .order_by("fiscal_year", "voucher__number", "voucher_id", "position")
    ]
    balance_rows = [
        {
            "period": period_label(balance.period_id),
            "account_code": balance.account.code,
            "opening": balance.opening,
            "debit": balance.debit,
            "credit": balance.credit,
            "closing": balance.closing,
        }
        for balance in AccountBalance.objects.filter(client=client)
        .select_related("account")
        .order_by("period_key", "account__code")
    ]
    document_rows = [
        {
            "id": d.pk,
            "fiscal_year": d.fiscal_year,
            "archive_category": d.archive_category,
            "title": d.title,
            "original_name": d.original_name,
            "content_type": d.content_type,
            "size": d.size,
            "voucher_id": d.voucher_id or "",
            "uploaded_at": d.uploaded_at,
            "stored_file_id": d.stored_file_id,
            "file_in_package": "",
        }
        for d in Document.objects.filter(client=client).order_by("fiscal_year", "uploaded_at", "pk")
    ]
    return Tables(
        client={
            "id": client.pk,
            "name": client.name,
            "credit_code": client.credit_code,
            "taxpayer_type": client.taxpayer_type,
            "address": client.address,
            "created_at": client.created_at,
        },
        contacts=list(client.contacts or []),
        bank_accounts=list(client.bank_accounts or []),
        engagements=[
            {
                "id": e.pk,
                "contract_start": e.contract_start,
                "contract_end": e.contract_end,
                "scope": e.scope,
                "archive_keeper": e.archive_keeper,
                "archive_custodian": e.archive_custodian,
                "state": e.state,
                "created_at": e.created_at,
            }
            for e in Engagement.objects.filter(client=client).order_by("contract_start")
        ],
        accounts=account_rows,
        periods=[
            {
                "id": p.pk,
                "year": p.year,
                "month": p.month,
                "state": p.state,
                "closed_at": p.closed_at,
                "reopened_at": p.reopened_at,
                "reopen_reason": p.reopen_reason,
            }
            for p in periods.values()
        ],
        vouchers=[
            {
                "id": v.pk,
                "period": period_label(v.period_id),
                "number": v.number,
                "date": v.date,
                "fiscal_year": v.fiscal_year,
                "kind": v.kind,
                "state": v.state,
                "total": v.total,
                "posted_at": v.posted_at,
            }
            for v in vouchers
        ],
        lines=line_rows,
        balances=balance_rows,
        documents=document_rows,
    )


def _json_default(value: Any) -> str:
    return _text(value)


def write_package(client: Client, out: IO[bytes] | Any, *, progress: Progress) -> int:
    """Write the zip into `out` (a write-only stream); returns the number of original files included.

    `progress(done, total)` is called after each step (tables first, then one step per file).
    """
    documents = list(Document.objects.filter(client=client, stored_file_id__isnull=False).order_by("pk"))
    total = 3 + len(documents)
    progress(0, total)
    tables = collect(client)
    progress(1, total)
    stored = StoredFile.objects.in_bulk([d.stored_file_id for d in documents])
    included = 0
    by_id = {str(row["id"]): row for row in tables.documents}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        for number, document in enumerate(documents, start=1):
            stored_file = stored.get(document.stored_file_id)
            if stored_file is not None:
                name = f"files/{document.pk}/{safe_name(document.original_name, 'document')}"
                info = zipfile.ZipInfo(name, date_time=timezone.localtime(document.uploaded_at).timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = stored_file.size
                with archive.open(info, "w", force_zip64=stored_file.size > 1 << 30) as target:
                    for chunk in open_decrypted(stored_file):
                        target.write(chunk)
                by_id[str(document.pk)]["file_in_package"] = name
                included += 1
            progress(1 + number, total)
        for row in tables.documents:
            row.pop("stored_file_id", None)
        lines_of: dict[Any, list[dict[str, Any]]] = {}
        for line in tables.lines:
            lines_of.setdefault(line["voucher_id"], []).append(line)
        data = {
            "format": "firmportal.data-copy/1",
            "generated_at": timezone.now(),
            "client": {**tables.client, "contacts": tables.contacts, "bank_accounts": tables.bank_accounts},
            "engagements": tables.engagements,
            "accounts": tables.accounts,
            "periods": tables.periods,
            "vouchers": [{**voucher, "lines": lines_of.get(voucher["id"], [])} for voucher in tables.vouchers],
            "balances": tables.balances,
            "documents": tables.documents,
        }
        archive.writestr(
            "data.json", json.dumps(data, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8")
        )
        progress(2 + len(documents), total)
        archive.writestr("csv/client.csv", _csv(CLIENT_COLUMNS, [tables.client]))
        archive.writestr("csv/contacts.csv", _csv(CONTACT_COLUMNS, tables.contacts))
        archive.writestr("csv/bank_accounts.csv", _csv(BANK_COLUMNS, tables.bank_accounts))
        archive.writestr("csv/engagements.csv", _csv(ENGAGEMENT_COLUMNS, tables.engagements))
        archive.writestr("csv/accounts.csv", _csv(ACCOUNT_COLUMNS, tables.accounts))
        archive.writestr("csv/periods.csv", _csv(PERIOD_COLUMNS, tables.periods))
        archive.writestr("csv/vouchers.csv", _csv(VOUCHER_COLUMNS, tables.vouchers))
        archive.writestr("csv/voucher_lines.csv", _csv(LINE_COLUMNS, tables.lines))
        archive.writestr("csv/balances.csv", _csv(BALANCE_COLUMNS, tables.balances))
        archive.writestr("csv/documents.csv", _csv(DOCUMENT_COLUMNS, tables.documents))
    progress(total, total)
    return included
