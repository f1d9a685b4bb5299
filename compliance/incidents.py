"""Incidents and drills: report, triage, contain, compute and review affected clients, notify
(PIPL Art. 57), report to the authority, review. Every step is a service and a timeline entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import User
from audit import services as audit
from audit.models import AccessEvent
from compliance.errors import ComplianceError
from compliance.models import (
    AffectedClient,
    BreachNotice,
    ComplianceAction,
    Incident,
    IncidentEvent,
    IncidentStatus,
    TimelineKind,
)


def _step(incident: Incident, *, kind: str, actor: User | None, text: str = "") -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, at=timezone.now(), actor=actor, kind=kind, text=text)


def _officer_emails() -> list[str]:
    from compliance.queries import compliance_officers

    return [u.email for u in compliance_officers()]


def _refuse_if_closed(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise ComplianceError(_("This incident is closed."))


@transaction.atomic
def report_incident(
    *, title: str, description: str, actor: User, is_drill: bool = False, scheduled_for: date | None = None
) -> Incident:
    """Any staff member reports; the compliance officers are told (without the details) after commit."""
    from compliance.services import _mail_after_commit

    if not (title.strip() and description.strip()):
        raise ComplianceError(_("Say briefly what happened."))
    incident = Incident.objects.create(
        title=title.strip(),
        description=description.strip(),
        is_drill=is_drill,
        scheduled_for=scheduled_for,
        reported_by=actor,
        reported_at=timezone.now(),
    )
    _step(incident, kind=TimelineKind.REPORTED, actor=actor)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_REPORTED, target=incident, details={"drill": is_drill})
    label = _("Drill") if is_drill else _("Incident")
    _mail_after_commit(
        subject=_("%(label)s #%(id)s reported") % {"label": label, "id": incident.pk},
        body=_("A new %(label)s (#%(id)s) was reported. Open the compliance desk in FirmPortal to triage it.")
        % {"label": label, "id": incident.pk},
        recipients=_officer_emails(),
    )
    return incident


@transaction.atomic
def triage_incident(
    incident: Incident,
    *,
    severity: str,
    window_start: datetime | None,
    window_end: datetime | None,
    suspect: User | None,
    actor: User,
) -> Incident:
    _refuse_if_closed(incident)
    if window_start and window_end and window_end < window_start:
        raise ComplianceError(_("The end of the window must not be before its start."))
    incident.severity = severity
    incident.window_start = window_start
    incident.window_end = window_end
    incident.suspect = suspect
    if incident.status == IncidentStatus.REPORTED:
        incident.status = IncidentStatus.INVESTIGATING
    incident.save(update_fields=["severity", "window_start", "window_end", "suspect", "status"])
    _step(
        incident,
        kind=TimelineKind.TRIAGED,
        actor=actor,
        text=_("Severity %(severity)s; window %(start)s - %(end)s; suspect %(suspect)s")
        % {
            "severity": incident.get_severity_display(),
            "start": window_start.isoformat() if window_start else "-",
            "end": window_end.isoformat() if window_end else "-",
            "suspect": suspect.get_username() if suspect else "-",
        },
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.INCIDENT_UPDATED,
        target=incident,
        details={"severity": severity, "suspect": suspect.pk if suspect else None},
    )
    return incident


@transaction.atomic
def add_note(incident: Incident, *, text: str, actor: User) -> IncidentEvent:
    if not text.strip():
        raise ComplianceError(_("Write the note first."))
    event = _step(incident, kind=TimelineKind.NOTE, actor=actor, text=text.strip())
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_UPDATED, target=incident, details={"note": event.pk})
    return event


# --- Containment ----------------------------------------------------------------------------------


@transaction.atomic
def suspend_user(incident: Incident, *, user: User, actor: User) -> None:
    """One-click containment: deactivate the account and end all its sessions at once."""
    _refuse_if_closed(incident)
    if user.pk == actor.pk:
        raise ComplianceError(_("You cannot suspend yourself."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    account_services.end_all_sessions(user, actor=actor, reason="incident_suspension")
    if incident.status in (IncidentStatus.REPORTED, IncidentStatus.INVESTIGATING):
        incident.status = IncidentStatus.CONTAINED
        incident.save(update_fields=["status"])
    _step(
        incident,
        kind=TimelineKind.CONTAINMENT,
        actor=actor,
        text=_("Suspended %(user)s and ended all their sessions.") % {"user": user.get_username()},
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.INCIDENT_CONTAINMENT,
        target=incident,
        details={"action": "suspend_user", "user": user.pk},
    )


# Containment actions other slices provide. Each takes (incident, target, actor) and must itself be
# a service that audits; the incident page shows a button for each registered action.
#   "offboard_user"      <- the offboarding slice (full offboarding: access, sessions, tokens)
#   "revoke_grants"      <- the access-control slice (temporary/emergency grants of a user)
#   "rotate_client_keys" <- the confidentiality slice (rotate one client's keys)
@transaction.atomic
def offboard_suspect(incident: Incident, *, actor: User) -> None:
    """Full offboarding of the incident's suspect: access, grants, tokens and sessions, at once."""
    from django.core.exceptions import ValidationError

    from confidentiality import access_services

    _refuse_if_closed(incident)
    if incident.suspect is None:
        raise ComplianceError(_("Name the person concerned in the triage first."))
    try:
        access_services.offboard_staff(user=incident.suspect, actor=actor)
    except ValidationError as error:
        raise ComplianceError(" ".join(error.messages)) from error
    _contained(
        incident,
        actor=actor,
        action="offboard_user",
        text=_("Offboarded %(user)s.") % {"user": incident.suspect.get_username()},
    )


