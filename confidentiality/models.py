"""Keys: per-scope data keys (metadata only: the material lives in the key provider's keystore),
key-rotation jobs, and encrypted stored files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from confidentiality.fields import EncryptedBinaryField, EncryptedTextField
from confidentiality.keyscope import KeyScope


class DataKeyState(models.TextChoices):
    ACTIVE = "active", _("Active (encrypts new data)")
    RETIRED = "retired", _("Retired (decrypts old data until re-encrypted)")
    DESTROYED = "destroyed", _("Destroyed (crypto-shredded)")


class DataKey(models.Model):
    """One AES-256 data key for a scope (a client, a client's fiscal year, or a firm purpose).

    Metadata only. The key material is in the key provider's keystore, outside the database and
    its backups, so destroying it there makes every copy of the ciphertext unreadable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=80, db_index=True)
    year = models.IntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=DataKeyState.choices, default=DataKeyState.ACTIVE)
    # The master key that first wrapped the material. The keystore is authoritative for the one
    # wrapping it now: master-key rotation rewraps there and leaves the database alone.
    master_key_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "year"],
                condition=models.Q(state="active"),
                name="one_active_data_key_per_scope",
                nulls_distinct=False,
            ),
            models.UniqueConstraint(
                fields=["owner", "year", "version"], name="data_key_version_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=models.Q(state="destroyed", destroyed_at__isnull=False)
                | (~models.Q(state="destroyed") & models.Q(destroyed_at__isnull=True)),
                name="destroyed_key_has_destroyed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"data key {self.owner}/{self.year or '-'} v{self.version} ({self.state})"

    @property
    def scope(self) -> KeyScope:
        return KeyScope(owner=self.owner, year=self.year)

    def wrap_context(self) -> bytes:
        """Binds the wrapped key to its identity, so an entry copied to another key id fails."""
        return f"firmportal-datakey|{self.id}|{self.owner}|{self.year if self.year is not None else '-'}".encode()


class RotationKind(models.TextChoices):
    MASTER = "master", _("Master key (rewrap data keys)")
    DATA = "data", _("Data key (re-encrypt a scope's data)")


class RotationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class KeyRotationJob(models.Model):
    """One key rotation. A data-key job re-encrypts one scope's rows in batches; its cursor and
    counters are saved with each batch, so a killed worker resumes where it stopped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=RotationKind.choices)
    owner = models.CharField(max_length=80, blank=True)
    year = models.IntegerField(null=True, blank=True)
    new_key = models.ForeignKey(DataKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=RotationState.choices, default=RotationState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # Resume point: models already finished, and the last primary key done in the current one.
    models_done = models.JSONField(default=list, blank=True)
    current_model = models.CharField(max_length=100, blank=True)
    cursor = models.CharField(max_length=64, blank=True)
    old_master_key_id = models.CharField(max_length=200, blank=True)
    new_master_key_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "year"],
                condition=models.Q(kind="data", state__in=["queued", "running"]),
                name="one_open_rotation_per_scope",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} key rotation {self.owner or '-'} ({self.state} {self.done}/{self.total})"

    @property
    def scope(self) -> KeyScope:
        return KeyScope(owner=self.owner, year=self.year)

    @property
    def percent(self) -> int:
        if self.state == RotationState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_open(self) -> bool:
        return self.state in {RotationState.QUEUED, RotationState.RUNNING}


class StoredFile(models.Model):
    """An encrypted file under MEDIA_ROOT. The body is encrypted in chunks under a per-file key,
    which is itself an encrypted field of this row (under the scope's data key): rotating the data
    key rewraps the file key only, destroying the scope's key shreds the file."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=80, db_index=True)
    year = models.IntegerField(null=True, blank=True)
    owner_label = models.CharField(max_length=100, help_text="what the file belongs to, e.g. clients.document")
    name = EncryptedTextField(_("original file name"))
    file_key = EncryptedBinaryField()
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField(help_text="plaintext size in bytes")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the ciphertext file")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"stored file {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope(owner=self.owner, year=self.year)

    @property
    def relative_path(self) -> str:
        hexid = self.id.hex
        return f"encrypted/{hexid[:2]}/{hexid[2:4]}/{hexid}.fpf"


# --- Access control: assignments, object permissions, temporary grants, delegates, leavers ------------
# (The access slice's models; keys above belong to the encryption slice.)

CLIENT_PERMISSIONS = (
    "view_client",
    "view_books",
    "prepare_vouchers",
    "review_vouchers",
    "view_documents",
    "upload_documents",
    "manage_client",
    "reveal_secret",
)


class AssignmentRole(models.TextChoices):
    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Engagement manager")


# What each role on a client may do there: the object permissions an assignment grants.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    AssignmentRole.BOOKKEEPER: frozenset(
        {"view_client", "view_books", "prepare_vouchers", "view_documents", "upload_documents", "reveal_secret"}
    ),
    AssignmentRole.REVIEWER: frozenset({"view_client", "view_books", "review_vouchers", "view_documents"}),
    AssignmentRole.MANAGER: frozenset(
        {"view_client", "view_books", "review_vouchers", "view_documents", "upload_documents", "manage_client"}
        | {"reveal_secret"}
    ),
}
# A temporary grant reads; it never prepares, reviews or manages.
GRANT_PERMISSIONS = frozenset({"view_client", "view_books", "view_documents"})


class ClientUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-object permission of a user, with a real foreign key to the client."""

    content_object = models.ForeignKey("clients.Client", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        verbose_name = _("client permission of a user")

    def __str__(self) -> str:
        return f"{self.user_id} {self.permission_id} on {self.content_object_id}"


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    """django-guardian's per-object permission of a group, with a real foreign key to the client.

    No service grants these; they never grant access by themselves (see confidentiality.access).
    """

    content_object = models.ForeignKey("clients.Client", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        verbose_name = _("client permission of a group")

    def __str__(self) -> str:
        return f"group {self.group_id} {self.permission_id} on {self.content_object_id}"


class Assignment(models.Model):
    """A staff member works on a client in a role, from `starts_at` until `ends_at` (open when empty).

    Live = not ended, started, and not past its end date. The access layer checks that at every
    access; a scheduled job later marks expired rows ended and removes their object permissions.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role on the client"), max_length=16, choices=AssignmentRole.choices)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("end date"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "user", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_assignment_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"]), models.Index(fields=["client", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} on {self.client_id}"


class AccessPurpose(models.TextChoices):
    """Why someone reads what they read: stated for temporary access and for revealing secret fields."""

    VOUCHER_PREPARATION = "voucher_preparation", _("Preparing vouchers")
    REVIEW = "review", _("Reviewing or posting")
    TAX_FILING = "tax_filing", _("Tax filing")
    PAYROLL = "payroll", _("Payroll")
    CLIENT_REQUEST = "client_request", _("Answering the client's request")
    QUALITY_REVIEW = "quality_review", _("Quality review")
    INCIDENT = "incident", _("Incident or emergency")
    OTHER = "other", _("Other (explain)")


class GrantState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")
    ENDED = "ended", _("Ended")


class AccessGrant(models.Model):
    """Time-limited, purpose-bound read access to a client the person is not assigned to.

    Requested and decided by different people (also a database constraint); an emergency grant is
    taken by the person themselves, alerts compliance and waits in the review queue.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants")
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose.choices)
    purpose_detail = models.CharField(_("purpose, in your words"), max_length=200)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("access until"))
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.PENDING)
    emergency = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("temporary access")
        verbose_name_plural = _("temporary access")
        ordering = ["-created_at"]
        constraints = [
            # Nobody approves their own request (an emergency grant records no approver).
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("user")),
                name="grant_not_self_decided",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("user")),
                name="grant_not_self_reviewed",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="grant_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["user", "state"]), models.Index(fields=["state", "ends_at"])]

    def __str__(self) -> str:
        return f"grant {self.pk} {self.user_id} on {self.client_id} ({self.state})"


class DelegateScope(models.TextChoices):
    REPORTS = "reports", _("Reports")
    DOCUMENTS = "documents", _("Documents")
    # clientcare: read-only access to the company's secure messages (decided in clientcare.queries).
    MESSAGES = "messages", _("Secure messages (read only)")


# Which client permissions each delegate scope gives (always read-only).
DELEGATE_SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    DelegateScope.REPORTS: frozenset({"view_books"}),
    DelegateScope.DOCUMENTS: frozenset({"view_documents"}),
}


class DelegationState(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Delegation(models.Model):
    """A client owner lets a third person (a lawyer, a spouse) read some pages until an end date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="delegations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The delegate's address is personal data the client gave us: encrypted under the client's key.
    email = EncryptedTextField(_("e-mail address"))
    email_hash = models.CharField(max_length=64, db_index=True)
    scope = models.JSONField(_("pages"), default=list)
    ends_at = models.DateTimeField(_("access until"))
    state = models.CharField(max_length=16, choices=DelegationState.choices, default=DelegationState.INVITED)
    # Part of the signed invitation token: a new invitation makes the old link useless.
    token_nonce = models.CharField(max_length=32)
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="delegations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("delegate")
        verbose_name_plural = _("delegates")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["delegate", "state"])]

    def __str__(self) -> str:
        return f"delegation {self.pk} on {self.client_id} ({self.state})"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)


