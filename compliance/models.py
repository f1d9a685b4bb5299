"""The compliance program: NDAs, training, third parties, incidents, whistleblowing, violations,
reports and the record of processing activities.

Rows are changed only by `compliance.services`; `compliance.queries` reads them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from confidentiality.fields import EncryptedTextField
from confidentiality.keyscope import KeyScope


class ComplianceAction(models.TextChoices):
    """Audit actions written by this app (`audit.record(action=...)`)."""

    NDA_VERSION_CREATED = "nda_version_created", _("NDA version drafted")
    NDA_VERSION_PUBLISHED = "nda_version_published", _("NDA version published")
    NDA_ACCEPTED = "nda_accepted", _("NDA accepted")
    NDA_EXIT_ACKNOWLEDGED = "nda_exit_acknowledged", _("NDA exit acknowledgement recorded")
    NDA_REMINDER_SENT = "nda_reminder_sent", _("NDA acceptance reminder sent")
    COURSE_CREATED = "training_course_created", _("Training course created")
    TRAINING_SESSION_SCHEDULED = "training_session_scheduled", _("Training session scheduled")
    TRAINING_ATTENDANCE_RECORDED = "training_attendance_recorded", _("Training attendance recorded")
    TRAINING_COMPLETED = "training_completed", _("Training quiz taken")
    TRAINING_REMINDER_SENT = "training_reminder_sent", _("Training expiry reminder sent")
    THIRD_PARTY_REGISTERED = "third_party_registered", _("Third party registered")
    THIRD_PARTY_UPDATED = "third_party_updated", _("Third party updated")
    THIRD_PARTY_ASSESSED = "third_party_assessed", _("Third-party risk assessed")
    THIRD_PARTY_REVIEW_REMINDED = "third_party_review_reminded", _("Third-party review reminder sent")
    INCIDENT_REPORTED = "incident_reported", _("Incident reported")
    INCIDENT_UPDATED = "incident_updated", _("Incident updated")
    INCIDENT_CONTAINMENT = "incident_containment", _("Incident containment action")
    INCIDENT_AFFECTED_COMPUTED = "incident_affected_computed", _("Affected clients computed")
    INCIDENT_AFFECTED_REVIEWED = "incident_affected_reviewed", _("Affected client reviewed")
    BREACH_NOTICE_ISSUED = "breach_notice_issued", _("Breach notice issued")
    INCIDENT_AUTHORITY_REPORT = "incident_authority_report", _("Authority report generated")
    INCIDENT_REVIEWED = "incident_reviewed", _("Post-incident review recorded")
    INCIDENT_CLOSED = "incident_closed", _("Incident closed")
    VIOLATION_RECORDED = "violation_recorded", _("Violation recorded")
    RECOGNITION_RECORDED = "recognition_recorded", _("Recognition recorded")
    COMPLIANCE_REPORT_GENERATED = "compliance_report_generated", _("Compliance report generated")
    PROCESSING_ACTIVITY_SAVED = "processing_activity_saved", _("Processing activity saved")
    PROCESSING_RECORD_EXPORTED = "processing_record_exported", _("Record of processing activities exported")
    WHISTLEBLOWING_REPORT_READ = "whistleblowing_report_read", _("Whistleblower report read")
    WHISTLEBLOWING_REPLIED = "whistleblowing_replied", _("Whistleblower report answered")
    WHISTLEBLOWING_STATUS_CHANGED = "whistleblowing_status_changed", _("Whistleblower report status changed")
    # compliance2: breach notices reviewed per client and delivered in the portal; stored reports.
    BREACH_NOTICE_REVISED = "breach_notice_revised", _("Breach notice revised")
    BREACH_NOTICE_PUBLISHED = "breach_notice_published", _("Breach notice published")
    BREACH_NOTICE_ACKNOWLEDGED = "breach_notice_acknowledged", _("Breach notice acknowledged by the client")
    COMPLIANCE_REPORT_STORED = "compliance_report_stored", _("Scheduled compliance report stored")
    COMPLIANCE_REPORT_DOWNLOADED = "compliance_report_downloaded", _("Stored compliance report downloaded")


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


class NdaReminder(models.Model):
    """A reminder sent to someone who has not yet accepted a version nearing its deadline (once each)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nda_version = models.ForeignKey(NdaVersion, on_delete=models.CASCADE, related_name="reminders")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "nda_version"], name="nda_reminder_once")]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.nda_version_id}"


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


