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
    NoticeState,
    TimelineKind,
)


def _step(incident: Incident, *, kind: str, actor: User | None, text: str = "") -> IncidentEvent:
    event = IncidentEvent.objects.create(incident=incident, at=timezone.now(), actor=actor, kind=kind)
    # The text is encrypted with the row id bound in: it is written once the row has one.
    event.text = text
    event.save(update_fields=["text"])
    return event


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
    from firmportal.mail import mail_after_commit

    if not (title.strip() and description.strip()):
        raise ComplianceError(_("Say briefly what happened."))
    incident = Incident.objects.create(
        title=title.strip(),
        is_drill=is_drill,
        scheduled_for=scheduled_for,
        reported_by=actor,
        reported_at=timezone.now(),
    )
    # Encrypted with the row id bound in: written once the row has one.
    incident.description = description.strip()
    incident.save(update_fields=["description"])
    _step(incident, kind=TimelineKind.REPORTED, actor=actor)
    audit.record(actor=actor, action=ComplianceAction.INCIDENT_REPORTED, target=incident, details={"drill": is_drill})
    label = _("Drill") if is_drill else _("Incident")
    mail_after_commit(
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


def _client_name(client_ref: str) -> str:
    """The company's name for the notice's salutation (the notice itself is encrypted), else the ref."""
    from clients.models import Client

    try:
        client = Client.objects.filter(pk=uuid.UUID(client_ref)).first()
    except ValueError:
        client = None
    return client.name if client is not None else client_ref


def render_notice(incident: Incident, client_ref: str, *, details: str = "") -> str:
    """The notice text (PIPL Art. 57): kinds of data, cause, possible harm, remedies, what to do, contact,
    and what concerns this client in particular."""
    # In the firm's language (Chinese), whatever language the officer's browser uses.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "compliance/breach_notice.txt",
            {
                "incident": incident,
                "client_ref": client_ref,
                "client_name": _client_name(client_ref),
                "details": details.strip(),
            },
        ).strip()


