"""Client care: secure messages between a client company and its assigned staff, privacy complaints
handled by the compliance desk, and the satisfaction survey (回访) after each period close.

Everything a client or staff member types here (subjects, bodies, attachment names, complaint texts,
answers, survey comments) is an encrypted field. The key: correspondence, complaints and feedback
are not accounting archives (会计档案) — no archive category, no retention counted from a fiscal
year end — but the client's own affairs for as long as the engagement lasts. So they are encrypted
under the client's own key (`KeyScope.for_client(client_id)`, like the client's master data and
its delegates' addresses): destroying that key at the end of the relationship shreds them with it,
and rotating it re-encrypts them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from confidentiality.fields import EncryptedTextField
from confidentiality.keyscope import KeyScope

# The delegate scope (confidentiality.models.DelegateScope.MESSAGES) that lets a delegate read the
# secure messages of the company, read-only. Named here so the label is in this app's catalog too.
MESSAGES_SCOPE = "messages"
MESSAGES_SCOPE_LABEL = _("Secure messages (read only)")


class ClientcareAction(models.TextChoices):
    """Audit actions of the client-care slice (`audit.record(action=...)`)."""

    THREAD_STARTED = "thread_started", _("Secure message thread started")
    MESSAGE_SENT = "message_sent", _("Secure message sent")
    COMPLAINT_FILED = "complaint_filed", _("Privacy complaint filed")
    COMPLAINT_ANSWERED = "complaint_answered", _("Privacy complaint answered")
    COMPLAINT_STATUS_CHANGED = "complaint_status_changed", _("Privacy complaint status changed")
    SURVEY_INVITED = "survey_invited", _("Satisfaction survey sent")
    SURVEY_ANSWERED = "survey_answered", _("Satisfaction survey answered")


class Side(models.TextChoices):
    CLIENT = "client", pgettext_lazy("message side", "The company")
    FIRM = "firm", pgettext_lazy("message side", "The firm")


def _client_scope(client_id: object) -> KeyScope:
    return KeyScope.for_client(str(client_id))


# --- Secure messages ---------------------------------------------------------------------------------


class Thread(models.Model):
    """A conversation between a client company and the staff assigned to it, with a subject."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="message_threads")
    subject = EncryptedTextField(_("subject"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_side = models.CharField(max_length=8, choices=Side.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["client", "-last_message_at"])]

    def __str__(self) -> str:
        return f"thread {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    # The thread's client, kept on the row so the access layer can decide on it directly.
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("secure message")
        verbose_name_plural = _("secure messages")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"message {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)


class Attachment(models.Model):
    """A file sent with a message: the body is a `StoredFile` (encrypted on disk), the name is encrypted here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    stored_file = models.OneToOneField("confidentiality.StoredFile", on_delete=models.PROTECT, related_name="+")
    name = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)


class ThreadRead(models.Model):
    """How far a person has read a thread (a read receipt): messages after `read_at` are unread for them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="one_read_receipt_per_thread_user")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} at {self.read_at:%Y-%m-%d %H:%M}"


# --- Privacy complaints ------------------------------------------------------------------------------


class ComplaintCategory(models.TextChoices):
    MISUSE = "misuse", _("My data was used for something I did not agree to")
    DISCLOSURE = "disclosure", _("My data was shown or given to someone it should not have been")
    ACCESS = "access", _("Someone at the firm looked at my data without need")
    SECURITY = "security", _("My data is not kept safely")
    RIGHTS = "rights", _("A data-rights request was not handled properly")
    OTHER = "other", _("Something else")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Being investigated")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# A privacy complaint is answered within the data-rights deadline (PIPL Art. 50: a convenient channel
# and a timely answer): settings.FIRMPORTAL_DATARIGHTS_DEADLINE_WORKING_DAYS working days, counted by
# `datarights.dates` (holidays and 调休 as configured there).


class Complaint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="privacy_complaints")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("what it is about"), max_length=16, choices=ComplaintCategory.choices)
    text = EncryptedTextField(_("your complaint"))
    status = models.CharField(max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED)
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateField(_("answer due by"))
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("privacy complaint")
        verbose_name_plural = _("privacy complaints")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ComplaintStatus.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_at__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_at__isnull=True)),
                name="closed_complaint_has_closed_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"complaint {self.pk} ({self.status})"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)

    @property
    def is_open(self) -> bool:
        return self.status != ComplaintStatus.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.status in (ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING) and (
            timezone.localdate() > self.deadline
        )


class ComplaintResponse(models.Model):
    """An answer of the compliance desk on a complaint (the client sees every one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="responses")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("answer"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"response {self.pk} on {self.complaint_id}"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)


# --- Satisfaction survey (回访) ------------------------------------------------------------------------

# The questions, in the order asked; each is answered with 1 to 5 stars.
SURVEY_QUESTIONS: tuple[tuple[str, object], ...] = (
    ("timeliness", _("Were your books and tax filings done on time?")),
    ("quality", _("How clear and accurate were the reports?")),
    ("communication", _("How well did we answer your questions?")),
    ("overall", _("Overall, how satisfied are you with our work this month?")),
)
SURVEY_FIELDS = tuple(name for name, _label in SURVEY_QUESTIONS)


class SurveyInvitation(models.Model):
    """Sent to the client's owner when a period is closed: one per client and month."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="survey_invitations")
    period = models.ForeignKey("clients.AccountingPeriod", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["client", "year", "month"], name="one_survey_per_client_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="survey_month_valid"),
        ]

    def __str__(self) -> str:
        return f"survey {self.year}-{self.month:02d} for {self.client_id}"

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _score_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}), name=f"survey_{name}_1_to_5"
    )


class SurveyResponse(models.Model):
    """The client's answer: 1–5 stars per question and an optional comment (encrypted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    timeliness = models.PositiveSmallIntegerField()
    quality = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    overall = models.PositiveSmallIntegerField()
    comment = EncryptedTextField(_("comment"))
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "year", "month"], name="one_survey_response_per_client_month"),
            *(_score_check(name) for name in ("timeliness", "quality", "communication", "overall")),
        ]

    def __str__(self) -> str:
        return f"survey response {self.year}-{self.month:02d} of {self.client_id}"

    def encryption_scope(self) -> KeyScope:
        return _client_scope(self.client_id)
