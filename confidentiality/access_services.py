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
from firmportal.mail import mail_after_commit


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


# --- Temporary and emergency access -----------------------------------------------------------------

MAX_GRANT_HOURS = 24 * 14
MAX_EMERGENCY_HOURS = 8


def _check_purpose(purpose: str, purpose_detail: str) -> str:
    from confidentiality.models import AccessPurpose

    if purpose not in AccessPurpose.values:
        raise ValidationError(_("Choose a purpose from the list."), code="purpose")
    detail = (purpose_detail or "").strip()
    if not detail:
        raise ValidationError(_("Say in your own words why you need this."), code="purpose_empty")
    return detail[:200]


def _check_window(ends_at: datetime, *, now: datetime, max_hours: int) -> None:
    if ends_at <= now:
        raise ValidationError(_("The end date must be in the future."), code="end_in_past")
    if (ends_at - now).total_seconds() > max_hours * 3600:
        raise ValidationError(
            _("Temporary access lasts at most %(hours)d hours.") % {"hours": max_hours}, code="too_long"
        )


@transaction.atomic
def request_access(*, client: Client, purpose: str, purpose_detail: str, ends_at: datetime, actor: User) -> AccessGrant:
    """A staff member asks for time-limited read access to a client they are not assigned to."""
    _require_staff_grantee(actor)
    detail = _check_purpose(purpose, purpose_detail)
    now = timezone.now()
    _check_window(ends_at, now=now, max_hours=MAX_GRANT_HOURS)
    if AccessGrant.objects.filter(client=client, user=actor, state=GrantState.PENDING).exists():
        raise ValidationError(_("You already have a request waiting for this client."), code="duplicate")
    grant = AccessGrant.objects.create(
        client=client,
        user=actor,
        purpose=purpose,
        purpose_detail=detail,
        starts_at=now,
        ends_at=ends_at,
        created_at=now,
    )
    audit.record(
        actor=actor,
        action=AccessAuditAction.ACCESS_REQUESTED,
        target=grant,
        client_ref=str(client.pk),
        details={"purpose": purpose, "ends_at": ends_at.isoformat()},
    )
    return grant


def check_not_self(actor: User, subject: User) -> None:
    """Separation of duties: nobody decides on their own request."""
    from confidentiality.duties import check_not_own_request

    check_not_own_request(approver=actor, requester=subject)


@transaction.atomic
def decide_access_request(grant: AccessGrant, *, approve: bool, note: str = "", actor: User) -> AccessGrant:
    """A manager of that client (or the firm head) approves or refuses a pending request, never their own."""
    _require_capability(actor, "approve_access")
    grant = AccessGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    check_not_self(actor, grant.user)
    if not access.may_decide_access_requests_for(actor, grant.client_id):
        raise ValidationError(
            _("Only a manager assigned to this client, or the firm head, may decide on this request."),
            code="not_clients_manager",
        )
    if grant.state != GrantState.PENDING:
        raise ValidationError(_("This request has already been decided."), code="decided")
    now = timezone.now()
    if approve and grant.ends_at <= now:
        raise ValidationError(_("This request's end date has passed; ask for a new request."), code="end_in_past")
    grant.state = GrantState.APPROVED if approve else GrantState.REFUSED
    grant.decided_by = actor
    grant.decided_at = now
    grant.decision_note = (note or "").strip()[:200]
    if approve:
        grant.starts_at = now
    grant.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "starts_at"])
    if approve:
        _sync_permissions(grant.user, grant.client_id, at=now)
    audit.record(
        actor=actor,
        action=AccessAuditAction.ACCESS_APPROVED if approve else AccessAuditAction.ACCESS_REFUSED,
        target=grant,
        client_ref=str(grant.client_id),
        details={"user_id": grant.user_id},
    )
    return grant