class LeaverReport(models.Model):
    """What a departing staff member could reach and when they last did, for the managers of those clients.

    `entries` holds ids and timestamps only: [{"client_id", "sources", "last_access_at"}].
    """

    leaver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leaver_reports")
    offboarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    entries = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        verbose_name = _("leaver report")
        verbose_name_plural = _("leaver reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"leaver report {self.pk} for {self.leaver_id}"


class AccessAuditAction(models.TextChoices):
    """Audit actions written by the access slice (AuditEvent.action is free text)."""

    ASSIGNMENT_CREATED = "assignment_created", _("Staff assigned to a client")
    ASSIGNMENT_ENDED = "assignment_ended", _("Assignment ended")
    ACCESS_REQUESTED = "access_requested", _("Temporary access requested")
    ACCESS_APPROVED = "access_approved", _("Temporary access approved")
    ACCESS_REFUSED = "access_refused", _("Temporary access refused")
    ACCESS_WITHDRAWN = "access_withdrawn", _("Temporary access request withdrawn")
    ACCESS_ENDED = "access_ended", _("Temporary access ended")
    ACCESS_EMERGENCY_GRANTED = "access_emergency_granted", _("Emergency access granted")
    ACCESS_EMERGENCY_REVIEWED = "access_emergency_reviewed", _("Emergency access reviewed")
    STAFF_OFFBOARDED = "staff_offboarded", _("Staff member offboarded")
    OFFBOARDED_SIGNIN_ATTEMPT = "offboarded_signin_attempt", _("Sign-in attempt by an offboarded account")
    DELEGATE_INVITED = "delegate_invited", _("Delegate invited")
    DELEGATE_ACCEPTED = "delegate_accepted", _("Delegate accepted the invitation")
    DELEGATE_REVOKED = "delegate_revoked", _("Delegate revoked")
    DELEGATE_EXPIRED = "delegate_expired", _("Delegate access expired")
    CONSOLE_ACTION = "console_action", _("Admin console action")