def default_client_details(affected: AffectedClient) -> str:
    """What the access log says about this client in the window: the officer reviews and completes it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Our access log records %(n)s reads of your company's records in the period of the incident, "
            "between %(first)s and %(last)s."
        ) % {
            "n": affected.access_count,
            "first": _local(affected.first_access),
            "last": _local(affected.last_access),
        }


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


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


def notice_url(notice: BreachNotice) -> str:
    """Where the client reads the notice: absolute when `FIRMPORTAL_SITE_URL` is set, else the path."""
    from django.urls import reverse

    path = reverse("portal:breach-notice", kwargs={"notice_id": notice.pk})
    return getattr(settings, "FIRMPORTAL_SITE_URL", "").rstrip("/") + path


def _refuse_unless_ready(incident: Incident) -> None:
    _refuse_if_closed(incident)
    if not incident.notice_complete:
        raise ComplianceError(_("Fill in every part of the notice first."))


@transaction.atomic
def compose_breach_notices(incident: Incident, *, actor: User) -> int:
    """A draft notice for every client reviewed as affected that has none yet, prefilled with what the
    access log says about that client. Nothing reaches a client until the officer publishes each one."""
    _refuse_unless_ready(incident)
    affected = list(incident.affected.all())
    if not affected:
        raise ComplianceError(_("No affected clients: compute them from the access log first."))
    if any(a.included is None for a in affected):
        raise ComplianceError(_("Review every affected client (include or exclude) first."))
    existing = set(incident.notices.values_list("client_ref", flat=True))
    composed = 0
    now = timezone.now()
    for row in affected:
        if not row.included or row.client_ref in existing:
            continue
        notice = BreachNotice(
            incident=incident,
            client_ref=row.client_ref,
            state=NoticeState.DRAFT,
            is_drill=incident.is_drill,
            created_at=now,
        )
        notice.client_details = default_client_details(row)
        notice.body = render_notice(incident, row.client_ref, details=notice.client_details)
        notice.save(force_insert=True)
        audit.record(
            actor=actor,
            action=ComplianceAction.BREACH_NOTICE_ISSUED,
            target=notice,
            client_ref=row.client_ref,
            details={"incident": incident.pk, "drill": incident.is_drill, "state": NoticeState.DRAFT},
        )
        composed += 1
    _step(incident, kind=TimelineKind.NOTICES_COMPOSED, actor=actor, text=_("%(n)s draft notices.") % {"n": composed})
    return composed


def _refuse_unless_draft(notice: BreachNotice) -> None:
    _refuse_if_closed(notice.incident)
    if notice.state != NoticeState.DRAFT:
        raise ComplianceError(_("This notice is already published and can no longer be changed."))


@transaction.atomic
def revise_breach_notice(notice: BreachNotice, *, client_details: str, actor: User) -> BreachNotice:
    """The officer's review of one client's draft: what concerns this client, in their words."""
    notice = BreachNotice.objects.select_for_update().select_related("incident").get(pk=notice.pk)
    _refuse_unless_draft(notice)
    if not client_details.strip():
        raise ComplianceError(_("Say what concerns this client."))
    notice.client_details = client_details.strip()
    notice.body = render_notice(notice.incident, notice.client_ref, details=notice.client_details)
    notice.reviewed_by = actor
    notice.save(update_fields=["client_details", "body", "reviewed_by"])
    audit.record(
        actor=actor,
        action=ComplianceAction.BREACH_NOTICE_REVISED,
        target=notice,
        client_ref=notice.client_ref,
        details={"incident": notice.incident_id},
    )
    return notice


@transaction.atomic
def publish_breach_notice(notice: BreachNotice, *, actor: User) -> BreachNotice:
    """Publish one reviewed notice to its client: it appears in the portal at once. For a real incident
    the client's users are e-mailed after commit that a notice waits (a link, no content); drills never
    reach clients (no e-mail, not shown in the portal). When every included client's notice is out,
    the incident counts as notified."""
    from firmportal.mail import mail_after_commit

    notice = BreachNotice.objects.select_for_update().select_related("incident").get(pk=notice.pk)
    _refuse_unless_draft(notice)
    incident = notice.incident
    _refuse_unless_ready(incident)
    now = timezone.now()
    # Rendered again: the incident's Art. 57 content may have been improved since the draft.
    notice.body = render_notice(incident, notice.client_ref, details=notice.client_details or "")
    notice.state = NoticeState.PUBLISHED
    notice.published_at = now
    notice.reviewed_by = actor
    fields = ["body", "state", "published_at", "reviewed_by"]
    if not notice.is_drill:
        recipients = client_contact_emails(notice.client_ref)
        if recipients:
            notice.emailed_at = now
            fields.append("emailed_at")
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("You have a notice from your bookkeeping firm")
                body = _(
                    "There is an important notice for you in the FirmPortal client portal. Please sign in "
                    "to read it:\n\n%(url)s\n\nFor your security, this e-mail does not contain its content."
                ) % {"url": notice_url(notice)}
            mail_after_commit(subject=subject, body=body, recipients=recipients)
    notice.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=ComplianceAction.BREACH_NOTICE_PUBLISHED,
        target=notice,
        client_ref=notice.client_ref,
        details={"incident": incident.pk, "drill": notice.is_drill, "emailed": notice.emailed_at is not None},
    )
    _step(incident, kind=TimelineKind.NOTICE_PUBLISHED, actor=actor, text=notice.client_ref)
    included = set(incident.affected.filter(included=True).values_list("client_ref", flat=True))
    published = set(incident.notices.filter(state=NoticeState.PUBLISHED).values_list("client_ref", flat=True))
    if included <= published and incident.status != IncidentStatus.NOTIFIED:
        incident.status = IncidentStatus.NOTIFIED
        incident.save(update_fields=["status"])
    return notice


@transaction.atomic
def acknowledge_breach_notice(notice: BreachNotice, *, actor: User) -> BreachNotice:
    """The client confirms having read the notice ("I have read it"); the first confirmation counts."""
    notice = BreachNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.state != NoticeState.PUBLISHED:
        raise ComplianceError(_("This notice is not published."))
    if notice.read_at is not None:
        return notice
    notice.read_at = timezone.now()
    notice.read_by = actor
    notice.save(update_fields=["read_at", "read_by"])
    audit.record(
        actor=actor,
        action=ComplianceAction.BREACH_NOTICE_ACKNOWLEDGED,
        target=notice,
        client_ref=notice.client_ref,
        details={"incident": notice.incident_id},
    )
    return notice


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
