"""Clients of the firm and the people on the client side."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confidentiality.fields import EncryptedTextField
from confidentiality.keyscope import KeyScope


class TaxpayerType(models.TextChoices):
    SMALL_SCALE = "small_scale", _("Small-scale taxpayer (小规模纳税人)")
    GENERAL = "general", _("General taxpayer (一般纳税人)")


class Client(models.Model):
    """A company whose books the firm keeps. Its name and identifiers are confidential."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = EncryptedTextField(_("company name"))
    credit_code = EncryptedTextField(_("unified social credit code"))
    taxpayer_type = models.CharField(_("taxpayer type"), max_length=16, choices=TaxpayerType.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["created_at"]
        # Client-scoped object permissions (granted per client by confidentiality.services, checked by
        # confidentiality.access). `view_client` is Django's default "view" permission of this model.
        permissions = [
            ("view_books", _("View the books of this client")),
            ("prepare_vouchers", _("Prepare vouchers for this client")),
            ("review_vouchers", _("Review and post vouchers of this client")),
            ("view_documents", _("View documents of this client")),
            ("upload_documents", _("Upload documents for this client")),
            ("manage_client", _("Manage this client's engagement")),
            ("reveal_secret", _("Reveal secret fields of this client (with a purpose)")),
        ]

    def __str__(self) -> str:
        # Never the name: str() reaches logs, admin and audit reprs.
        return f"client {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.pk)


class ClientRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    FINANCE = "finance", _("Finance contact")


class ClientMembership(models.Model):
    """A client user belongs to a client company, as its owner or finance contact."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_memberships")
    role = models.CharField(max_length=16, choices=ClientRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "user"], name="one_membership_per_client_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.client_id}"