# --- Incidents (应急处理) and drills (演练) -------------------------------------------------------


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    INVESTIGATING = "investigating", _("Investigating")
    CONTAINED = "contained", _("Contained")
    NOTIFIED = "notified", _("Clients notified")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Incident(models.Model):
    """A security or confidentiality incident, or a drill recorded the same way (`is_drill`)."""

    title = models.CharField(_("title"), max_length=200)
    description = EncryptedTextField(_("what happened"))
    is_drill = models.BooleanField(_("drill"), default=False)
    scheduled_for = models.DateField(_("drill scheduled for"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))
    # The window searched in the access log for affected clients, optionally one suspect's reads.
    window_start = models.DateTimeField(_("from"), null=True, blank=True)
    window_end = models.DateTimeField(_("until"), null=True, blank=True)
    suspect = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("whose reads (optional)"),
    )
    # The content of breach notices (PIPL Art. 57).
    data_kinds = EncryptedTextField(_("kinds of data involved"))
    cause = EncryptedTextField(_("cause"))
    possible_harm = EncryptedTextField(_("possible harm"))
    remedies = EncryptedTextField(_("remedies taken"))
    client_actions = EncryptedTextField(_("what the client can do"))
    contact = EncryptedTextField(_("contact"))
    lessons = EncryptedTextField(_("lessons learned"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_end__gte=models.F("window_start")),
                name="incident_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def encryption_scope(self) -> KeyScope:
        # Incident texts may name clients and what was exposed: encrypted under the firm's incident key.
        return KeyScope.for_firm("incidents")

    @property
    def notice_complete(self) -> bool:
        return all(
            (getattr(self, f) or "").strip()
            for f in ("data_kinds", "cause", "possible_harm", "remedies", "client_actions", "contact")
        )


class TimelineKind(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    NOTE = "note", _("Note")
    CONTAINMENT = "containment", _("Containment")
    AFFECTED_COMPUTED = "affected_computed", _("Affected clients computed")
    AFFECTED_REVIEWED = "affected_reviewed", _("Affected client reviewed")
    NOTICE_CONTENT = "notice_content", _("Notice content set")
    NOTICES_ISSUED = "notices_issued", _("Notices issued")
    NOTICES_COMPOSED = "notices_composed", _("Notices composed")
    NOTICE_PUBLISHED = "notice_published", _("Notice published")
    AUTHORITY_REPORT = "authority_report", _("Authority report generated")
    REVIEW = "review", _("Post-incident review")
    CLOSED = "closed", _("Closed")


class IncidentEvent(models.Model):
    """One step on an incident's timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=TimelineKind.choices)
    text = EncryptedTextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M} {self.kind}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_firm("incidents")


class AffectedClient(models.Model):
    """A client whose data was read in the incident window; the officer includes or excludes it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    client_ref = models.CharField(max_length=64)
    access_count = models.PositiveIntegerField(default=0)
    first_access = models.DateTimeField(null=True)
    last_access = models.DateTimeField(null=True)
    included = models.BooleanField(null=True)  # None: not reviewed yet
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client_ref"]
        constraints = [models.UniqueConstraint(fields=["incident", "client_ref"], name="affected_client_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.client_ref}"


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("Draft (being reviewed)")
    PUBLISHED = "published", _("Published to the client")


class BreachNotice(models.Model):
    """The notice to one affected client (PIPL Art. 57).

    Composed as a draft for every client reviewed as affected, reviewed (and completed with what
    concerns this client) by the compliance officer, then published: the client reads it in the
    portal (`/portal/notices/`) and acknowledges it; the e-mail only says that a notice is waiting.
    The texts mention the client's data, so they are encrypted under the client's key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notices")
    client_ref = models.CharField(max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=NoticeState.choices, default=NoticeState.DRAFT)
    # What concerns this client in particular (which of its data, when); prefilled from the access log.
    client_details = EncryptedTextField(_("what concerns this client"))
    # The full notice as the client reads it, rendered from the incident's Art. 57 content.
    body = EncryptedTextField(_("notice"))
    is_drill = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["client_ref"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "client_ref"], name="breach_notice_once"),
            models.CheckConstraint(
                condition=models.Q(state="draft", published_at__isnull=True)
                | models.Q(state="published", published_at__isnull=False),
                name="breach_notice_published_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(read_at__isnull=True) | models.Q(state="published"),
                name="breach_notice_read_only_when_published",
            ),
        ]

    def __str__(self) -> str:
        return f"notice {self.incident_id} {self.client_ref}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_ref)

    @classmethod
    def rows_in_encryption_scope(cls, scope: KeyScope) -> models.QuerySet[BreachNotice]:
        """Key rotation: the notices of the scope's client."""
        if scope.client_id is None or scope.year is not None:
            return cls.objects.none()
        return cls.objects.filter(client_ref=scope.client_id)

    @property
    def is_published(self) -> bool:
        return self.state == NoticeState.PUBLISHED


# --- Anonymous whistleblowing (举报渠道) -----------------------------------------------------------
#
# Nothing here identifies the reporter: no account, no address, no browser, and no time finer than
# a day. The texts are encrypted (KeyScope.for_firm("whistleblowing")). Only compliance officers read them.


class ReportCategory(models.TextChoices):
    MISUSE = "misuse", _("Misuse of client data")
    LEAK = "leak", _("Leak of client data")
    FRAUD = "fraud", _("Fraud or bribery")
    OTHER = "other", _("Something else")


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("Under review")
    CLOSED = "closed", _("Closed")


class WhistleblowerReport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SHA-256 of the receipt code (60 random bits): the code itself is never stored.
    receipt_digest = models.CharField(max_length=64, unique=True)
    # A slow hash (Argon2) of the passphrase (about 100 random bits).
    passphrase_hash = models.CharField(max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=ReportCategory.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW)
    received_on = models.DateField(_("received on"))
    last_activity_on = models.DateField(_("last activity on"))

    class Meta:
        ordering = ["-received_on"]
        verbose_name = _("whistleblower report")
        verbose_name_plural = _("whistleblower reports")

    def __str__(self) -> str:
        return f"report {str(self.id)[:8]}"

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]


class WhistleblowerMessage(models.Model):
    """The first report and every later message, from the reporter or from the compliance desk."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(WhistleblowerReport, on_delete=models.CASCADE, related_name="messages")
    # Order within the thread (no timestamps: a precise time could identify the reporter).
    seq = models.PositiveIntegerField()
    from_reporter = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    written_on = models.DateField()
    # Encrypted with the firm's whistleblowing key; only the compliance desk's pages decrypt it.
    body = EncryptedTextField(_("text"))

    class Meta:
        ordering = ["report", "seq"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="whistleblower_message_seq")]

    def __str__(self) -> str:
        return f"message {self.seq} of {self.report_id}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_firm("whistleblowing")


# --- Violations and recognition (奖惩) ---------------------------------------------------------------


class DisciplinaryAction(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    RETRAINING = "retraining", _("Retraining")
    WARNING = "warning", _("Written warning")
    ACCESS_RESTRICTED = "access_restricted", _("Access restricted")
    DEDUCTION = "deduction", _("Bonus deduction")
    DISMISSAL = "dismissal", _("Dismissal")
    NONE = "none", _("No action")


class Violation(models.Model):
    """A breach of the confidentiality rules by a staff member, linked to where it came to light."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="violations", verbose_name=_("incident")
    )
    alert_ref = models.CharField(_("alert id"), max_length=64, blank=True)
    description = models.TextField(_("what was done"))
    action = models.CharField(_("action taken"), max_length=20, choices=DisciplinaryAction.choices)
    action_detail = models.TextField(_("details of the action"), blank=True)
    decided_on = models.DateField(_("decided on"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False) | ~models.Q(alert_ref=""), name="violation_has_a_source"
            ),
        ]

    def __str__(self) -> str:
        return f"violation {self.pk} by {self.subject_id}"


class Recognition(models.Model):
    """Recognition of good practice (e.g. reporting an incident early, a clean audit)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("incident")
    )
    description = models.TextField(_("good practice"))
    awarded_on = models.DateField(_("awarded on"))
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-awarded_on", "-id"]

    def __str__(self) -> str:
        return f"recognition {self.pk} of {self.recipient_id}"


# --- Record of processing activities (PIPL / GDPR Art. 30) --------------------------------------------


class ProcessingActivity(models.Model):
    """One processing activity of the firm, as GDPR Art. 30(1) and PIPL Art. 51/54/55 ask it described."""

    name = models.CharField(_("activity"), max_length=200, unique=True)
    purpose = models.TextField(_("purposes"))
    legal_basis = models.TextField(_("legal basis"))
    data_subjects = models.TextField(_("categories of data subjects"))
    data_categories = models.TextField(_("categories of personal data"))
    sensitive_data = models.BooleanField(_("includes sensitive personal information"), default=False)
    recipients = models.TextField(_("recipients (incl. entrusted processors)"), blank=True)
    cross_border = models.TextField(_("transfers abroad and safeguards"), blank=True)
    retention = models.TextField(_("time limits for erasure"))
    security_measures = models.TextField(_("technical and organisational security measures"))
    controller_contact = models.CharField(_("contact"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities")

    def __str__(self) -> str:
        return self.name


# --- Scheduled compliance reports (compliance2) ------------------------------------------------------


class ReportKind(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class StoredComplianceReport(models.Model):
    """A monthly or yearly compliance report generated by the schedule, kept encrypted for the firm head.

    The PDF names staff (who read most) and carries other slices' sections, which may name clients:
    it is kept as an encrypted file under the firm's `compliance-reports` key, never in plaintext.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    file = models.OneToOneField("confidentiality.StoredFile", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("generated at"))

    class Meta:
        ordering = ["-period_start", "kind"]
        verbose_name = _("stored compliance report")
        verbose_name_plural = _("stored compliance reports")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="stored_compliance_report_once"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="stored_report_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period_start}"

    @property
    def label(self) -> str:
        return f"{self.period_start:%Y-%m}" if self.kind == ReportKind.MONTH else f"{self.period_start:%Y}"
