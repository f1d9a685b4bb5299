"""Engagement end (移交) and erasure requests, checked against retention."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from retention import registers
from retention.models import Handover, HandoverState, ProcessingLock, RetentionAction
from retention.schedule import Category
from retention.services import RetentionRefused, _next_number, hold_reasons, period_years, volume_end
from retention.sources import Volume, all_sources


def client_volumes(client_id: Any) -> list[Volume]:
    return [v for source in all_sources() for v in source.volumes(client_id=client_id)]


def _package_aad(handover_id: Any) -> bytes:
    return f"retention.handover|{handover_id}".encode()


def _export_package(client: Any, volumes: list[Volume]) -> bytes:
    """A zip: metadata of every volume, and the vouchers and documents' metadata as CSV."""
    from clients.models import Document, VoucherLine

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        metadata = [
            {
                "category": v.category,
                "category_name": str(Category(v.category).label) if v.category in Category.values else v.category,
                "fiscal_year": v.fiscal_year,
                "records": v.record_count,
                "retention_end": str(volume_end(v) or "permanent"),
            }
            for v in volumes
        ]
        archive.writestr(
            "metadata.json", json.dumps({"client": str(client.pk), "volumes": metadata}, ensure_ascii=False, indent=2)
        )
        lines = io.StringIO()
        writer = csv.writer(lines)
        writer.writerow(["fiscal_year", "voucher_number", "date", "position", "account", "summary", "debit", "credit"])
        for line in (
            VoucherLine.objects.filter(client=client)
            .select_related("voucher", "account")
            .order_by("fiscal_year", "voucher__number", "position")
        ):
            writer.writerow(
                [
                    line.fiscal_year,
                    line.voucher.number,
                    line.voucher.date,
                    line.position,
                    line.account.code,
                    line.summary,
                    line.debit or "",
                    line.credit or "",
                ]
            )
        archive.writestr("vouchers.csv", lines.getvalue())
        docs = io.StringIO()
        writer = csv.writer(docs)
        writer.writerow(["fiscal_year", "category", "title", "original_name", "size"])
        for document in Document.objects.filter(client=client).order_by("fiscal_year"):
            writer.writerow(
                [document.fiscal_year, document.archive_category, document.title, document.original_name, document.size]
            )
        archive.writestr("documents.csv", docs.getvalue())
    return buffer.getvalue()


@transaction.atomic
def prepare_handover(*, client: Any, actor: User, firm_keeps_archives: bool | None = None) -> Handover:
    """The 会计档案移交清册 (kept 30 years) and an encrypted export package for the client."""
    from clients.models import ArchiveKeeper, Engagement

    if not actor.has_perm("accounts.manage_retention"):
        raise RetentionRefused(_("Only the archivist prepares a handover."))
    if firm_keeps_archives is None:
        engagement = Engagement.objects.filter(client=client).order_by("-contract_start").first()
        firm_keeps_archives = engagement is not None and engagement.archive_keeper == ArchiveKeeper.FIRM
    volumes = client_volumes(client.pk)
    handover = Handover(
        client=client,
        number=_next_number("YJ", Handover, timezone.localdate()),
        firm_keeps_archives=firm_keeps_archives,
        grace_days=int(settings.FIRMPORTAL_HANDOVER_GRACE_DAYS),
        prepared_by=actor,
    )
    handover.package = crypto.encrypt_bytes(
        KeyScope.for_client(client.pk), _package_aad(handover.pk), _export_package(client, volumes)
    )
    handover.save()
    rows = [["序号", "名称", "起止年度", "数量", "保管期限", "备注"]]
    for number, volume in enumerate(sorted(volumes, key=lambda v: (v.fiscal_year, v.category)), start=1):
        years = period_years(volume.category)
        rows.append(
            [
                str(number),
                str(Category(volume.category).label) if volume.category in Category.values else volume.category,
                f"{volume.fiscal_year}—{volume.fiscal_year}",
                str(volume.record_count),
                "永久" if years is None else f"{years}年",
                "电子会计档案",
            ]
        )
    registers.issue_handover_list(handover, client_name=str(client.name), rows=rows, actor=actor)
    audit.record(
        actor=actor,
        action=RetentionAction.HANDOVER_PREPARED,
        target=handover,
        client_ref=str(client.pk),
        details={"volumes": len(volumes), "firm_keeps_archives": firm_keeps_archives},
    )
    return handover


def read_package(handover: Handover) -> bytes:
    assert handover.package is not None
    return crypto.decrypt_bytes(
        _package_aad(handover.pk), bytes(handover.package), where=f"retention.handover#{handover.pk}"
    )


@transaction.atomic
def confirm_handover_receipt(handover: Handover, *, actor: User) -> Handover:
    """The client confirms receipt. If the firm does not keep the archives, its copy is scheduled
    for deletion after the grace period (through the destruction procedure), and the client's
    employees' personal data held only for the engagement is erased now (PIPL Art. 21); if it does,
    that personal data is locked (storage and security only)."""
    handover = Handover.objects.select_for_update().select_related("client").get(pk=handover.pk)
    if not actor.is_client_user or not handover.client.memberships.filter(user=actor).exists():
        raise RetentionRefused(_("Only the client confirms receipt."))
    if handover.state == HandoverState.RECEIVED:
        return handover
    handover.state = HandoverState.RECEIVED
    handover.received_by = actor
    handover.received_at = timezone.now()
    erased: list[str] = []
    if handover.firm_keeps_archives:
        _lock_engagement_personal_data(handover.client, actor=actor)
    else:
        handover.delete_after = timezone.localdate() + dt.timedelta(days=handover.grace_days)
        erased = _erase_engagement_personal_data(handover.client, actor=actor)
    handover.save()
    audit.record(
        actor=actor,
        action=RetentionAction.HANDOVER_RECEIVED,
        target=handover,
        client_ref=str(handover.client_id),
        details={"delete_after": str(handover.delete_after or ""), "personal_data_erased": erased},
    )
    return handover