@transaction.atomic
def revoke_suspect_grants(incident: Incident, *, actor: User) -> int:
    """End every temporary or emergency grant the suspect holds or has asked for."""
    from confidentiality import access_services
    from confidentiality.models import AccessGrant, GrantState

    _refuse_if_closed(incident)
    if incident.suspect is None:
        raise ComplianceError(_("Name the person concerned in the triage first."))
    grants = AccessGrant.objects.filter(user=incident.suspect, state__in=(GrantState.APPROVED, GrantState.PENDING))
    ended = 0
    for grant in grants:
        access_services.end_access_grant(grant, actor=actor, reason=f"incident {incident.pk}")
        ended += 1
    _contained(incident, actor=actor, action="revoke_grants", text=_("Ended %(n)s access grants.") % {"n": ended})
    return ended


@transaction.atomic
def rotate_affected_client_keys(incident: Incident, *, actor: User) -> int:
    """Start key rotation for every client reviewed as affected (the jobs run after commit)."""
    from confidentiality import rotation

    _refuse_if_closed(incident)
    client_refs = list(incident.affected.filter(included=True).values_list("client_ref", flat=True))
    if not client_refs:
        raise ComplianceError(_("Review the affected clients first: none is included yet."))
    jobs = 0
    for client_ref in client_refs:
        try:
            jobs += len(rotation.start_client_rotation(client_ref, actor=actor))
        except rotation.RotationError:
            continue  # a client without keys has nothing to rotate
    _contained(incident, actor=actor, action="rotate_client_keys", text=_("Started %(n)s key rotations.") % {"n": jobs})
    return jobs


def _contained(incident: Incident, *, actor: User, action: str, text: str) -> None:
    if incident.status in (IncidentStatus.REPORTED, IncidentStatus.INVESTIGATING):
        incident.status = IncidentStatus.CONTAINED
        incident.save(update_fields=["status"])
    _step(incident, kind=TimelineKind.CONTAINMENT, actor=actor, text=text)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_CONTAINMENT, target=incident, details={"action": action})


