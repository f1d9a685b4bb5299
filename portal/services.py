"""Every change the portal slice makes: drafting, publishing and acknowledging the firm's commitment."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from audit.models import AuditAction
from portal.models import CommitmentAcknowledgement, CommitmentNotice

MAX_TITLE = 200


def _text(value: str, *, label: str, limit: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("%(field)s must not be empty.") % {"field": label}, code="required")
    if limit is not None and len(text) > limit:
        raise ValidationError(
            _("%(field)s must be at most %(n)d characters.") % {"field": label, "n": limit}, code="max_length"
        )
    return text


@transaction.atomic
def draft_commitment_notice(
    *, title_zh: str, title_en: str, body_zh: str, body_en: str, actor: User
) -> CommitmentNotice:
    """Draft the next version (numbered one above the highest so far); clients see it once published."""
    if not actor.is_staff_member:
        raise ValidationError(_("Only the firm's staff draft the commitment."), code="actor")
    values = {
        "title_zh": _text(title_zh, label=_("Title (Chinese)"), limit=MAX_TITLE),
        "title_en": _text(title_en, label=_("Title (English)"), limit=MAX_TITLE),
        "body_zh": _text(body_zh, label=_("Text (Chinese)")),
        "body_en": _text(body_en, label=_("Text (English)")),
    }
    # Lock the table's rows so two drafts at once cannot take the same number.
    list(CommitmentNotice.objects.select_for_update().values_list("pk", flat=True))
    highest = CommitmentNotice.objects.aggregate(v=Max("version"))["v"] or 0
    notice = CommitmentNotice.objects.create(version=highest + 1, created_by=actor, **values)
    audit.record(
        actor=actor,
        action=AuditAction.COMMITMENT_NOTICE_DRAFTED,
        target=notice,
        details={"version": notice.version},
    )
    return notice


@transaction.atomic
def publish_commitment_notice(notice: CommitmentNotice, *, actor: User) -> CommitmentNotice:
    """Publish a draft: it becomes the current version, and clients are asked to acknowledge it."""
    if not actor.is_staff_member:
        raise ValidationError(_("Only the firm's staff publish the commitment."), code="actor")
    notice = CommitmentNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.published_at is not None:
        raise ValidationError(_("This version is already published."), code="published")
    if CommitmentNotice.objects.filter(version__gt=notice.version, published_at__isnull=False).exists():
        raise ValidationError(_("A newer version is already published."), code="newer")
    notice.published_at = timezone.now()
    notice.published_by = actor
    notice.save(update_fields=["published_at", "published_by"])
    audit.record(
        actor=actor,
        action=AuditAction.COMMITMENT_NOTICE_PUBLISHED,
        target=notice,
        details={"version": notice.version},
    )
    return notice


@transaction.atomic
def acknowledge_commitment_notice(
    *, notice: CommitmentNotice, user: User, ip_address: str | None, actor: User
) -> CommitmentAcknowledgement:
    """The client user acknowledges a published version (once per version)."""
    if not user.is_client_user:
        raise ValidationError(_("Only client users acknowledge the firm's commitment."), code="user")
    if notice.published_at is None:
        raise ValidationError(_("This version is not published."), code="draft")
    if CommitmentAcknowledgement.objects.filter(notice=notice, user=user).exists():
        raise ValidationError(_("You have already acknowledged this version."), code="duplicate")
    try:
        with transaction.atomic():
            acknowledgement = CommitmentAcknowledgement.objects.create(
                notice=notice,
                user=user,
                version_number=notice.version,
                acknowledged_at=timezone.now(),
                ip_address=ip_address or None,
            )
    except IntegrityError as exc:  # a double click racing the check above
        raise ValidationError(_("You have already acknowledged this version."), code="duplicate") from exc
    audit.record(
        actor=actor,
        action=AuditAction.COMMITMENT_NOTICE_ACKNOWLEDGED,
        target=acknowledgement,
        details={"version": notice.version, "user": user.pk},
    )
    return acknowledgement
