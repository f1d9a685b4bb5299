"""The compliance program: NDAs, training, third parties, incidents, whistleblowing, violations,
reports and the record of processing activities.

Rows are changed only by `compliance.services`; `compliance.queries` reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplianceAction(models.TextChoices):
    """Audit actions written by this app (`audit.record(action=...)`)."""

    NDA_VERSION_CREATED = "nda_version_created", _("NDA version drafted")
    NDA_VERSION_PUBLISHED = "nda_version_published", _("NDA version published")
    NDA_ACCEPTED = "nda_accepted", _("NDA accepted")
    NDA_EXIT_ACKNOWLEDGED = "nda_exit_acknowledged", _("NDA exit acknowledgement recorded")
    COURSE_CREATED = "training_course_created", _("Training course created")
    TRAINING_SESSION_SCHEDULED = "training_session_scheduled", _("Training session scheduled")
    TRAINING_ATTENDANCE_RECORDED = "training_attendance_recorded", _("Training attendance recorded")
    TRAINING_COMPLETED = "training_completed", _("Training quiz taken")
    TRAINING_REMINDER_SENT = "training_reminder_sent", _("Training expiry reminder sent")
    THIRD_PARTY_REGISTERED = "third_party_registered", _("Third party registered")
    THIRD_PARTY_UPDATED = "third_party_updated", _("Third party updated")
    THIRD_PARTY_ASSESSED = "third_party_assessed", _("Third-party risk assessed")
    THIRD_PARTY_REVIEW_REMINDED = "third_party_review_reminded", _("Third-party review reminder sent")


# --- NDAs -----------------------------------------------------------------------------------------


class NdaVersion(models.Model):
    """One version of the firm's confidentiality agreement (保密协议), in Chinese and English.

    A draft has no `published_at`. Once published, staff must accept it by `acceptance_deadline`;
    after that the access gate closes for those who have not.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    acceptance_deadline = models.DateTimeField(_("acceptance deadline"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("NDA version")
        verbose_name_plural = _("NDA versions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(acceptance_deadline__isnull=False, acceptance_deadline__gte=models.F("published_at")),
                name="nda_deadline_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class AcceptanceKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    NEW_VERSION = "new_version", _("New version")
    EXIT = "exit", _("Exit acknowledgement")


class NdaAcceptance(models.Model):
    """A staff member's signature of one NDA version: when, from where, and on what occasion."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nda_acceptances")
    nda_version = models.ForeignKey(NdaVersion, on_delete=models.PROTECT, related_name="acceptances")
    # Denormalised so the access gate compares integers without a join.
    version_number = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=AcceptanceKind.choices)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("NDA acceptance")
        verbose_name_plural = _("NDA acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "nda_version", "kind"], name="nda_acceptance_once_per_kind"),
            models.CheckConstraint(condition=models.Q(kind__in=AcceptanceKind.values), name="nda_acceptance_kind"),
        ]
        indexes = [models.Index(fields=["user", "kind", "version_number"])]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version_number} {self.kind}"


# --- Training -------------------------------------------------------------------------------------


class Course(models.Model):
    """A training course. `counts_for_gate` marks confidentiality training, which the gate needs."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    counts_for_gate = models.BooleanField(_("confidentiality training (required for access)"), default=False)
    required = models.BooleanField(_("required of all staff"), default=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    validity_months = models.PositiveSmallIntegerField(_("valid for (months)"), default=12)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(condition=models.Q(pass_mark__lte=100), name="course_pass_mark_percent"),
        ]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    """A multiple-choice question of a course's quiz; `choices` is a list of answer texts."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("question"))
    choices = models.JSONField(_("choices"), default=list)
    correct_index = models.PositiveSmallIntegerField(_("correct choice (0-based)"))

    class Meta:
        ordering = ["course", "position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class TrainingSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    trainer = models.CharField(_("trainer"), max_length=150, blank=True)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Attendance", related_name="+")

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.course} {self.starts_at:%Y-%m-%d}"


class Attendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.session_id}"


class TrainingCompletion(models.Model):
    """A quiz taken. Only a passed one counts; it is valid until `expires_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    session = models.ForeignKey(TrainingSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(_("completed at"))
    score = models.PositiveSmallIntegerField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    # Denormalised from the course so the access gate needs no join.
    counts_for_gate = models.BooleanField(default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(passed=False) | models.Q(expires_at__isnull=False), name="passed_completion_expires"
            ),
        ]
        indexes = [models.Index(fields=["user", "counts_for_gate", "passed", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.score}%"


# --- Third parties (外部合作) ---------------------------------------------------------------------


class ThirdPartyKind(models.TextChoices):
    VENDOR = "vendor", _("Vendor")
    PARTNER = "partner", _("Partner")


class RiskRating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ThirdParty(models.Model):
    """A vendor or partner who may touch client data: its NDA, risk rating and review dates."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ThirdPartyKind.choices)
    services = models.TextField(_("services provided"), blank=True)
    contact_name = models.CharField(_("contact"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    touches_client_data = models.BooleanField(_("may touch client data"), default=True)
    nda_reference = models.CharField(_("NDA reference"), max_length=100, blank=True)
    nda_signed_on = models.DateField(_("NDA signed on"), null=True, blank=True)
    nda_expires_on = models.DateField(_("NDA expires on"), null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(_("review every (months)"), default=12)
    risk_rating = models.CharField(_("risk rating"), max_length=8, choices=RiskRating.choices, blank=True)
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    # The due date a reminder was sent for, so each due date is reminded once.
    reminded_for_due = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("third party")
        verbose_name_plural = _("third parties")

    def __str__(self) -> str:
        return self.name


class RiskAssessment(models.Model):
    """One filled-in risk questionnaire: answers (question key -> control in place), score, rating."""

    third_party = models.ForeignKey(ThirdParty, on_delete=models.CASCADE, related_name="assessments")
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField(_("risk score"))
    rating = models.CharField(_("risk rating"), max_length=8, choices=RiskRating.choices)
    notes = models.TextField(_("notes"), blank=True)
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.third_party_id} {self.assessed_on} {self.rating}"
