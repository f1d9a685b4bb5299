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
    DATA_KEY_DESTROYED = "data_key_destroyed", _("Data key destroyed (crypto-shredded)")
    MASTER_KEY_ROTATED = "master_key_rotated", _("Master key rotated (data keys rewrapped)")
    DATA_KEY_ROTATION_STARTED = "data_key_rotation_started", _("Data-key rotation started")
    DATA_KEY_ROTATION_COMPLETED = "data_key_rotation_completed", _("Data-key rotation completed")
    DATA_KEY_ROTATION_FAILED = "data_key_rotation_failed", _("Data-key rotation failed")
    DECRYPTION_FAILED = "decryption_failed", _("Decryption failed (tampered or moved ciphertext)")
    STORED_FILE_DELETED = "stored_file_deleted", _("Encrypted file deleted")


class AuditEvent(models.Model):
    """A domain event recorded by a service in the same transaction as its change."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A snapshot, so the trail still reads right if the account is later renamed.
    actor_label = models.CharField(max_length=150, blank=True)
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
