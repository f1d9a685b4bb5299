"""Reports as xlsx (openpyxl) and PDF (reportlab), built in memory and returned as bytes: never written
to disk in plaintext (openpyxl's normal mode zips into the BytesIO; write-only mode would use temp files).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from clients.reports import GeneralLedgerAccount, Statement, TrialBalance

log = logging.getLogger("firmportal.exports")

Cell = str | Decimal | int | None


@dataclass
class ReportTable:
    title: str
    subtitle: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    bold_rows: set[int] = field(default_factory=set)


def _amount(value: Decimal | None) -> Decimal | None:
    return None if value is None or value == 0 else value


# --- Reports to tables -----------------------------------------------------------------------------


def trial_balance_table(report: TrialBalance, client_name: str) -> ReportTable:
    table = ReportTable(
        title=_("Trial balance"),
        subtitle=f"{client_name} · {report.year}-{report.month_from:02d} ~ {report.year}-{report.month_to:02d}",
        headers=[
            _("Code"),
            _("Account"),
            _("Opening debit"),
            _("Opening credit"),
            _("Debit"),
            _("Credit"),
            _("Closing debit"),
            _("Closing credit"),
        ],
    )
    rows = [*report.rows, *([report.total] if report.total else [])]
    for index, row in enumerate(rows):
        if row.level == 0:
            table.bold_rows.add(index)
        table.rows.append(
            [
                row.code,
                ("    " if row.level == 2 else "") + row.name,
                _amount(row.opening_debit),
                _amount(row.opening_credit),
                _amount(row.debit),
                _amount(row.credit),
                _amount(row.closing_debit),
                _amount(row.closing_credit),
            ]
        )
    return table


def ledger_table(accounts: list[GeneralLedgerAccount], title: str, subtitle: str) -> ReportTable:
    table = ReportTable(
        title=title,
        subtitle=subtitle,
        headers=[_("Date"), _("Voucher"), _("Summary"), _("Debit"), _("Credit"), _("Dr/Cr"), _("Balance")],
    )
    for account in accounts:
        table.bold_rows.add(len(table.rows))
        table.rows.append([f"{account.code} {account.name}", None, None, None, None, None, None])
        for entry in account.entries:
            table.rows.append(
                [
                    entry.date,
                    entry.voucher,
                    entry.summary,
                    entry.debit,
                    entry.credit,
                    entry.direction,
                    abs(entry.balance),
                ]
            )
    return table


def statement_table(statement: Statement, client_name: str) -> ReportTable:
    subtitle = f"{statement.form} · {client_name} · {statement.year}-{statement.month:02d}"
    headers = [_("Item"), _("Line"), statement.current_label, statement.comparative_label]
    table = ReportTable(title=statement.title, subtitle=subtitle, headers=headers)
    for row in [*statement.left, *statement.right]:
        if row.section:
            table.rows.append([row.section, None, None, None])
        if row.is_total:
            table.bold_rows.add(len(table.rows))
        label = ("    " if row.of_which else "") + row.label
        table.rows.append([label, row.number, row.current, row.comparative])
    return table


# --- xlsx --------------------------------------------------------------------------------------------


def to_xlsx(table: ReportTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([table.subtitle])
    sheet.append(table.headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for index, row in enumerate(table.rows):
        sheet.append(list(row))
        excel_row = sheet.max_row
        for cell in sheet[excel_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00;[Red]-#,##0.00"
            if index in table.bold_rows:
                cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (14, 34, 16, 16, 16, 16, 16, 16), strict=False):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------


def cjk_font() -> tuple[str, bool]:
    """(font name, embedded?) for Chinese text, from the one font helper all PDFs share."""
    from firmportal.pdf_fonts import cjk_font as shared

    font = shared()
    return font.name, font.embedded


def _pdf_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def to_pdf(table: ReportTable) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    font, _embedded = cjk_font()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=table.title,
    )
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, alignment=1)
    sub_style = ParagraphStyle("sub", fontName=font, fontSize=9, leading=12, alignment=1)
    data = [table.headers] + [[_pdf_text(v) for v in row] for row in table.rows]
    grid = LongTable(data, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for column in range(len(table.headers)):
        if any(isinstance(row[column], Decimal) for row in table.rows if column < len(row)):
            style.append(("ALIGN", (column, 1), (column, -1), "RIGHT"))
    for index in table.bold_rows:
        style.append(("BACKGROUND", (0, index + 1), (-1, index + 1), colors.HexColor("#f6f8fa")))
    grid.setStyle(TableStyle(style))
    # Paragraph parses markup: escape, since a client's name may hold "&" or "<".
    document.build(
        [
            Paragraph(escape(table.title), title_style),
            Paragraph(escape(table.subtitle), sub_style),
            Spacer(1, 4 * mm),
            grid,
        ]
    )
    return buffer.getvalue()
