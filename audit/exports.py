"""Exporting the audit trail (xlsx or CSV) from the compliance desk; every export is itself audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import User
from audit import queries
from audit import services as audit
from audit.models import AuditAction

MAX_ROWS = 20_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Plain values; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, list | dict):
        value = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows(kind: str, filters: queries.Filters) -> tuple[list[str], Iterable[list[Any]]]:
    if kind == "domain":
        header = [_("Time"), _("Person"), _("Role"), _("Action"), _("Target"), _("Client"), _("Request id"), _("IP")]
        domain = queries.domain_events(filters)[:MAX_ROWS]
        return header, (
            [e.occurred_at, e.actor_label, e.actor_role, e.action, f"{e.target_type} {e.target_id}".strip(),
             e.client_ref, e.request_id, e.ip_address]
            for e in domain.iterator()
        )  # fmt: skip
    if kind == "changelog":
        header = [_("Time"), _("Person"), _("Action"), _("Record"), _("Fields changed"), _("Request id")]
        entries = queries.change_log(filters)[:MAX_ROWS]
        return header, (
            [e.timestamp, e.actor.get_username() if e.actor else "", e.get_action_display(),
             f"{e.content_type.app_label}.{e.content_type.model} {e.object_pk}", sorted((e.changes or {}).keys()),
             e.cid]
            for e in entries.iterator()
        )  # fmt: skip
    header = [_("Time"), _("Person"), _("Role"), _("Action"), _("Client"), _("Object type"), _("Objects"),
              _("Purpose"), _("Page"), _("Request id"), _("IP"), _("User agent")]  # fmt: skip
    access = queries.access_events(filters)[:MAX_ROWS]
    return header, (
        [e.occurred_at, e.actor_label, e.actor_role, e.action, e.client_ref, e.object_type, e.object_ids, e.purpose,
         e.path_name, e.request_id, e.ip_address, e.user_agent]
        for e in access.iterator()
    )  # fmt: skip


@transaction.atomic
def export_audit(
    *, kind: str, filters: queries.Filters, file_format: str, actor: User, request: HttpRequest | None = None
) -> tuple[bytes, str, str]:
    """The filtered trail as a file: (content, filename, content type). Records who exported what."""
    header, body = rows(kind, filters)
    count = 0
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = kind
        sheet.append(header)
        for row in body:
            sheet.append([_cell(value) for value in row])
            count += 1
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        for row in body:
            writer.writerow([_cell(value) for value in row])
            count += 1
        # A BOM so that spreadsheet programs read the Chinese text as UTF-8.
        content = ("\ufeff" + text.getvalue()).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
        file_format = "csv"
    audit.record(
        actor=actor,
        action=AuditAction.AUDIT_EXPORTED,
        client_ref=filters.client_ref,
        details={
            "kind": kind,
            "format": file_format,
            "rows": count,
            "person_id": filters.person.pk if filters.person else None,
            "action": filters.action,
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
        },
        request=request,
    )
    return content, f"audit-{kind}.{file_format}", content_type
