"""The audit trail: domain events (what was done) and access events (what was read).

Rows are append-only: written by `audit.services`, never updated or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    USER_SIGNED_IN = "user_signed_in", _("Signed in (password)")
    USER_SIGNIN_FAILED = "user_signin_failed", _("Sign-in failed")
    USER_SIGNED_OUT = "user_signed_out", _("Signed out")
    USER_LOCKED_OUT = "user_locked_out", _("Locked out after failed sign-ins")
    OTP_DEVICE_ENROLLED = "otp_device_enrolled", _("Enrolled a two-factor device")
    OTP_VERIFIED = "otp_verified", _("Passed two-factor verification")
    OTP_FAILED = "otp_failed", _("Failed two-factor verification")
    SESSIONS_REVOKED = "sessions_revoked", _("Signed out everywhere")
    SESSION_EXPIRED = "session_expired", _("Session ended after inactivity")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET_COMPLETED = "password_reset_completed", _("Password reset completed")
    USER_CREATED = "user_created", _("User created")
    ROLES_SYNCED = "roles_synced", _("Role capabilities synchronised")
    # Emitted by the access slice; an alert rule watches for it.
    ACCESS_EMERGENCY_GRANTED = "access_emergency_granted", _("Emergency access granted")
    AUDIT_EXPORTED = "audit_exported", _("Audit trail exported")
    AUDIT_VERIFIED = "audit_verified", _("Audit trail verified")
    AUDIT_VERIFY_FAILED = "audit_verify_failed", _("Audit trail verification failed")
    ALERT_RAISED = "alert_raised", _("Alert raised")
    ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Alert acknowledged")
    ALERT_ESCALATED = "alert_escalated", _("Alert escalated")
    ALERT_CLOSED = "alert_closed", _("Alert closed")
    ALERT_NOTE_ADDED = "alert_note_added", _("Note added to alert")
    ALERT_RULE_CHANGED = "alert_rule_changed", _("Alert rule changed")
    DATA_KEY_DESTROYED = "data_key_destroyed", _("Data key destroyed (crypto-shredded)")
    MASTER_KEY_ROTATED = "master_key_rotated", _("Master key rotated (data keys rewrapped)")
    DATA_KEY_ROTATION_STARTED = "data_key_rotation_started", _("Data-key rotation started")
    DATA_KEY_ROTATION_COMPLETED = "data_key_rotation_completed", _("Data-key rotation completed")
    DATA_KEY_ROTATION_FAILED = "data_key_rotation_failed", _("Data-key rotation failed")
    DECRYPTION_FAILED = "decryption_failed", _("Decryption failed (tampered or moved ciphertext)")
    STORED_FILE_DELETED = "stored_file_deleted", _("Encrypted file deleted")
    # Client portal, books and our commitment (portal-books slice).
    COMMITMENT_NOTICE_DRAFTED = "commitment_notice_drafted", _("Commitment notice drafted")
    COMMITMENT_NOTICE_PUBLISHED = "commitment_notice_published", _("Commitment notice published")
    COMMITMENT_NOTICE_ACKNOWLEDGED = "commitment_notice_acknowledged", _("Commitment notice acknowledged")


class AccessAction(models.TextChoices):
    """What an access event records. Other slices may write further actions (free text)."""

    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed")
    SEARCH = "search", _("Searched")
    DOWNLOAD = "download", _("Downloaded")
    EXPORT = "export", _("Exported")
    PRINT = "print", _("Printed")
    REVEAL = "reveal", _("Revealed a secret field")
    DENIED = "denied", _("Refused")


class AuditEvent(models.Model):
    """A domain event recorded by a service in the same transaction as its change."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A snapshot, so the trail still reads right if the account is later renamed.
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    client_ref = models.CharField(max_length=64, blank=True, db_index=True)
    # Identifiers and non-confidential facts only: never plaintext of client data.
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["actor", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"


class AccessEvent(models.Model):
    """A read of client data (or a refused attempt): who, what, when, from where, and why."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=64, blank=True)
    client_ref = models.CharField(max_length=64, blank=True, db_index=True)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=100, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    path_name = models.CharField(max_length=100, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["client_ref", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action} {self.object_type}"


class SealBlock(models.Model):
    """A signed block of the hash chain over one audit table's entries (see docs/audit.md).

    `entry_ids` and `entry_hashes` hold the sealed entries' ids (8-byte big-endian each) and their
    canonical SHA-256 hashes (32 bytes each), in id order. `block_hash` covers the previous block's
    hash and all of the above; `signature` is Ed25519 over `block_hash`, with a key kept outside
    the database. Rows are append-only.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    source = models.CharField(max_length=32)
    format = models.PositiveSmallIntegerField(default=1)
    sealed_at = models.DateTimeField(default=timezone.now)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    entry_count = models.PositiveIntegerField()
    entry_ids = models.BinaryField()
    entry_hashes = models.BinaryField()
    prev_hash = models.CharField(max_length=64)
    block_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["source", "seq"])]

    def __str__(self) -> str:
        return f"block {self.seq} {self.source} #{self.first_id}..#{self.last_id}"


class AlertKind(models.TextChoices):
    MANY_CLIENTS = "many_clients", _("One person viewing many distinct clients")
    OFF_HOURS = "off_hours", _("Access outside working hours")
    REPEATED_DENIALS = "repeated_denials", _("Repeated refused attempts")
    BULK_EXPORT = "bulk_export", _("Bulk export or download")
    OFFBOARDED_SIGN_IN = "offboarded_sign_in", _("Sign-in attempt by an offboarded account")
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access granted")
    SECRET_REVEALS = "secret_reveals", _("Secret-field reveals above a rate")
    AUDIT_INTEGRITY = "audit_integrity", _("Audit trail failed verification")
    DECRYPTION_FAILED = "decryption_failed", _("Encrypted data failed to decrypt (tampered or moved)")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AlertRule(models.Model):
    """The compliance officer's tunable thresholds for one kind of alert."""

    kind = models.CharField(_("rule"), max_length=32, choices=AlertKind.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    threshold = models.PositiveIntegerField(_("threshold"), default=1)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    # Working hours (Asia/Shanghai) for the off-hours rule.
    work_start = models.TimeField(_("working day starts"), null=True, blank=True)
    work_end = models.TimeField(_("working day ends"), null=True, blank=True)
    weekdays_only = models.BooleanField(_("weekends are outside working hours"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=models.Q(threshold__gte=1), name="alertrule_threshold_positive"),
            models.CheckConstraint(condition=models.Q(window_minutes__gte=1), name="alertrule_window_positive"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")


class Alert(models.Model):
    """A pattern that may be insider abuse, for the compliance desk. Holds facts, never client data."""

    kind = models.CharField(max_length=32, choices=AlertKind.choices, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_label = models.CharField(max_length=150, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # Counts, thresholds and event ids: what the rule saw. No names of clients, no content.
    facts = models.JSONField(default=dict, blank=True)
    # One alert per pattern occurrence, however often the evaluation runs.
    dedupe_key = models.CharField(max_length=200, unique=True)
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_label} {self.raised_at:%Y-%m-%d %H:%M}"


class AlertNote(models.Model):
    """What the compliance desk did with an alert, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.author_id}"


class AlertCursor(models.Model):
    """How far the alert evaluation has read each audit table (so each event is judged once)."""

    source = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} @ {self.last_id}"
