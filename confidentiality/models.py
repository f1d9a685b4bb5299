"""Keys: per-scope data keys, stored only wrapped by a master key that lives outside the database."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from confidentiality.keyscope import KeyScope


class DataKeyState(models.TextChoices):
    ACTIVE = "active", _("Active (encrypts new data)")
    RETIRED = "retired", _("Retired (decrypts old data until re-encrypted)")
    DESTROYED = "destroyed", _("Destroyed (crypto-shredded)")


class DataKey(models.Model):
    """One AES-256 data key for a scope (a client, a client's fiscal year, or a firm purpose)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=80, db_index=True)
    year = models.IntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=DataKeyState.choices, default=DataKeyState.ACTIVE)
    master_key_id = models.CharField(max_length=64, blank=True)
    # AES-GCM(master key) of the data key; emptied when the key is destroyed.
    wrapped_key = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
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
                condition=models.Q(state="destroyed", wrapped_key__isnull=True)
                | (~models.Q(state="destroyed") & models.Q(wrapped_key__isnull=False)),
                name="destroyed_key_has_no_material",
            ),
        ]

    def __str__(self) -> str:
        return f"data key {self.owner}/{self.year or '-'} v{self.version} ({self.state})"

    def wrap_context(self) -> bytes:
        """Binds the wrapped key to its identity, so a wrapped key copied to another row fails."""
        return f"firmportal-datakey|{self.id}|{self.owner}|{self.year if self.year is not None else '-'}".encode()


# --- Access control: assignments, object permissions, temporary grants, delegates, leavers ------------
# (The access slice's models; keys above belong to the encryption slice.)
# Imported here, not at the top: the encrypted fields import the crypto module, which imports DataKey.
from confidentiality.fields import EncryptedTextField  # noqa: E402

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