@transaction.atomic
def withdraw_access_request(grant: AccessGrant, *, actor: User) -> AccessGrant:
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.user_id != actor.pk or grant.state != GrantState.PENDING:
        raise ValidationError(_("Only your own waiting requests can be withdrawn."), code="not_pending")
    grant.state = GrantState.WITHDRAWN
    grant.save(update_fields=["state"])
    audit.record(actor=actor, action=AccessAuditAction.ACCESS_WITHDRAWN, target=grant, client_ref=str(grant.client_id))
    return grant


@transaction.atomic
def end_access_grant(grant: AccessGrant, *, actor: User | None, reason: str = "revoked") -> AccessGrant:
    grant = AccessGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if grant.state not in (GrantState.APPROVED, GrantState.PENDING):
        return grant
    now = timezone.now()
    grant.state = GrantState.REVOKED if grant.state == GrantState.APPROVED else GrantState.WITHDRAWN
    grant.ended_at = now
    grant.save(update_fields=["state", "ended_at"])
    _sync_permissions(grant.user, grant.client_id, at=now)
    audit.record(
        actor=actor,
        action=AccessAuditAction.ACCESS_ENDED,
        target=grant,
        client_ref=str(grant.client_id),
        details={"user_id": grant.user_id, "reason": reason},
    )
    return grant


def _compliance_officer_addresses() -> list[str]:
    from compliance.queries import compliance_officers

    return sorted({u.email for u in compliance_officers() if u.email})


@transaction.atomic
def grant_emergency_access(
    *, client: Client, purpose: str, purpose_detail: str, ends_at: datetime, actor: User
) -> AccessGrant:
    """Self-granted read access in an emergency: allowed roles only, compliance alerted, reviewed later."""
    _require_capability(actor, "emergency_access")
    detail = _check_purpose(purpose, purpose_detail)
    now = timezone.now()
    _check_window(ends_at, now=now, max_hours=MAX_EMERGENCY_HOURS)
    grant = AccessGrant.objects.create(
        client=client,
        user=actor,
        purpose=purpose,
        purpose_detail=detail,
        starts_at=now,
        ends_at=ends_at,
        state=GrantState.APPROVED,
        emergency=True,
        created_at=now,
    )
    _sync_permissions(actor, client.pk, at=now)
    audit.record(
        actor=actor,
        action=AccessAuditAction.ACCESS_EMERGENCY_GRANTED,
        target=grant,
        client_ref=str(client.pk),
        details={"purpose": purpose, "ends_at": ends_at.isoformat()},
    )
    # No client data in the notice: who, when, which grant; the queue shows the rest.
    mail_after_commit(
        subject=_("Emergency access taken: review needed"),
        body=_(
            "%(user)s granted themselves emergency access (grant %(grant)s) until %(until)s.\n"
            "Review it in the emergency access queue of FirmPortal."
        )
        % {"user": actor.get_username(), "grant": grant.pk, "until": timezone.localtime(ends_at).isoformat()},
        recipients=_compliance_officer_addresses(),
    )
    return grant


@transaction.atomic
def review_emergency_access(grant: AccessGrant, *, note: str, end_now: bool = False, actor: User) -> AccessGrant:
    """The compliance officer's after-the-fact review of an emergency grant."""
    _require_capability(actor, "view_compliance_desk")
    grant = AccessGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if not grant.emergency:
        raise ValidationError(_("Only emergency access is reviewed here."), code="not_emergency")
    if grant.user_id == actor.pk:
        raise ValidationError(_("You cannot review your own emergency access."), code="self_review")
    if grant.reviewed_at is not None:
        raise ValidationError(_("This emergency access has already been reviewed."), code="reviewed")
    text = (note or "").strip()
    if not text:
        raise ValidationError(_("Write what the review found."), code="note_empty")
    grant.reviewed_by = actor
    grant.reviewed_at = timezone.now()
    grant.review_note = text[:500]
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit.record(
        actor=actor,
        action=AccessAuditAction.ACCESS_EMERGENCY_REVIEWED,
        target=grant,
        client_ref=str(grant.client_id),
        details={"ended": end_now},
    )
    if end_now:
        end_access_grant(grant, actor=actor, reason="review")
    return grant


