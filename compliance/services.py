"""Every change to the compliance program: typed services with an explicit actor, audited in the same
transaction; mail goes out only after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, UserKind
from audit import services as audit
from compliance.dates import add_months
from compliance.errors import ComplianceError
from compliance.models import (
    AcceptanceKind,
    Attendance,
    ComplianceAction,
    Course,
    NdaAcceptance,
    NdaReminder,
    NdaVersion,
    QuizQuestion,
    TrainingCompletion,
    TrainingSession,
)
from firmportal.mail import mail_after_commit

log = logging.getLogger("firmportal.compliance")

TRAINING_REMINDER_DAYS = 30


def active_staff() -> Iterable[User]:
    return User.objects.filter(kind=UserKind.STAFF, is_active=True, offboarded_at__isnull=True)


# --- NDAs -----------------------------------------------------------------------------------------


@transaction.atomic
def create_nda_version(*, title: str, text_zh: str, text_en: str, actor: User) -> NdaVersion:
    """Draft the next NDA version (numbered one above the highest so far)."""
    if not (title.strip() and text_zh.strip() and text_en.strip()):
        raise ComplianceError(_("An NDA needs a title and both the Chinese and the English text."))
    highest = NdaVersion.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
    nda = NdaVersion.objects.create(
        version=highest + 1, title=title.strip(), text_zh=text_zh.strip(), text_en=text_en.strip(), created_by=actor
    )
    audit.record(actor=actor, action=ComplianceAction.NDA_VERSION_CREATED, target=nda, details={"version": nda.version})
    return nda


@transaction.atomic
def publish_nda_version(nda: NdaVersion, *, acceptance_deadline: datetime, actor: User) -> NdaVersion:
    """Publish a draft; staff must accept it by the deadline or the access gate closes for them."""
    nda = NdaVersion.objects.select_for_update().get(pk=nda.pk)
    now = timezone.now()
    if nda.published_at is not None:
        raise ComplianceError(_("This version is already published."))
    if acceptance_deadline < now:
        raise ComplianceError(_("The acceptance deadline must not be in the past."))
    newer = NdaVersion.objects.filter(version__gt=nda.version, published_at__isnull=False).exists()
    if newer:
        raise ComplianceError(_("A newer version is already published."))
    nda.published_at = now
    nda.acceptance_deadline = acceptance_deadline
    nda.save(update_fields=["published_at", "acceptance_deadline"])
    audit.record(
        actor=actor,
        action=ComplianceAction.NDA_VERSION_PUBLISHED,
        target=nda,
        details={"version": nda.version, "deadline": acceptance_deadline.isoformat()},
    )
    deadline_text = timezone.localtime(acceptance_deadline).strftime("%Y-%m-%d %H:%M")
    mail_after_commit(
        subject=_("New confidentiality agreement (NDA) version %(version)s") % {"version": nda.version},
        body=_(
            "A new version of the firm's confidentiality agreement has been published. Please read and accept it "
            "in FirmPortal before %(deadline)s; after that date you cannot open client data until you do."
        )
        % {"deadline": deadline_text},
        recipients=[u.email for u in active_staff()],
    )
    return nda


@transaction.atomic
def accept_nda(*, user: User, nda: NdaVersion, ip_address: str | None, actor: User) -> NdaAcceptance:
    """The staff member accepts a published version: onboarding if it is their first, else new-version."""
    if not user.is_staff_member:
        raise ComplianceError(_("Only staff accept the firm's NDA."))
    if nda.published_at is None:
        raise ComplianceError(_("This version is not published."))
    signed = NdaAcceptance.objects.select_for_update().filter(
        user=user, kind__in=[AcceptanceKind.ONBOARDING, AcceptanceKind.NEW_VERSION]
    )
    if signed.filter(nda_version=nda).exists():
        raise ComplianceError(_("You have already accepted this version."))
    kind = AcceptanceKind.NEW_VERSION if signed.exists() else AcceptanceKind.ONBOARDING
    acceptance = NdaAcceptance.objects.create(
        user=user,
        nda_version=nda,
        version_number=nda.version,
        kind=kind,
        accepted_at=timezone.now(),
        ip_address=ip_address or None,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.NDA_ACCEPTED,
        target=acceptance,
        details={"user": user.pk, "version": nda.version, "kind": kind},
    )
    return acceptance


@transaction.atomic
def record_nda_exit_acknowledgement(*, user: User, ip_address: str | None, actor: User) -> NdaAcceptance:
    """At offboarding: the leaver acknowledges that confidentiality continues after they leave.

    The offboarding service calls this; the compliance desk can also record it (signed on paper).
    """
    nda = NdaVersion.objects.filter(published_at__isnull=False).order_by("-version").first()
    if nda is None:
        raise ComplianceError(_("No NDA has been published yet."))
    if NdaAcceptance.objects.filter(user=user, nda_version=nda, kind=AcceptanceKind.EXIT).exists():
        raise ComplianceError(_("The exit acknowledgement is already recorded."))
    acceptance = NdaAcceptance.objects.create(
        user=user,
        nda_version=nda,
        version_number=nda.version,
        kind=AcceptanceKind.EXIT,
        accepted_at=timezone.now(),
        ip_address=ip_address or None,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.NDA_EXIT_ACKNOWLEDGED,
        target=acceptance,
        details={"user": user.pk, "version": nda.version},
    )
    return acceptance


NDA_REMINDER_DAYS = 7


@transaction.atomic
def send_nda_reminders(*, now: datetime | None = None) -> int:
    """Remind, once, each active staff member who has not accepted the newest published version
    when its deadline is within seven days."""
    now = now or timezone.now()
    nda = NdaVersion.objects.filter(published_at__isnull=False, published_at__lte=now).order_by("-version").first()
    if nda is None or nda.acceptance_deadline is None:
        return 0
    if not now < nda.acceptance_deadline <= now + timedelta(days=NDA_REMINDER_DAYS):
        return 0
    pending = (
        User.objects.filter(kind=UserKind.STAFF, is_active=True, offboarded_at__isnull=True)
        .exclude(
            nda_acceptances__nda_version=nda,
            nda_acceptances__kind__in=[AcceptanceKind.ONBOARDING, AcceptanceKind.NEW_VERSION],
        )
        .exclude(pk__in=NdaReminder.objects.filter(nda_version=nda).values("user_id"))
    )
    deadline = timezone.localtime(nda.acceptance_deadline).strftime("%Y-%m-%d %H:%M")
    sent = 0
    for user in pending:
        NdaReminder.objects.create(user=user, nda_version=nda, sent_at=now)
        audit.record(actor=None, action=ComplianceAction.NDA_REMINDER_SENT, target=nda, details={"user": user.pk})
        mail_after_commit(
            subject=_("Please accept the confidentiality agreement (NDA) version %(version)s")
            % {"version": nda.version},
            body=_(
                "You have not yet accepted version %(version)s of the firm's confidentiality agreement. Its deadline "
                "is %(deadline)s; after that you cannot open client data until you accept it in FirmPortal."
            )
            % {"version": nda.version, "deadline": deadline},
            recipients=[user.email],
        )
        sent += 1
    return sent


# --- Training -------------------------------------------------------------------------------------


@transaction.atomic
def create_course(
    *,
    code: str,
    title: str,
    description: str,
    counts_for_gate: bool,
    required: bool,
    pass_mark: int,
    validity_months: int,
    questions: Sequence[tuple[str, list[str], int]],
    actor: User | None,
) -> Course:
    """A course with its quiz: each question is (text, choices, index of the correct choice)."""
    if not questions:
        raise ComplianceError(_("A course needs at least one quiz question."))
    if not 0 < pass_mark <= 100:
        raise ComplianceError(_("The pass mark is a percentage between 1 and 100."))
    if Course.objects.filter(code=code).exists():
        raise ComplianceError(_("A course with this code already exists."))
    course = Course.objects.create(
        code=code,
        title=title,
        description=description,
        counts_for_gate=counts_for_gate,
        required=required,
        pass_mark=pass_mark,
        validity_months=validity_months,
    )
    for position, (text, choices, correct) in enumerate(questions):
        if len(choices) < 2 or not 0 <= correct < len(choices):
            raise ComplianceError(_("Each question needs at least two choices and one correct answer."))
        QuizQuestion.objects.create(
            course=course, position=position, text=text, choices=list(choices), correct_index=correct
        )
    audit.record(actor=actor, action=ComplianceAction.COURSE_CREATED, target=course, details={"code": code})
    return course


@transaction.atomic
def schedule_training_session(
    *, course: Course, starts_at: datetime, location: str, trainer: str, actor: User
) -> TrainingSession:
    session = TrainingSession.objects.create(course=course, starts_at=starts_at, location=location, trainer=trainer)
    audit.record(
        actor=actor, action=ComplianceAction.TRAINING_SESSION_SCHEDULED, target=session, details={"course": course.code}
    )
    return session


@transaction.atomic
def record_attendance(*, session: TrainingSession, users: Iterable[User], actor: User) -> int:
    """Mark who attended; returns how many new attendance rows were written."""
    added = 0
    for user in users:
        _row, created = Attendance.objects.get_or_create(session=session, user=user)
        added += int(created)
    audit.record(
        actor=actor,
        action=ComplianceAction.TRAINING_ATTENDANCE_RECORDED,
        target=session,
        details={"added": added},
    )
    return added


@transaction.atomic
def submit_quiz(
    *,
    user: User,
    course: Course,
    answers: dict[int, int],
    actor: User,
    session: TrainingSession | None = None,
    now: datetime | None = None,
) -> TrainingCompletion:
    """Score the quiz; a pass at or above the course's mark is valid for `validity_months` (12)."""
    questions = list(course.questions.all())
    if not questions:
        raise ComplianceError(_("This course has no quiz yet."))
    missing = [q for q in questions if q.pk not in answers]
    if missing:
        raise ComplianceError(_("Please answer every question."))
    correct = sum(1 for q in questions if answers[q.pk] == q.correct_index)
    score = round(100 * correct / len(questions))
    passed = score >= course.pass_mark
    completed_at = now or timezone.now()
    completion = TrainingCompletion.objects.create(
        user=user,
        course=course,
        session=session,
        completed_at=completed_at,
        score=score,
        passed=passed,
        counts_for_gate=course.counts_for_gate,
        expires_at=add_months(completed_at, course.validity_months) if passed else None,
    )
    audit.record(
        actor=actor,
        action=ComplianceAction.TRAINING_COMPLETED,
        target=completion,
        details={"user": user.pk, "course": course.code, "score": score, "passed": passed},
    )
    return completion