def _erase_engagement_personal_data(client: Any, *, actor: User | None = None) -> list[str]:
    """Personal data of the client's people held only for the engagement (PIPL Art. 21): the
    contact persons are overwritten, and the employees' payroll data (names, ID numbers, bank
    accounts) is crypto-shredded: each engagement's employee key is destroyed, so no copy of it,
    in this database or any backup, decrypts again, then the rows are deleted."""
    from clients.models import Employee, employee_scope

    erased = []
    if client.contacts:
        client.contacts = []
        client.save(update_fields=["contacts"])
        erased.append("client.contacts")
    held = Employee.objects.filter(client=client).values_list("engagement_id", flat=True)
    engagements = sorted({str(engagement_id) for engagement_id in held})
    if engagements:
        keys = 0
        for engagement_id in engagements:
            keys += crypto.destroy_scope(
                employee_scope(client.pk, engagement_id), actor=actor, reason="engagement ended (PIPL Art. 21)"
            )
        rows, _by_model = Employee.objects.filter(client=client).delete()
        audit.record(
            actor=actor,
            action=RetentionAction.PERSONAL_DATA_SHREDDED,
            target=client,
            client_ref=str(client.pk),
            details={"engagements": engagements, "keys": keys, "rows": rows},
        )
        erased.append("clients.employee")
    return erased


def _lock_engagement_personal_data(client: Any, *, actor: User | None) -> None:
    """A retention duty applies (the firm keeps the archives, payroll records among them): the
    employees' data stays, locked (storage and security only, archivist alone)."""
    from clients.models import Employee

    ProcessingLock.objects.get_or_create(
        client_id=client.pk, category="", fiscal_year=None, defaults={"reason": "engagement_ended"}
    )
    count = Employee.objects.filter(client=client).count()
    if count:
        audit.record(
            actor=actor,
            action=RetentionAction.PERSONAL_DATA_LOCKED,
            target=client,
            client_ref=str(client.pk),
            details={"rows": count},
        )


@dataclass
class ErasureAssessment:
    erased: list[dict[str, str]] = field(default_factory=list)
    scheduled: list[dict[str, str]] = field(default_factory=list)
    locked: list[dict[str, str]] = field(default_factory=list)


@transaction.atomic
def assess_erasure(client: Any, *, actor: User) -> ErasureAssessment:
    """An erasure request checked against retention (PIPL Art. 47, GDPR Art. 17(3)(b)).

    Erases now what no retention duty covers (personal data held only for an ended engagement);
    volumes past retention go to the destruction procedure (appraisal, sign-off); volumes still
    under a retention period or a hold are locked: storage and security only, archivist alone.
    Returns each with its reason, in words the portal can show.
    """
    from clients.models import Engagement, EngagementState

    today = timezone.localdate()
    result = ErasureAssessment()
    active = Engagement.objects.filter(client=client, state=EngagementState.ACTIVE).exists()
    if active:
        result.locked.append({"what": _("Contact persons"), "why": _("Needed to perform the current contract.")})
    else:
        labels = {"client.contacts": _("Contact persons"), "clients.employee": _("Employees' payroll data")}
        for name in _erase_engagement_personal_data(client, actor=actor):
            result.erased.append({"what": labels.get(name, name), "why": _("No retention duty applies.")})
    for volume in client_volumes(client.pk):
        label = str(Category(volume.category).label) if volume.category in Category.values else volume.category
        what = f"{label} {volume.fiscal_year}"
        end = volume_end(volume)
        reasons = hold_reasons(volume, today=today)
        if end is not None and end < today and not reasons:
            result.scheduled.append(
                {"what": what, "why": _("Retention ended; destroyed after appraisal and sign-off.")}
            )
            continue
        if reasons:
            why = _("Held for an open matter (audit, litigation or unsettled balance).")
        elif end is None:
            why = _("Kept permanently under the Accounting Archives Measures.")
        else:
            why = _("Kept until %(date)s under the Accounting Archives Measures.") % {"date": end.isoformat()}
        if active:
            # The books are still being kept under the contract: a lock would stop that work. The
            # volumes are locked when the engagement ends (handover) or a later request comes.
            result.locked.append({"what": what, "why": _("Needed to perform the current contract.") + " " + why})
            continue
        ProcessingLock.objects.update_or_create(
            client_id=client.pk,
            category=volume.category,
            fiscal_year=volume.fiscal_year,
            defaults={"reason": "erasure_request", "until": end},
        )
        result.locked.append({"what": what, "why": why})
    audit.record(
        actor=actor,
        action=RetentionAction.ERASURE_ASSESSED,
        target=client,
        client_ref=str(client.pk),
        details={"erased": len(result.erased), "scheduled": len(result.scheduled), "locked": len(result.locked)},
    )
    return result
