"""Every change of the client-care slice: keyword-only arguments, an explicit actor, the audit row in
the same transaction, e-mails after commit. E-mails never carry a subject, a body, a complaint or a
comment: only that there is something to read, and a link to sign in and read it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import services as audit
from clientcare import queries
from clientcare.models import (
    SURVEY_FIELDS,
    Attachment,
    ClientcareAction,
    Complaint,
    ComplaintCategory,
    ComplaintResponse,
    ComplaintStatus,
    Message,
    Side,
    SurveyInvitation,
    SurveyResponse,
    Thread,
    ThreadRead,
)
from clients.models import AccountingPeriod, Client, ClientMembership, ClientRole
from confidentiality import access
from confidentiality.files import store_encrypted
from confidentiality.keyscope import KeyScope
from datarights.dates import answer_due

MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_COMPLAINT = 10_000
MAX_COMMENT = 2_000


# --- Helpers ---------------------------------------------------------------------------------------------


def _text(value: str, *, label: Any, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("%(label)s cannot be empty.") % {"label": label}, code="required")
    if len(text) > max_length:
        raise ValidationError(
            _("%(label)s is too long (at most %(n)d characters).") % {"label": label, "n": max_length},
            code="max_length",
        )
    return text


def _site_url(site_url: str | None) -> str:
    return (site_url if site_url is not None else getattr(settings, "FIRMPORTAL_SITE_URL", "")).rstrip("/")


def _notify(
    *, recipients: Iterable[Any], subject: Any, body: Any, link: str, params: dict[str, Any] | None = None
) -> None:
    """After commit: a content-free notice to each address, in the firm's default language."""
    addresses = sorted({str(u.email) for u in recipients if getattr(u, "email", "")})
    if not addresses:
        return

    def send() -> None:
        with translation.override(settings.LANGUAGE_CODE):
            text = str(body) % params if params else str(body)
            send_mail(str(subject), f"{text}\n\n{link}\n", settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False)

    transaction.on_commit(send)


def _active(users: Iterable[User]) -> list[User]:
    return [u for u in users if u.is_active and u.offboarded_at is None]


def _client_users(client_id: Any) -> list[User]:
    """The company's own users (owner and finance contacts); delegates get no notices."""
    return _active(
        User.objects.filter(client_memberships__client_id=client_id).distinct().order_by("pk")  # type: ignore[misc]
    )


def _assigned_staff(client_id: Any) -> list[User]:
    ids = access.live_assignments().filter(client_id=client_id).values("user_id")
    return _active(User.objects.filter(pk__in=ids).order_by("pk"))


def _side(actor: Any) -> str:
    return Side.FIRM if getattr(actor, "is_staff_member", False) else Side.CLIENT


def _mark_read(thread: Thread, user: Any, moment: Any) -> None:
    ThreadRead.objects.update_or_create(thread=thread, user=user, defaults={"read_at": moment})


def _store_attachments(message: Message, files: Sequence[tuple[Any, str, str]]) -> list[Attachment]:
    """`files`: (upload, clean name, content type) as checked by `attachments.check_attachment`."""
    stored = []
    scope = KeyScope.for_client(str(message.client_id))
    for upload, name, content_type in files:
        stored_file = store_encrypted(
            scope, upload, owner_label="clientcare.attachment", name=name, content_type=content_type
        )
        attachment = Attachment(
            message=message,
            client_id=message.client_id,
            stored_file=stored_file,
            content_type=content_type,
            size=stored_file.size,
        )
        attachment.name = name
        attachment.save(force_insert=True)
        stored.append(attachment)
    return stored


def _notify_new_message(thread: Thread, *, actor: Any, site_url: str | None) -> None:
    base = _site_url(site_url)
    if _side(actor) == Side.FIRM:
        recipients = _client_users(thread.client_id)
        link = base + reverse("portal:clientcare:thread", kwargs={"thread_id": thread.pk})
    else:
        recipients = _assigned_staff(thread.client_id)
        link = base + reverse("staff:clientcare:thread", kwargs={"thread_id": thread.pk})
    _notify(
        recipients=[u for u in recipients if u.pk != actor.pk],
        subject=_("FirmPortal: you have a new secure message"),
        body=_("You have a new secure message. For confidentiality it is not shown here: sign in to read it."),
        link=link,
    )


# --- Secure messages ---------------------------------------------------------------------------------------


