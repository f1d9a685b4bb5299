"""Every change to who may reach which client: assignments, object permissions, grants, delegates, leavers.

Object permissions (django-guardian rows) are granted and removed only here, always recomputed
from the live sources of access of one person on one client (`_sync_permissions`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from clients.models import Client
from confidentiality import access
from confidentiality.models import (
    GRANT_PERMISSIONS,
    ROLE_PERMISSIONS,
    AccessAuditAction,
    AccessGrant,
    Assignment,
    AssignmentRole,
    ClientUserObjectPermission,
    Delegation,
    DelegationState,
    GrantState,
)


def _client_permission_objects(codenames: set[str] | frozenset[str]) -> dict[str, Permission]:
    content_type = ContentType.objects.get_for_model(Client)
    return {p.codename: p for p in Permission.objects.filter(content_type=content_type, codename__in=codenames)}


def entitled_permissions(user: User, client_id: Any, *, at: datetime | None = None) -> frozenset[str]:
    """What the live assignments and grants of `user` on the client entitle them to (gates aside)."""
    now = at or timezone.now()
    perms: set[str] = set()
    for role in access.live_assignments(now).filter(user=user, client_id=client_id).values_list("role", flat=True):
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    if access.live_grants(now).filter(user=user, client_id=client_id).exists():
        perms |= GRANT_PERMISSIONS
    return frozenset(perms)


def _sync_permissions(user: User, client_id: Any, *, at: datetime | None = None) -> None:
    """Make the guardian rows of `user` on the client exactly what their live sources entitle."""
    wanted = entitled_permissions(user, client_id, at=at)
    rows = ClientUserObjectPermission.objects.filter(user=user, content_object_id=client_id)
    rows.exclude(permission__codename__in=wanted).delete()
    have = set(rows.values_list("permission__codename", flat=True))
    missing = wanted - have
    if missing:
        perms = _client_permission_objects(missing)
        ClientUserObjectPermission.objects.bulk_create(
            [ClientUserObjectPermission(user=user, content_object_id=client_id, permission=perms[c]) for c in missing]
        )
    access.forget_cached(user)


def _require_capability(actor: User, codename: str) -> None:
    if not (access.is_active_staff(actor) and actor.has_perm(f"accounts.{codename}")):
        raise ValidationError(_("You are not allowed to do this."), code="forbidden")


def _require_staff_grantee(user: User) -> None:
    if not access.is_active_staff(user):
        raise ValidationError(_("Access can only be given to active firm staff."), code="not_staff")


@transaction.atomic
def assign_staff(*, client: Client, user: User, role: str, ends_at: datetime | None = None, actor: User) -> Assignment:
    """Put a staff member on a client in a role, optionally until `ends_at`."""
    _require_capability(actor, "manage_assignments")
    _require_staff_grantee(user)
    if role not in AssignmentRole.values:
        raise ValidationError(_("Choose a role on the client."), code="role")
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise ValidationError(_("The end date must be in the future."), code="end_in_past")
    if Assignment.objects.filter(client=client, user=user, role=role, ended_at__isnull=True).exists():
        raise ValidationError(_("This person already has this role on the client."), code="duplicate")
    assignment = Assignment.objects.create(
        client=client, user=user, role=role, starts_at=now, ends_at=ends_at, assigned_by=actor, created_at=now
    )
    _sync_permissions(user, client.pk, at=now)
    audit.record(
        actor=actor,
        action=AccessAuditAction.ASSIGNMENT_CREATED,
        target=assignment,
        client_ref=str(client.pk),
        details={"user_id": user.pk, "role": role, "ends_at": ends_at.isoformat() if ends_at else None},
    )
    return assignment


@transaction.atomic
def end_assignment(assignment: Assignment, *, actor: User | None, reason: str = "ended") -> Assignment:
    """End an assignment now; its permissions go with it (unless another live source still grants them)."""
    if actor is not None:
        _require_capability(actor, "manage_assignments")
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.ended_at is not None:
        return assignment
    now = timezone.now()
    assignment.ended_at = now
    assignment.ended_by = actor
    assignment.end_reason = reason[:32]
    assignment.save(update_fields=["ended_at", "ended_by", "end_reason"])
    _sync_permissions(assignment.user, assignment.client_id, at=now)
    audit.record(
        actor=actor,
        action=AccessAuditAction.ASSIGNMENT_ENDED,
        target=assignment,
        client_ref=str(assignment.client_id),
        details={"user_id": assignment.user_id, "role": assignment.role, "reason": assignment.end_reason},
    )
    return assignment


@transaction.atomic
def expire_access(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled clean-up: end what has run out. (Access already stopped at the end date itself.)"""
    now = now or timezone.now()
    counts = {"assignments": 0, "grants": 0, "delegations": 0}
    for assignment in Assignment.objects.filter(ended_at__isnull=True, ends_at__lte=now).select_related("user"):
        assignment.ended_at = now
        assignment.end_reason = "expired"
        assignment.save(update_fields=["ended_at", "end_reason"])
        _sync_permissions(assignment.user, assignment.client_id, at=now)
        audit.record(
            actor=None,
            action=AccessAuditAction.ASSIGNMENT_ENDED,
            target=assignment,
            client_ref=str(assignment.client_id),
            details={"user_id": assignment.user_id, "role": assignment.role, "reason": "expired"},
        )
        counts["assignments"] += 1
    for grant in AccessGrant.objects.filter(state=GrantState.APPROVED, ends_at__lte=now).select_related("user"):
        grant.state = GrantState.ENDED
        grant.ended_at = now
        grant.save(update_fields=["state", "ended_at"])
        _sync_permissions(grant.user, grant.client_id, at=now)
        audit.record(
            actor=None,
            action=AccessAuditAction.ACCESS_ENDED,
            target=grant,
            client_ref=str(grant.client_id),
            details={"user_id": grant.user_id, "reason": "expired"},
        )
        counts["grants"] += 1
    expiring = Delegation.objects.filter(state__in=[DelegationState.INVITED, DelegationState.ACTIVE], ends_at__lte=now)
    for delegation in expiring:
        delegation.state = DelegationState.EXPIRED
        delegation.save(update_fields=["state"])
        audit.record(
            actor=None,
            action=AccessAuditAction.DELEGATE_EXPIRED,
            target=delegation,
            client_ref=str(delegation.client_id),
        )
        counts["delegations"] += 1
    return counts
