"""Keys: per-scope data keys (metadata only: the material lives in the key provider's keystore),
key-rotation jobs, and encrypted stored files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