CONTAINMENT_HOOKS: dict[str, Callable[..., object]] = {
    "offboard_user": offboard_suspect,
    "revoke_grants": revoke_suspect_grants,
    "rotate_client_keys": rotate_affected_client_keys,
}


# --- Affected clients ------------------------------------------------------------------------------


@transaction.atomic
def compute_affected_clients(incident: Incident, *, actor: User) -> int:
    """Every client whose data was read in the window (by the suspect, when one is named).

    Existing review decisions are kept; new clients come in undecided. Returns the number found.
    """
    _refuse_if_closed(incident)
    if not (incident.window_start and incident.window_end):
        raise ComplianceError(_("Set the time window in the triage first."))
    reads = AccessEvent.objects.filter(
        occurred_at__gte=incident.window_start, occurred_at__lte=incident.window_end
    ).exclude(client_ref="")
    if incident.suspect_id:
        reads = reads.filter(actor_id=incident.suspect_id)
    found = 0
    for row in reads.values("client_ref").annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at")):
        AffectedClient.objects.update_or_create(
            incident=incident,
            client_ref=row["client_ref"],
            defaults={"access_count": row["n"], "first_access": row["first"], "last_access": row["last"]},
        )
        found += 1
    _step(
        incident,
        kind=TimelineKind.AFFECTED_COMPUTED,
        actor=actor,
        text=_("%(n)s clients read in the window.") % {"n": found},
    )
    audit.record(
        actor=actor, action=ComplianceAction.INCIDENT_AFFECTED_COMPUTED, target=incident, details={"found": found}
    )
    return found


@transaction.atomic
def review_affected_client(affected: AffectedClient, *, include: bool, actor: User) -> AffectedClient:
    _refuse_if_closed(affected.incident)
    if BreachNotice.objects.filter(incident=affected.incident, client_ref=affected.client_ref).exists():
        raise ComplianceError(_("A notice has already been issued to this client."))
    affected.included = include
    affected.reviewed_by = actor
    affected.reviewed_at = timezone.now()
    affected.save(update_fields=["included", "reviewed_by", "reviewed_at"])
    _step(
        affected.incident,
        kind=TimelineKind.AFFECTED_REVIEWED,
        actor=actor,
        text=(_("Included %(ref)s") if include else _("Excluded %(ref)s")) % {"ref": affected.client_ref},
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.INCIDENT_AFFECTED_REVIEWED,
        target=affected.incident,
        client_ref=affected.client_ref,
        details={"included": include},
    )
    return affected


# --- Notices ---------------------------------------------------------------------------------------

NOTICE_FIELDS = ("data_kinds", "cause", "possible_harm", "remedies", "client_actions", "contact")


@transaction.atomic
def set_notice_content(incident: Incident, *, actor: User, **content: str) -> Incident:
    _refuse_if_closed(incident)
    for name in NOTICE_FIELDS:
        setattr(incident, name, str(content.get(name, "")).strip())
    incident.save(update_fields=list(NOTICE_FIELDS))
    _step(incident, kind=TimelineKind.NOTICE_CONTENT, actor=actor)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_UPDATED, target=incident, details={"notice": True})
    return incident


def render_notice(incident: Incident, client_ref: str) -> str:
    """The notice text (PIPL Art. 57): kinds of data, cause, possible harm, remedies, what to do, contact."""
    # In the firm's language (Chinese), whatever language the officer's browser uses.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "compliance/breach_notice.txt", {"incident": incident, "client_ref": client_ref}
        ).strip()


def client_contact_emails(client_ref: str) -> list[str]:
    """Addresses of the client's active users (owner, finance contact).

    `client_ref` is the client's id, as in the access log. A deployment may set
    `COMPLIANCE_CLIENT_CONTACTS_RESOLVER` to a dotted path of `f(client_ref) -> list[str]` instead.
    """
    path = getattr(settings, "COMPLIANCE_CLIENT_CONTACTS_RESOLVER", "")
    if path:
        module, _sep, name = path.rpartition(".")
        resolver: Callable[[str], list[str]] = getattr(import_module(module), name)
        return list(resolver(client_ref))
    from clients.models import ClientMembership

    try:
        client_id = uuid.UUID(client_ref)
    except ValueError:
        return []
    emails = ClientMembership.objects.filter(client_id=client_id, user__is_active=True).values_list(
        "user__email", flat=True
    )
    return sorted({e for e in emails if e})


