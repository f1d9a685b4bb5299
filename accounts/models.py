"""People: staff and client users are different kinds of people, told apart by `kind`."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    STAFF = "staff", _("Firm staff")
    CLIENT = "client", _("Client user")


class StaffRole(models.TextChoices):
    """Staff roles. Each is a Group of the same name holding the role's model-level capabilities."""

    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Engagement manager / partner")
    ARCHIVIST = "archivist", _("Archivist")
    IT_ADMIN = "it_admin", _("IT administrator")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    FIRM_HEAD = "firm_head", _("Firm head")
    FIRM_ADMIN = "firm_admin", _("Firm administrator")


class User(AbstractUser):
    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # Bumped to end every session of this user at once ("sign out everywhere", offboarding).
    session_epoch = models.PositiveIntegerField(default=0)
    offboarded_at = models.DateTimeField(_("offboarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=UserKind.values), name="user_kind_valid"),
            # Only staff may ever hold Django's admin flags.
            models.CheckConstraint(
                condition=models.Q(kind=UserKind.STAFF) | models.Q(is_staff=False, is_superuser=False),
                name="user_client_never_admin",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_client_user(self) -> bool:
        return self.kind == UserKind.CLIENT

    @cached_property
    def roles(self) -> frozenset[str]:
        """The staff roles this person holds (group names that are roles)."""
        if not self.is_staff_member or not self.is_active:
            return frozenset()
        names = set(self.groups.values_list("name", flat=True))
        return frozenset(names & set(StaffRole.values))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class Capability(models.Model):
    """Holds the firm's model-level capabilities as permissions; never has rows.

    Roles (groups) are granted these; views check them with `user.has_perm("accounts.<codename>")`.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_staff_workspace", _("Use the staff workspace")),
            ("manage_clients", _("Create and edit clients and engagements")),
            ("manage_assignments", _("Assign staff to clients")),
            ("approve_access", _("Approve temporary access requests")),
            ("emergency_access", _("Grant oneself emergency access")),
            ("prepare_vouchers", _("Prepare vouchers and upload documents")),
            ("review_vouchers", _("Review and post vouchers")),
            ("reopen_periods", _("Reopen closed accounting periods")),
            ("manage_retention", _("Keep the archive and prepare destruction lists")),
            ("sign_destruction", _("Sign destruction lists")),
            ("manage_keys", _("Rotate encryption keys")),
            ("manage_backups", _("Run and verify backups")),
            ("view_compliance_desk", _("Use the compliance desk")),
            ("receive_compliance_reports", _("Receive compliance reports")),
            ("offboard_staff", _("Offboard staff")),
            ("use_console", _("Use the admin console")),
        ]

    def __str__(self) -> str:
        return "capability"


class UserSession(models.Model):
    """A signed-in session, listed to its owner so they can see and end it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tracked_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.created_at:%Y-%m-%d %H:%M}"
