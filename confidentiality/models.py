"""Keys: per-scope data keys, stored only wrapped by a master key that lives outside the database."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