@transaction.atomic
def send_training_reminders(*, now: datetime | None = None) -> int:
    """Remind each person whose latest pass of a course expires within 30 days (once per completion)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=TRAINING_REMINDER_DAYS)
    due = (
        TrainingCompletion.objects.select_for_update()
        .filter(passed=True, reminder_sent_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon)
        .select_related("user", "course")
    )
    sent = 0
    for completion in due:
        renewed = TrainingCompletion.objects.filter(
            user=completion.user, course=completion.course, passed=True, expires_at__gt=completion.expires_at
        ).exists()
        if renewed or not completion.user.is_active:
            continue
        completion.reminder_sent_at = now
        completion.save(update_fields=["reminder_sent_at"])
        audit.record(
            actor=None,
            action=ComplianceAction.TRAINING_REMINDER_SENT,
            target=completion,
            details={"user": completion.user_id, "course": completion.course.code},
        )
        expires = timezone.localtime(completion.expires_at).strftime("%Y-%m-%d") if completion.expires_at else ""
        mail_after_commit(
            subject=_("Your training expires soon: %(course)s") % {"course": completion.course.title},
            body=_(
                "Your completion of the course '%(course)s' expires on %(date)s. Please take the course again "
                "in FirmPortal before then; confidentiality training that has expired closes your access to "
                "client data."
            )
            % {"course": completion.course.title, "date": expires},
            recipients=[completion.user.email],
        )
        sent += 1
    return sent
