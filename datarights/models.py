"""Data-rights requests (PIPL Art. 44–47, 50): the case, its timeline and the access-and-copy package."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Client
from confidentiality.fields import EncryptedJSONField, EncryptedTextField
from confidentiality.keyscope import KeyScope


class DataRightsAction(models.TextChoices):
    """Audit actions of the data-rights slice (written with audit.services.record)."""

    DATA_REQUEST_SUBMITTED = "data_request_submitted", _("Data-rights request submitted")
    DATA_REQUEST_ACKNOWLEDGED = "data_request_acknowledged", _("Data-rights request acknowledged")
    DATA_REQUEST_FULFILLED = "data_request_fulfilled", _("Data-rights request fulfilled")
    DATA_REQUEST_REFUSED = "data_request_refused", _("Data-rights request refused")
    DATA_PACKAGE_QUEUED = "data_package_queued", _("Data export package queued")
    DATA_PACKAGE_BUILT = "data_package_built", _("Data export package built")
    DATA_PACKAGE_FAILED = "data_package_failed", _("Data export package failed")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access and copy of our data (PIPL Art. 44–45)")
    CORRECTION = "correction", _("Correction of our data (PIPL Art. 46)")
    DELETION = "deletion", _("Deletion of our data (PIPL Art. 47)")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent (PIPL Art. 15)")


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("data-rights state", "Submitted")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("data-rights state", "Acknowledged")
    IN_PROGRESS = "in_progress", pgettext_lazy("data-rights state", "Being prepared")
    FULFILLED = "fulfilled", pgettext_lazy("data-rights state", "Answered")
    REFUSED = "refused", pgettext_lazy("data-rights state", "Refused")


OPEN_STATES = (RequestState.SUBMITTED, RequestState.ACKNOWLEDGED, RequestState.IN_PROGRESS)


class DataRightsRequestQuerySet(models.QuerySet["DataRightsRequest"]):
    def open(self) -> DataRightsRequestQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, today: object = None) -> DataRightsRequestQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())


class DataRightsRequest(models.Model):
    """One request of a client company's owner, a case on the compliance desk with a deadline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="data_rights_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(pgettext_lazy("data-rights field", "kind"), max_length=16, choices=RequestKind.choices)
    state = models.CharField(
        pgettext_lazy("data-rights field", "state"),
        max_length=16,
        choices=RequestState.choices,
        default=RequestState.SUBMITTED,
    )
    # What the client typed (what is wrong, what to delete, ...): encrypted under the client's key.
    details = EncryptedTextField(pgettext_lazy("data-rights field", "details"))
    submitted_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(_("answer due"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The officer's answer (what was corrected, what follows) or the reasons of a refusal, shown to
    # the client; may describe the client's affairs: encrypted.
    answer = EncryptedTextField(pgettext_lazy("data-rights field", "answer"))
    # A deletion request's assessment: {"erased": [...], "scheduled": [...], "locked": [...]}.
    erasure = EncryptedJSONField(_("erasure assessment"))

    objects = DataRightsRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["state", "due_on"]), models.Index(fields=["client", "submitted_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=RequestKind.values), name="datarights_kind_valid"),
            models.CheckConstraint(condition=models.Q(state__in=RequestState.values), name="datarights_state_valid"),
            models.CheckConstraint(
                condition=models.Q(state__in=OPEN_STATES) | models.Q(closed_at__isnull=False),
                name="datarights_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"data-rights request {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class TimelineStep(models.TextChoices):
    SUBMITTED = "submitted", _("Request received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the compliance officer")
    PACKAGE_QUEUED = "package_queued", _("Export package being prepared")
    PACKAGE_READY = "package_ready", _("Export package ready to download")
    PACKAGE_FAILED = "package_failed", _("Export package could not be built")
    FULFILLED = "fulfilled", pgettext_lazy("data-rights state", "Answered")
    REFUSED = "refused", _("Refused, with reasons")


class RequestEvent(models.Model):
    """One step of a request's timeline (who and when; the words live on the request, encrypted)."""

    request = models.ForeignKey(DataRightsRequest, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=16, choices=TimelineStep.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(step__in=TimelineStep.values), name="datarights_step_valid")
        ]

    def __str__(self) -> str:
        return f"{self.step} of {self.request_id}"


class PackageState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("data-rights state", "Queued")
    BUILDING = "building", pgettext_lazy("data-rights state", "Being built")
    READY = "ready", pgettext_lazy("data-rights state", "Ready")
    FAILED = "failed", pgettext_lazy("data-rights state", "Failed")
    EXPIRED = "expired", pgettext_lazy("data-rights state", "Expired and deleted")


class ExportPackage(models.Model):
    """The access-and-copy package of a request: built by a task, kept encrypted, offered until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(DataRightsRequest, on_delete=models.PROTECT, related_name="package")
    state = models.CharField(max_length=16, choices=PackageState.choices, default=PackageState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    # The encrypted zip in confidentiality.files (its row holds the file key).
    stored_file_id = models.UUIDField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # A short technical reason (exception class), never client data.
    failure = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=PackageState.values), name="datarights_package_state"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="datarights_package_progress"),
            models.CheckConstraint(
                condition=~models.Q(state=PackageState.READY)
                | models.Q(stored_file_id__isnull=False, expires_at__isnull=False),
                name="datarights_ready_package_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"export package {self.pk}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_running(self) -> bool:
        return self.state in (PackageState.QUEUED, PackageState.BUILDING)
