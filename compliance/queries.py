"""Reads of the compliance program, above all the access gate every client-data request passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import StaffRole, User, UserKind
from compliance.models import AcceptanceKind, BreachNotice, Course, NdaAcceptance, NdaVersion, TrainingCompletion

# The page the access layer sends a blocked staff member to.
GATE_URL_NAME = "staff:compliance:gate"


class GateReason:
    """Machine-readable codes of what is missing (the `missing` texts are translated)."""

    NOT_STAFF = "not_staff"
    NO_NDA_PUBLISHED = "no_nda_published"
    NDA_NOT_ACCEPTED = "nda_not_accepted"
    NDA_NEW_VERSION_OVERDUE = "nda_new_version_overdue"
    TRAINING_MISSING = "training_missing"
    TRAINING_EXPIRED = "training_expired"


@dataclass
class GateStatus:
    """Whether a staff member may reach client data now, and if not, what is missing."""

    ok: bool
    missing: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    # Not blocking yet: e.g. a new NDA version to accept before its deadline.
    warnings: list[str] = field(default_factory=list)
    training_valid_until: datetime | None = None
    accepted_nda_version: int | None = None

    @cached_property
    def whom_to_ask(self) -> list[User]:
        """The compliance officers (loaded only when asked: the gate itself costs one query)."""
        return list(compliance_officers())


def compliance_officers() -> QuerySet[User]:
    return User.objects.filter(
        kind=UserKind.STAFF,
        is_active=True,
        offboarded_at__isnull=True,
        groups__name=StaffRole.COMPLIANCE_OFFICER,
    ).order_by("username")


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d")


def access_gate(user: Any, *, now: datetime | None = None) -> GateStatus:
    """The compliance gate on client data, in one query.

    Open only for active staff who accepted the NDA (any published version at onboarding; once a
    newer version's acceptance deadline has passed, that version or later) and whose
    confidentiality training (a passed course marked `counts_for_gate`) is less than its validity
    (12 months) old.
    """
    now = now or timezone.now()
    if not (
        getattr(user, "is_authenticated", False)
        and user.kind == UserKind.STAFF
        and user.is_active
        and user.offboarded_at is None
    ):
        return GateStatus(
            ok=False, missing=[_("Only active staff can reach client data.")], codes=[GateReason.NOT_STAFF]
        )

    published = NdaVersion.objects.filter(published_at__isnull=False, published_at__lte=now)
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            accepted=Subquery(
                NdaAcceptance.objects.filter(
                    user=OuterRef("pk"), kind__in=[AcceptanceKind.ONBOARDING, AcceptanceKind.NEW_VERSION]
                )
                .order_by("-version_number")
                .values("version_number")[:1]
            ),
            required=Subquery(
                published.filter(acceptance_deadline__lte=now).order_by("-version").values("version")[:1]
            ),
            first_published=Subquery(published.order_by("version").values("version")[:1]),
            latest=Subquery(published.order_by("-version").values("version")[:1]),
            latest_deadline=Subquery(published.order_by("-version").values("acceptance_deadline")[:1]),
            training_until=Subquery(
                TrainingCompletion.objects.filter(user=OuterRef("pk"), counts_for_gate=True, passed=True)
                .order_by("-expires_at")
                .values("expires_at")[:1]
            ),
        )
        .values("accepted", "required", "first_published", "latest", "latest_deadline", "training_until")
        .first()
    )
    if row is None:
        return GateStatus(
            ok=False, missing=[_("Only active staff can reach client data.")], codes=[GateReason.NOT_STAFF]
        )

    status = GateStatus(ok=True, training_valid_until=row["training_until"], accepted_nda_version=row["accepted"])
    accepted, latest = row["accepted"], row["latest"]
    required = row["required"] or row["first_published"]

    def block(code: str, text: str) -> None:
        status.ok = False
        status.codes.append(code)
        status.missing.append(text)

    if latest is None:
        block(GateReason.NO_NDA_PUBLISHED, _("The firm has not published a confidentiality agreement (NDA) yet."))
    elif accepted is None:
        block(GateReason.NDA_NOT_ACCEPTED, _("You have not accepted the confidentiality agreement (NDA)."))
    elif accepted < required:
        block(
            GateReason.NDA_NEW_VERSION_OVERDUE,
            _("A new version of the NDA (version %(version)s) had to be accepted; its deadline has passed.")
            % {"version": required},
        )
    if latest is not None and accepted is not None and accepted < latest and row["latest_deadline"] > now:
        status.warnings.append(
            _("Please accept NDA version %(version)s by %(date)s, or your access to client data will close.")
            % {"version": latest, "date": _day(row["latest_deadline"])}
        )

    until = row["training_until"]
    if until is None:
        block(GateReason.TRAINING_MISSING, _("You have not completed the confidentiality training."))
    elif until <= now:
        block(
            GateReason.TRAINING_EXPIRED,
            _("Your confidentiality training expired on %(date)s; take it again.") % {"date": _day(until)},
        )
    return status


def current_nda() -> NdaVersion | None:
    """The newest published NDA version (the one staff are asked to accept)."""
    return NdaVersion.objects.filter(published_at__isnull=False).order_by("-version").first()


def acceptances_of(user: User) -> QuerySet[NdaAcceptance]:
    return NdaAcceptance.objects.filter(user=user).select_related("nda_version").order_by("-accepted_at")


def nda_acceptance_for_user(user: User, acceptance_id: int) -> NdaAcceptance:
    """One's own signed agreement, or anyone's for the compliance desk; 404 otherwise."""
    from django.shortcuts import get_object_or_404

    rows = NdaAcceptance.objects.select_related("nda_version", "user")
    if not user.has_perm("accounts.view_compliance_desk"):
        rows = rows.filter(user=user)
    return get_object_or_404(rows, pk=acceptance_id)


@dataclass
class StaffComplianceRow:
    user: User
    accepted_version: int | None
    training_until: datetime | None


def staff_compliance_overview(*, now: datetime | None = None) -> list[StaffComplianceRow]:
    """Every active staff member with their latest accepted NDA version and training validity."""
    rows = (
        User.objects.filter(kind=UserKind.STAFF, is_active=True, offboarded_at__isnull=True)
        .annotate(
            accepted=Subquery(
                NdaAcceptance.objects.filter(
                    user=OuterRef("pk"), kind__in=[AcceptanceKind.ONBOARDING, AcceptanceKind.NEW_VERSION]
                )
                .order_by("-version_number")
                .values("version_number")[:1]
            ),
            training_until=Subquery(
                TrainingCompletion.objects.filter(user=OuterRef("pk"), counts_for_gate=True, passed=True)
                .order_by("-expires_at")
                .values("expires_at")[:1]
            ),
        )
        .order_by("username")
    )
    return [StaffComplianceRow(user=u, accepted_version=u.accepted, training_until=u.training_until) for u in rows]  # type: ignore[attr-defined]


@dataclass
class OverdueTraining:
    user: User
    course: Course
    expired_at: datetime | None  # None: never completed


def overdue_training(*, now: datetime | None = None) -> list[OverdueTraining]:
    """Active staff without a valid pass of each required course (never passed, or expired)."""
    now = now or timezone.now()
    courses = list(Course.objects.filter(is_active=True).filter(Q(required=True) | Q(counts_for_gate=True)))
    staff = list(User.objects.filter(kind=UserKind.STAFF, is_active=True, offboarded_at__isnull=True))
    latest: dict[tuple[int, int], datetime] = {}
    for user_id, course_id, expires_at in TrainingCompletion.objects.filter(passed=True).values_list(
        "user_id", "course_id", "expires_at"
    ):
        key = (user_id, course_id)
        if expires_at is not None and (key not in latest or expires_at > latest[key]):
            latest[key] = expires_at
    overdue: list[OverdueTraining] = []
    for user in staff:
        for course in courses:
            until = latest.get((user.pk, course.pk))
            if until is None or until <= now:
                overdue.append(OverdueTraining(user=user, course=course, expired_at=until))
    return overdue


def training_status_for(user: User, *, now: datetime | None = None) -> list[tuple[Course, TrainingCompletion | None]]:
    """Each active course with this person's latest passed completion (or None)."""
    now = now or timezone.now()
    result: list[tuple[Course, TrainingCompletion | None]] = []
    passes: dict[int, TrainingCompletion] = {}
    for completion in TrainingCompletion.objects.filter(user=user, passed=True).order_by("expires_at"):
        passes[completion.course_id] = completion
    for course in Course.objects.filter(is_active=True):
        result.append((course, passes.get(course.pk)))
    return result


# --- Breach notices in the client portal (compliance2) ---------------------------------------------


def published_breach_notices() -> QuerySet[BreachNotice]:
    """The notices clients may see: published, real incidents only (drills never reach clients)."""
    from compliance.models import NoticeState

    return BreachNotice.objects.filter(state=NoticeState.PUBLISHED, is_drill=False).order_by("-published_at")


def client_breach_notices(client_ref: str) -> QuerySet[BreachNotice]:
    return published_breach_notices().filter(client_ref=client_ref)


def unread_breach_notice_count(user: User, client_ref: str) -> int:
    """Unread notices of the company for one of its own users (delegates are not told), in one query."""
    import uuid

    from django.db.models import Exists

    from clients.models import ClientMembership

    try:
        client_id = uuid.UUID(client_ref)
    except ValueError:
        return 0
    member = ClientMembership.objects.filter(user=user, client_id=client_id)
    return client_breach_notices(client_ref).filter(read_at__isnull=True).filter(Exists(member)).count()