def _message(thread: Thread, *, body: str, files: Sequence[tuple[Any, str, str]], actor: Any) -> Message:
    message = Message(thread=thread, client_id=thread.client_id, sender=actor, side=_side(actor))
    message.body = body
    message.save(force_insert=True)
    attachments = _store_attachments(message, files)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
    thread.last_message_at = message.created_at
    _mark_read(thread, actor, message.created_at)
    audit.record(
        actor=actor,
        action=ClientcareAction.MESSAGE_SENT,
        target=message,
        client_ref=str(thread.client_id),
        details={
            "thread_id": str(thread.pk),
            "side": message.side,
            "attachments": [str(a.pk) for a in attachments],
            "sizes": [a.size for a in attachments],
        },
    )
    return message


@transaction.atomic
def start_thread(
    *,
    client: Client,
    subject: str,
    body: str,
    files: Sequence[tuple[Any, str, str]] = (),
    actor: Any,
    site_url: str | None = None,
) -> Thread:
    """A new conversation with the company (staff) or with its assigned staff (client users)."""
    if not queries.can_write_messages(actor, client.pk):
        raise PermissionDenied
    subject = _text(subject, label=_("Subject"), max_length=MAX_SUBJECT)
    body = _text(body, label=_("Message"), max_length=MAX_BODY)
    thread = Thread(client=client, started_by=actor, started_side=_side(actor))
    thread.subject = subject
    thread.save(force_insert=True)
    audit.record(
        actor=actor,
        action=ClientcareAction.THREAD_STARTED,
        target=thread,
        client_ref=str(client.pk),
        details={"side": thread.started_side},
    )
    _message(thread, body=body, files=files, actor=actor)
    _notify_new_message(thread, actor=actor, site_url=site_url)
    return thread


@transaction.atomic
def send_message(
    *,
    thread: Thread,
    body: str,
    files: Sequence[tuple[Any, str, str]] = (),
    actor: Any,
    site_url: str | None = None,
) -> Message:
    """A reply in an existing thread."""
    if not queries.can_write_messages(actor, thread.client_id):
        raise PermissionDenied
    body = _text(body, label=_("Message"), max_length=MAX_BODY)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    message = _message(thread, body=body, files=files, actor=actor)
    _notify_new_message(thread, actor=actor, site_url=site_url)
    return message


def mark_thread_read(*, thread: Thread, user: Any) -> None:
    """The read receipt: everything in the thread up to now counts as read by `user`.

    Not an audit event of its own: it is written by the page view that shows the thread, which
    records that read as an access event in the same request.
    """
    _mark_read(thread, user, timezone.now())


# --- Privacy complaints ------------------------------------------------------------------------------------


def _desk_link(complaint: Complaint, base: str) -> str:
    return base + reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk})


@transaction.atomic
def file_complaint(*, client: Client, category: str, text: str, actor: Any, site_url: str | None = None) -> Complaint:
    """A client user files a privacy complaint: a case for the compliance desk, with a deadline."""
    if not queries.is_member(actor, client.pk):
        raise PermissionDenied
    if category not in ComplaintCategory.values:
        raise ValidationError(_("Choose what the complaint is about."), code="category")
    text = _text(text, label=_("Your complaint"), max_length=MAX_COMPLAINT)
    now = timezone.now()
    complaint = Complaint(
        client=client,
        filed_by=actor,
        category=category,
        created_at=now,
        deadline=answer_due(timezone.localdate(now)),
    )
    complaint.text = text
    complaint.save(force_insert=True)
    audit.record(
        actor=actor,
        action=ClientcareAction.COMPLAINT_FILED,
        target=complaint,
        client_ref=str(client.pk),
        details={"category": category, "deadline": complaint.deadline.isoformat()},
    )
    from compliance.queries import compliance_officers

    _notify(
        recipients=compliance_officers(),
        subject=_("FirmPortal: a new privacy complaint"),
        body=_("A client has filed a privacy complaint. Sign in to the compliance desk to read it."),
        link=_desk_link(complaint, _site_url(site_url)),
    )
    return complaint


# Which status may follow which (closing is final: a new concern is a new complaint).
TRANSITIONS: dict[str, set[str]] = {
    ComplaintStatus.RECEIVED: {ComplaintStatus.INVESTIGATING, ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED},
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED},
    ComplaintStatus.ANSWERED: {ComplaintStatus.INVESTIGATING, ComplaintStatus.CLOSED},
    ComplaintStatus.CLOSED: set(),
}


def _require_desk(actor: Any) -> None:
    if not (getattr(actor, "is_staff_member", False) and actor.has_perm("accounts.view_compliance_desk")):
        raise PermissionDenied