# --- Offboarding --------------------------------------------------------------------------------------


def _leaver_entries(user: User, client_ids: dict[str, set[str]]) -> list[dict[str, Any]]:
    from django.db.models import Max

    from audit.models import AccessEvent

    last = dict(
        AccessEvent.objects.filter(actor=user, client_ref__in=list(client_ids))
        .exclude(action=access.DENIED)
        .values("client_ref")
        .annotate(last=Max("occurred_at"))
        .values_list("client_ref", "last")
    )
    return [
        {
            "client_id": client_id,
            "sources": sorted(sources),
            "last_access_at": last[client_id].isoformat() if last.get(client_id) else None,
        }
        for client_id, sources in sorted(client_ids.items())
    ]


@transaction.atomic
def offboard_staff(*, user: User, actor: User | None, exit_acknowledged: bool = False, request: Any = None) -> Any:
    """One step: sign-in disabled, all access and tokens revoked, every session ended, a leaver report made.

    `actor` is None only for the management command run by an operator (recorded as the system).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from guardian.models import UserObjectPermission

    from accounts.services import end_all_sessions
    from confidentiality.models import LeaverReport

    if actor is not None:
        _require_capability(actor, "offboard_staff")
        if actor.pk == user.pk:
            raise ValidationError(_("You cannot offboard yourself."), code="self")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_staff_member:
        raise ValidationError(_("Only staff members are offboarded."), code="not_staff")
    if user.offboarded_at is not None:
        raise ValidationError(_("This person has already been offboarded."), code="already")
    now = timezone.now()

    # What they could reach, before it is taken away: the leaver report's subject.
    reach: dict[str, set[str]] = {}
    for client_id, role in access.live_assignments(now).filter(user=user).values_list("client_id", "role"):
        reach.setdefault(str(client_id), set()).add(f"assignment:{role}")
    for client_id, emergency in access.live_grants(now).filter(user=user).values_list("client_id", "emergency"):
        reach.setdefault(str(client_id), set()).add("emergency" if emergency else "temporary")
    recipients = list(
        User.objects.filter(
            pk__in=access.live_assignments(now)
            .filter(client_id__in=list(reach), role=AssignmentRole.MANAGER)
            .exclude(user=user)
            .values("user_id"),
            is_active=True,
        )
    )

    assignments = Assignment.objects.filter(user=user, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor, end_reason="offboarded"
    )
    grants = AccessGrant.objects.filter(user=user, state=GrantState.APPROVED).update(
        state=GrantState.REVOKED, ended_at=now
    )
    grants += AccessGrant.objects.filter(user=user, state=GrantState.PENDING).update(
        state=GrantState.WITHDRAWN, ended_at=now
    )
    permissions = ClientUserObjectPermission.objects.filter(user=user).delete()[0]
    permissions += UserObjectPermission.objects.filter(user=user).delete()[0]
    groups = user.groups.count()
    user.groups.clear()
    user.user_permissions.clear()
    devices = TOTPDevice.objects.filter(user=user).delete()[0]
    user.is_active = False
    user.is_staff = False
    user.offboarded_at = now
    user.set_unusable_password()
    user.save(update_fields=["is_active", "is_staff", "offboarded_at", "password"])
    sessions = end_all_sessions(user, actor=actor, reason="offboarded")
    access.forget_cached(user)

    exit_nda = False
    if exit_acknowledged:
        from compliance.errors import ComplianceError
        from compliance.services import record_nda_exit_acknowledgement
        from firmportal.middleware import client_ip

        try:
            record_nda_exit_acknowledgement(
                user=user, ip_address=client_ip(request) if request is not None else None, actor=actor or user
            )
            exit_nda = True
        except ComplianceError as error:
            raise ValidationError(str(error), code="exit_nda") from error

    summary = {
        "assignments_ended": assignments,
        "grants_ended": grants,
        "permissions_removed": permissions,
        "groups_removed": groups,
        "devices_removed": devices,
        "sessions_ended": sessions,
        "exit_nda_recorded": exit_nda,
    }
    report = LeaverReport.objects.create(
        leaver=user, offboarded_by=actor, created_at=now, entries=_leaver_entries(user, reach), summary=summary
    )
    report.recipients.set(recipients)
    audit.record(actor=actor, action=AccessAuditAction.STAFF_OFFBOARDED, target=user, details=summary)
    mail_after_commit(
        subject=_("A staff member has left: leaver report"),
        body=_(
            "%(user)s has left the firm and could access clients you manage. All their access has ended.\n"
            "The leaver report (number %(report)s) is in FirmPortal under Access > Leaver reports."
        )
        % {"user": user.get_username(), "report": report.pk},
        recipients=[r.email for r in recipients],
    )
    return report


def note_offboarded_signin_attempt(request: Any, username: str) -> bool:
    """Called from the sign-in failure path: an offboarded account tried to sign in. Alerts compliance."""
    user = User.objects.filter(username__iexact=(username or "").strip(), offboarded_at__isnull=False).first()
    if user is None:
        return False
    with transaction.atomic():
        audit.record(actor=None, action=AccessAuditAction.OFFBOARDED_SIGNIN_ATTEMPT, target=user, request=request)
        mail_after_commit(
            subject=_("Sign-in attempt by an offboarded account"),
            body=_("Someone tried to sign in as %(user)s, who has left the firm. See the audit trail.")
            % {"user": user.get_username()},
            recipients=_compliance_officer_addresses(),
        )
    return True


# --- Client delegates -------------------------------------------------------------------------------

INVITATION_SALT = "firmportal.delegate-invitation"
INVITATION_MAX_AGE = 14 * 24 * 3600
MAX_DELEGATION_DAYS = 366


def _require_owner(actor: User, client_id: Any) -> None:
    from clients.models import ClientMembership, ClientRole

    if not (
        access._is_active(actor)
        and actor.is_client_user
        and ClientMembership.objects.filter(user=actor, client_id=client_id, role=ClientRole.OWNER).exists()
    ):
        raise ValidationError(_("Only the company's owner can manage delegates."), code="forbidden")


def invitation_token(delegation: Delegation) -> str:
    from django.core import signing

    return signing.dumps({"d": str(delegation.pk), "n": delegation.token_nonce}, salt=INVITATION_SALT)


@transaction.atomic
def invite_delegate(
    *, client: Client, email: str, scope: list[str], ends_at: datetime, actor: User, accept_url: Any = None
) -> Delegation:
    """The owner invites a third person to read some pages until `ends_at`; an e-mail carries a signed link.

    `accept_url(token) -> str` builds the absolute link (the view knows the host).
    """
    import secrets as pysecrets  # the standard library

    from django.core.validators import validate_email

    from confidentiality.models import DelegateScope

    _require_owner(actor, client.pk)
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(_("Enter a valid e-mail address."), code="email") from error
    if User.objects.filter(kind="staff", email__iexact=address).exists():
        raise ValidationError(_("This address belongs to firm staff and cannot be a delegate."), code="staff_email")
    pages = sorted(set(scope or []))
    if not pages or not set(pages) <= set(DelegateScope.values):
        raise ValidationError(_("Choose at least one page the delegate may read."), code="scope")
    now = timezone.now()
    if ends_at <= now:
        raise ValidationError(_("The end date must be in the future."), code="end_in_past")
    if (ends_at - now).days > MAX_DELEGATION_DAYS:
        raise ValidationError(_("A delegation lasts at most one year."), code="too_long")
    delegation = Delegation(
        client=client,
        invited_by=actor,
        email=address,
        email_hash=audit.pseudonym(address),
        scope=pages,
        ends_at=ends_at,
        token_nonce=pysecrets.token_hex(8),
        created_at=now,
    )
    delegation.save()
    audit.record(
        actor=actor,
        action=AccessAuditAction.DELEGATE_INVITED,
        target=delegation,
        client_ref=str(client.pk),
        details={"scope": pages, "ends_at": ends_at.isoformat()},
    )
    link = accept_url(invitation_token(delegation)) if accept_url else invitation_token(delegation)
    mail_after_commit(
        subject=_("You are invited to read a company's pages on FirmPortal"),
        body=_(
            "A client of our firm has invited you to read some of their pages until %(until)s.\n"
            "Accept the invitation and choose your password here:\n%(link)s\n"
        )
        % {"until": timezone.localtime(ends_at).strftime("%Y-%m-%d"), "link": link},
        recipients=[address],
    )
    return delegation


def delegation_from_token(token: str) -> Delegation:
    """The delegation an invitation link names, if the link is genuine, current and not revoked."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
        delegation = Delegation.objects.get(pk=data["d"])
    except (signing.BadSignature, Delegation.DoesNotExist, KeyError, TypeError, ValueError, ValidationError) as error:
        raise ValidationError(_("This invitation link is not valid or has expired."), code="token") from error
    if delegation.token_nonce != data.get("n"):
        raise ValidationError(_("This invitation link is not valid or has expired."), code="token")
    if delegation.state == DelegationState.REVOKED:
        raise ValidationError(_("This invitation was revoked by the company."), code="revoked")
    if delegation.state != DelegationState.INVITED or delegation.ends_at <= timezone.now():
        raise ValidationError(_("This invitation link is not valid or has expired."), code="token")
    return delegation


