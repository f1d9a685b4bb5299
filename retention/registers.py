"""The permanent registers: 鉴定意见书, 销毁清册, destruction certificate, 移交清册 (PDF and xlsx).

Rendered in memory (never a temp file), encrypted with the firm's register key, stored in
`Register` rows that the database refuses to delete or alter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from retention.models import (
    REGISTER_SCOPE,
    AppraisalBatch,
    AppraisalItem,
    Decision,
    DestructionList,
    Register,
    RegisterKind,
)
from retention.schedule import Category, years_kept

KIND_CATEGORY = {
    RegisterKind.APPRAISAL_OPINION: Category.APPRAISAL_OPINION,
    RegisterKind.DESTRUCTION_LIST: Category.DESTRUCTION_REGISTER,
    RegisterKind.DESTRUCTION_CERTIFICATE: Category.DESTRUCTION_REGISTER,
    RegisterKind.HANDOVER_LIST: Category.HANDOVER_LIST,
}

DESTRUCTION_COLUMNS = ["卷号", "名称", "档案编号", "起止年度", "册数", "应保管期限", "已保管期限", "销毁时间"]


def register_scope() -> KeyScope:
    return KeyScope.for_firm(REGISTER_SCOPE)


def _aad(register_id: uuid.UUID) -> bytes:
    return f"retention.register|{register_id}".encode()


def read_content(register: Register) -> bytes:
    return crypto.decrypt_bytes(_aad(register.pk), bytes(register.content), where=f"retention.register#{register.pk}")


def _store(*, kind: str, fmt: str, title: str, subject_id: uuid.UUID, data: bytes, actor: Any) -> Register | None:
    """Store one register once; a second attempt for the same subject is a no-op (returns None)."""
    register_id = uuid.uuid4()
    try:
        with transaction.atomic():
            return Register.objects.create(
                id=register_id,
                kind=kind,
                fmt=fmt,
                title=title,
                category=KIND_CATEGORY[RegisterKind(kind)],
                subject_id=subject_id,
                content=crypto.encrypt_bytes(register_scope(), _aad(register_id), data),
                sha256=hashlib.sha256(data).hexdigest(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None


# --- Rendering ------------------------------------------------------------------------------------


def _font() -> str:
    """The shared PDF font (a TrueType CJK font, embedded; see firmportal.pdf_fonts)."""
    from firmportal.pdf_fonts import cjk_font

    return cjk_font().name


def render_pdf(title: str, lines: Sequence[str], table: Sequence[Sequence[str]] | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title, invariant=True)
    heading = ParagraphStyle("h", fontName=font, fontSize=16, leading=22, wordWrap="CJK")
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    story: list[Any] = [Paragraph(title, heading), Spacer(1, 8)]
    story.extend(Paragraph(_escape(line), body) for line in lines)
    if table:
        story.append(Spacer(1, 8))
        cells = [[Paragraph(_escape(str(cell)), body) for cell in row] for row in table]
        grid = Table(cells, repeatRows=1)
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(grid)
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_xlsx(title: str, lines: Sequence[str], table: Sequence[Sequence[str]] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "register"
    sheet.append([title])
    for line in lines:
        sheet.append([line])
    sheet.append([])
    for row in table or []:
        sheet.append(list(row))
    # Fixed document properties, so the same register renders to the same bytes.
    book.properties.created = dt.datetime(2000, 1, 1)  # noqa: DTZ001
    book.properties.modified = dt.datetime(2000, 1, 1)  # noqa: DTZ001
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Contents ---------------------------------------------------------------------------------------


def _client_name(client_id: uuid.UUID) -> str:
    from clients.models import Client

    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return str(client_id)
    try:
        return str(client.name)
    except crypto.DecryptionError:
        return str(client_id)


def _period_text(years: int | None) -> str:
    return "永久" if years is None else f"{years}年"


def _category_text(code: str) -> str:
    try:
        return str(Category(code).label)
    except ValueError:
        return code


def destruction_rows(dlist: DestructionList, *, today: dt.date | None = None) -> list[list[str]]:
    """The rows of the 销毁清册 with the fields the 办法 names."""
    today = today or timezone.localdate()
    names: dict[uuid.UUID, str] = {}
    rows = [DESTRUCTION_COLUMNS]
    executed = timezone.localtime(dlist.executed_at).strftime("%Y-%m-%d %H:%M") if dlist.executed_at else ""
    for item in dlist.items().order_by("volume_no"):
        if item.client_id not in names:
            names[item.client_id] = _client_name(item.client_id)
        rows.append(
            [
                str(item.volume_no),
                f"{names[item.client_id]} {_category_text(item.category)}",
                item.archive_code,
                f"{item.fiscal_year}—{item.fiscal_year}",
                f"{item.record_count}",
                _period_text(item.period_years),
                f"{years_kept(item.fiscal_year, today=today)}年",
                executed,
            ]
        )
    return rows


def issue_appraisal_opinion(batch: AppraisalBatch, *, actor: Any) -> None:
    items = list(batch.items.all())
    names = {item.client_id: _client_name(item.client_id) for item in items}
    title = f"会计档案鉴定意见书 {batch.number}"
    lines = [
        f"鉴定日期: {timezone.localdate():%Y-%m-%d}; 鉴定依据: 会计档案管理办法 (2015) 附表一",
        f"鉴定人: {actor}",
        f"应销毁 {sum(1 for i in items if i.decision == Decision.DESTROY)} 卷; "
        f"延长保管 {sum(1 for i in items if i.decision == Decision.EXTEND)} 卷; "
        f"未了事项留存 {sum(1 for i in items if i.decision == Decision.HELD)} 卷 (单独列示, 不得销毁)",
    ]
    table = [["名称", "起止年度", "应保管期限", "到期日", "鉴定意见", "新保管期限"]]
    for group in (Decision.DESTROY, Decision.EXTEND, Decision.HELD):
        for item in items:
            if item.decision != group:
                continue
            table.append(
                [
                    f"{names[item.client_id]} {_category_text(item.category)}",
                    str(item.fiscal_year),
                    _period_text(item.period_years),
                    f"{item.retention_end:%Y-%m-%d}",
                    _decision_text(item),
                    _period_text(item.new_period_years) if item.new_period_years else "",
                ]
            )
    for fmt, render in (("pdf", render_pdf), ("xlsx", render_xlsx)):
        _store(
            kind=RegisterKind.APPRAISAL_OPINION,
            fmt=fmt,
            title=f"鉴定意见书 {batch.number}",
            subject_id=batch.pk,
            data=render(title, lines, table),
            actor=actor,
        )


def _decision_text(item: AppraisalItem) -> str:
    if item.decision == Decision.DESTROY:
        return "到期可以销毁"
    if item.decision == Decision.EXTEND:
        return "仍需保存, 延长保管期限"
    reasons = {reason.split(":", 1)[0] for reason in item.hold_reasons}
    text = []
    if "open_balance" in reasons:
        text.append("涉及未结清的债权债务")
    if "hold" in reasons:
        text.append("冻结 (税务检查/诉讼/调查/未了事项)")
    if "open_matter" in reasons:
        text.append("账簿中标记的未了事项")
    return "不得销毁: " + "; ".join(text or ["未了事项"])


def issue_destruction_registers(dlist: DestructionList) -> None:
    """销毁清册 (with destruction times and signatures) and the destruction certificate, once."""
    rows = destruction_rows(dlist)
    signatures = [
        f"{s.slot.label}: {s.signer} ({timezone.localtime(s.signed_at):%Y-%m-%d})"
        for s in dlist.signatures.select_related("slot", "signer")
    ]
    supervisors = [
        f"监销人 {s.slot.label}: {s.supervisor}" for s in dlist.supervisions.select_related("slot", "supervisor")
    ]
    header = [
        f"清册编号: {dlist.number}; 鉴定批次: {dlist.batch.number}; 编制人: {dlist.prepared_by}",
        "电子会计档案" if dlist.electronic else "纸质会计档案",
        *signatures,
        *supervisors,
    ]
    for fmt, render in (("pdf", render_pdf), ("xlsx", render_xlsx)):
        _store(
            kind=RegisterKind.DESTRUCTION_LIST,
            fmt=fmt,
            title=f"销毁清册 {dlist.number}",
            subject_id=dlist.pk,
            data=render(f"会计档案销毁清册 {dlist.number}", header, rows),
            actor=None,
        )
    executed = timezone.localtime(dlist.executed_at) if dlist.executed_at else timezone.localtime()
    certificate = [
        f"兹证明: 销毁清册 {dlist.number} 所列 {len(rows) - 1} 卷会计档案已于 {executed:%Y-%m-%d %H:%M} 销毁。",
        "销毁方式: 销毁各卷数据密钥 (加密粉碎, 备份中的副本随之不可解密), "
        "随后删除数据库记录、文件、索引、缓存余额与对象权限。",
        *signatures,
        *supervisors,
    ]
    for fmt, render in (("pdf", render_pdf), ("xlsx", render_xlsx)):
        _store(
            kind=RegisterKind.DESTRUCTION_CERTIFICATE,
            fmt=fmt,
            title=f"销毁证明 {dlist.number}",
            subject_id=dlist.pk,
            data=render(f"会计档案销毁证明 {dlist.number}", certificate, None),
            actor=None,
        )


def issue_handover_list(handover: Any, *, client_name: str, rows: list[list[str]], actor: Any) -> None:
    title = f"会计档案移交清册 {handover.number}"
    lines = [
        f"移交单位: {client_name}",
        f"移交日期: {timezone.localdate():%Y-%m-%d}; 移交人: {actor}",
        "保管期限: 30年 (会计档案管理办法 附表一)",
    ]
    for fmt, render in (("pdf", render_pdf), ("xlsx", render_xlsx)):
        _store(
            kind=RegisterKind.HANDOVER_LIST,
            fmt=fmt,
            title=f"移交清册 {handover.number}",
            subject_id=handover.pk,
            data=render(title, lines, rows),
            actor=actor,
        )