@transaction.atomic
def issue_breach_notices(incident: Incident, *, actor: User) -> int:
    """A notice for every included client not yet notified. Real incidents also e-mail the client that
    a notice waits in the portal (the e-mail holds no content); drills never e-mail clients."""
    from compliance.services import _mail_after_commit

    _refuse_if_closed(incident)
    if not incident.notice_complete:
        raise ComplianceError(_("Fill in every part of the notice first."))
    affected = list(incident.affected.all())
    if not affected:
        raise ComplianceError(_("No affected clients: compute them from the access log first."))
    if any(a.included is None for a in affected):
        raise ComplianceError(_("Review every affected client (include or exclude) first."))
    issued = 0
    now = timezone.now()
    for row in affected:
        if not row.included or BreachNotice.objects.filter(incident=incident, client_ref=row.client_ref).exists():
            continue
        notice = BreachNotice.objects.create(
            incident=incident,
            client_ref=row.client_ref,
            body=render_notice(incident, row.client_ref),
            is_drill=incident.is_drill,
            created_at=now,
        )
        audit.record(
            actor=actor,
            action=ComplianceAction.BREACH_NOTICE_ISSUED,
            target=notice,
            client_ref=row.client_ref,
            details={"incident": incident.pk, "drill": incident.is_drill},
        )
        if not incident.is_drill:
            recipients = client_contact_emails(row.client_ref)
            if recipients:
                notice.emailed_at = now
                notice.save(update_fields=["emailed_at"])
                _mail_after_commit(
                    subject=_("You have a notice from your bookkeeping firm"),
                    body=_(
                        "There is an important notice for you in the FirmPortal client portal. Please sign in "
                        "to read it. For your security, this e-mail does not contain its content."
                    ),
                    recipients=recipients,
                )
        issued += 1
    incident.status = IncidentStatus.NOTIFIED
    incident.save(update_fields=["status"])
    _step(incident, kind=TimelineKind.NOTICES_ISSUED, actor=actor, text=_("%(n)s notices.") % {"n": issued})
    return issued


@transaction.atomic
def generate_authority_report(incident: Incident, *, actor: User) -> bytes:
    """The report to the authority (PDF); the generation is a step on the timeline."""
    from compliance.pdf import incident_authority_report_pdf

    _step(incident, kind=TimelineKind.AUTHORITY_REPORT, actor=actor)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_AUTHORITY_REPORT, target=incident)
    return incident_authority_report_pdf(incident)


@transaction.atomic
def record_review(incident: Incident, *, lessons: str, actor: User) -> Incident:
    if not lessons.strip():
        raise ComplianceError(_("Write down the lessons learned."))
    incident.lessons = lessons.strip()
    incident.reviewed_at = timezone.now()
    incident.save(update_fields=["lessons", "reviewed_at"])
    _step(incident, kind=TimelineKind.REVIEW, actor=actor, text=incident.lessons)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_REVIEWED, target=incident)
    return incident


@transaction.atomic
def close_incident(incident: Incident, *, actor: User) -> Incident:
    _refuse_if_closed(incident)
    if incident.reviewed_at is None:
        raise ComplianceError(_("Record the post-incident review before closing."))
    incident.status = IncidentStatus.CLOSED
    incident.closed_at = timezone.now()
    incident.save(update_fields=["status", "closed_at"])
    _step(incident, kind=TimelineKind.CLOSED, actor=actor)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_CLOSED, target=incident)
    return incident
