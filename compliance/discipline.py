"""Violations and recognition (奖惩): records the firm head and the compliance desk keep and see."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from compliance.errors import ComplianceError
from compliance.models import ComplianceAction, DisciplinaryAction, Incident, Recognition, Violation


def can_see_discipline(user: User) -> bool:
    return bool(user.has_perm("accounts.view_compliance_desk") or user.has_perm("accounts.receive_compliance_reports"))


@transaction.atomic
def record_violation(
    *,
    subject: User,
    incident: Incident | None,
    alert_ref: str,
    description: str,
    action: str,
    action_detail: str,
    actor: User,
    decided_on: date | None = None,
) -> Violation:
    alert_ref = alert_ref.strip()
    if incident is None and not alert_ref:
        raise ComplianceError(_("Link the violation to an incident or an alert."))
    if action not in DisciplinaryAction.values:
        raise ComplianceError(_("Choose the action taken."))
    if not description.strip():
        raise ComplianceError(_("Describe what was done."))
    if subject.pk == actor.pk:
        raise ComplianceError(_("You cannot decide on your own violation."))
    violation = Violation.objects.create(
        subject=subject,
        incident=incident,
        alert_ref=alert_ref,
        description=description.strip(),
        action=action,
        action_detail=action_detail.strip(),
        decided_on=decided_on or timezone.localdate(),
        decided_by=actor,
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.VIOLATION_RECORDED,
        target=violation,
        details={
            "subject": subject.pk,
            "incident": incident.pk if incident else None,
            "alert": alert_ref,
            "action": action,
        },
    )
    return violation


@transaction.atomic
def record_recognition(
    *, recipient: User, incident: Incident | None, description: str, actor: User, awarded_on: date | None = None
) -> Recognition:
    if not description.strip():
        raise ComplianceError(_("Describe the good practice."))
    recognition = Recognition.objects.create(
        recipient=recipient,
        incident=incident,
        description=description.strip(),
        awarded_on=awarded_on or timezone.localdate(),
        awarded_by=actor,
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.RECOGNITION_RECORDED,
        target=recognition,
        details={"recipient": recipient.pk},
    )
    return recognition