def _set_status(complaint: Complaint, status: str, *, actor: Any) -> None:
    if status not in TRANSITIONS.get(complaint.status, set()):
        raise ValidationError(
            _("A complaint that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": ComplaintStatus(complaint.status).label,
                "new": ComplaintStatus(status).label if status in ComplaintStatus.values else status,
            },
            code="transition",
        )
    previous = complaint.status
    complaint.status = status
    complaint.closed_at = timezone.now() if status == ComplaintStatus.CLOSED else None
    complaint.save(update_fields=["status", "closed_at"])
    audit.record(
        actor=actor,
        action=ClientcareAction.COMPLAINT_STATUS_CHANGED,
        target=complaint,
        client_ref=str(complaint.client_id),
        details={"from": previous, "to": status},
    )


@transaction.atomic
def set_complaint_status(*, complaint: Complaint, status: str, actor: Any) -> Complaint:
    _require_desk(actor)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    _set_status(complaint, status, actor=actor)
    return complaint


@transaction.atomic
def answer_complaint(
    *, complaint: Complaint, text: str, actor: Any, close: bool = False, site_url: str | None = None
) -> ComplaintResponse:
    """The compliance desk answers (the client sees it); the case becomes answered, or closed."""
    _require_desk(actor)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is closed."), code="closed")
    text = _text(text, label=_("Answer"), max_length=MAX_COMPLAINT)
    response = ComplaintResponse(complaint=complaint, client_id=complaint.client_id, author=actor)
    response.text = text
    response.save(force_insert=True)
    audit.record(
        actor=actor,
        action=ClientcareAction.COMPLAINT_ANSWERED,
        target=complaint,
        client_ref=str(complaint.client_id),
        details={"response_id": str(response.pk)},
    )
    target = ComplaintStatus.CLOSED if close else ComplaintStatus.ANSWERED
    if complaint.status != target:
        _set_status(complaint, target, actor=actor)
    filer = complaint.filed_by
    _notify(
        recipients=_active([filer]) if getattr(filer, "is_client_user", False) else [],
        subject=_("FirmPortal: an answer to your privacy complaint"),
        body=_("The firm has answered your privacy complaint. Sign in to read the answer."),
        link=_site_url(site_url) + reverse("portal:clientcare:complaint", kwargs={"complaint_id": complaint.pk}),
    )
    return response


# --- Satisfaction survey (回访) -----------------------------------------------------------------------------


@transaction.atomic
def invite_to_survey(*, period: AccountingPeriod, actor: Any, site_url: str | None = None) -> SurveyInvitation | None:
    """After a period is closed: ask the company's owner how we did (once per company and month).

    Returns None when the company already has this month's survey (a period closed again after a reopening).
    """
    invitation, created = SurveyInvitation.objects.get_or_create(
        client_id=period.client_id,
        year=period.year,
        month=period.month,
        defaults={"period": period},
    )
    if not created:
        return None
    audit.record(
        actor=actor,
        action=ClientcareAction.SURVEY_INVITED,
        target=invitation,
        client_ref=str(period.client_id),
        details={"year": period.year, "month": period.month},
    )
    owners = _active(
        User.objects.filter(
            client_memberships__client_id=period.client_id, client_memberships__role=ClientRole.OWNER
        ).distinct()
    )
    _notify(
        recipients=owners,
        subject=_("FirmPortal: how did we do?"),
        body=_("Your books for %(month)s are closed. Tell us in one minute how we did:"),
        params={"month": invitation.label},
        link=_site_url(site_url) + reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk}),
    )
    return invitation


@transaction.atomic
def submit_survey(
    *, invitation: SurveyInvitation, scores: dict[str, int], comment: str = "", actor: Any
) -> SurveyResponse:
    """The company's answer: 1–5 stars per question and an optional comment. One answer per month."""
    if not ClientMembership.objects.filter(user=actor, client_id=invitation.client_id).exists():
        raise PermissionDenied
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None or SurveyResponse.objects.filter(invitation=invitation).exists():
        raise ValidationError(_("This survey has already been answered. Thank you!"), code="answered")
    values: dict[str, int] = {}
    for name in SURVEY_FIELDS:
        value = scores.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(_("Give every question 1 to 5 stars."), code="score")
        values[name] = value
    comment = _text(comment, label=_("Comment"), max_length=MAX_COMMENT, required=False)
    response = SurveyResponse(
        invitation=invitation,
        client_id=invitation.client_id,
        year=invitation.year,
        month=invitation.month,
        respondent=actor,
        **values,
    )
    response.comment = comment
    response.save(force_insert=True)
    invitation.answered_at = response.submitted_at
    invitation.save(update_fields=["answered_at"])
    audit.record(
        actor=actor,
        action=ClientcareAction.SURVEY_ANSWERED,
        target=response,
        client_ref=str(invitation.client_id),
        details={"year": invitation.year, "month": invitation.month, **values, "commented": bool(comment)},
    )
    return response
