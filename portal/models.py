"""The firm's commitment to its clients (保密承诺 and privacy notice), versioned, and who acknowledged which.

These notices are the firm's own text, not client-confidential: plain columns. An acknowledgement
records who, which version, when and from where (as the staff NDA acceptances do).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class CommitmentNotice(models.Model):
    """One version of the confidentiality commitment and privacy notice, in Chinese and English.

    A draft has no `published_at`. The current version is the published one with the highest number;
    clients are asked to acknowledge it.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("commitment notice")
        verbose_name_plural = _("commitment notices")
        constraints = [
            models.CheckConstraint(condition=models.Q(version__gte=1), name="commitment_version_positive"),
            models.CheckConstraint(
                condition=~models.Q(title_zh="")
                & ~models.Q(title_en="")
                & ~models.Q(body_zh="")
                & ~models.Q(body_en=""),
                name="commitment_texts_present",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.title_en}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def title(self) -> str:
        """The title in the language of the request (Chinese unless English is chosen)."""
        return self.title_en if (get_language() or "").startswith("en") else self.title_zh

    @property
    def body(self) -> str:
        return self.body_en if (get_language() or "").startswith("en") else self.body_zh


class CommitmentAcknowledgement(models.Model):
    """A client user acknowledged one version of the commitment: who, which version, when, from where."""

    notice = models.ForeignKey(CommitmentNotice, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version_number = models.PositiveIntegerField(_("version"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        verbose_name = _("commitment acknowledgement")
        verbose_name_plural = _("commitment acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="commitment_acknowledged_once"),
        ]

    def __str__(self) -> str:
        return f"acknowledgement of v{self.version_number} by user {self.user_id}"