@transaction.atomic
def accept_delegation(*, token: str, username: str, password: str) -> User:
    """The invited person accepts: their (client-kind) account is created and the delegation starts."""
    from django.contrib.auth.password_validation import validate_password

    from accounts.services import create_client_user

    delegation = delegation_from_token(token)
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.state != DelegationState.INVITED:
        raise ValidationError(_("This invitation link is not valid or has expired."), code="token")
    address = str(delegation.email or "")
    if User.objects.filter(kind="staff", email__iexact=address).exists():
        raise ValidationError(_("This address belongs to firm staff and cannot be a delegate."), code="staff_email")
    name = (username or "").strip()
    if not name or User.objects.filter(username__iexact=name).exists():
        raise ValidationError(_("Choose another user name."), code="username")
    validate_password(password, User(username=name, email=address))
    user = create_client_user(username=name, email=address, display_name="", password=password, actor=None)
    delegation.delegate = user
    delegation.state = DelegationState.ACTIVE
    delegation.accepted_at = timezone.now()
    delegation.save(update_fields=["delegate", "state", "accepted_at"])
    audit.record(
        actor=user,
        action=AccessAuditAction.DELEGATE_ACCEPTED,
        target=delegation,
        client_ref=str(delegation.client_id),
    )
    return user


@transaction.atomic
def revoke_delegation(delegation: Delegation, *, actor: User) -> Delegation:
    """The owner ends a delegation at once; a delegate left with no other access is signed out everywhere."""
    from accounts.services import end_all_sessions

    _require_owner(actor, delegation.client_id)
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.state not in (DelegationState.INVITED, DelegationState.ACTIVE):
        raise ValidationError(_("This delegation has already ended."), code="ended")
    delegation.state = DelegationState.REVOKED
    delegation.revoked_at = timezone.now()
    delegation.revoked_by = actor
    delegation.save(update_fields=["state", "revoked_at", "revoked_by"])
    audit.record(
        actor=actor, action=AccessAuditAction.DELEGATE_REVOKED, target=delegation, client_ref=str(delegation.client_id)
    )
    delegate = delegation.delegate
    if delegate is not None:
        from clients.models import ClientMembership

        still = access.live_delegations().filter(delegate=delegate).exists() or (
            ClientMembership.objects.filter(user=delegate).exists()
        )
        if not still:
            end_all_sessions(delegate, actor=actor, reason="delegation_revoked")
    return delegation
