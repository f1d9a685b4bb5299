"""Every change to people and sign-in state, each with an explicit actor and its audit row."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib.auth import login as auth_login
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import StaffRole, User, UserKind, UserSession
from audit import services as audit
from audit.models import AuditAction
from firmportal.middleware import client_ip

log = logging.getLogger("firmportal.accounts")

SESSION_EPOCH_KEY = "fp_epoch"
LAST_ACTIVITY_KEY = "fp_last_activity"


def request_user(request: HttpRequest) -> User:
    """The signed-in person of a request that is known to have one."""
    assert request.user.is_authenticated
    return cast(User, request.user)


@transaction.atomic
def create_staff_user(
    *, username: str, email: str, display_name: str, roles: list[str], password: str | None, actor: User | None
) -> User:
    unknown = set(roles) - set(StaffRole.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    user = User(username=username, email=email, display_name=display_name, kind=UserKind.STAFF)
    user.is_staff = StaffRole.FIRM_ADMIN in roles  # Django's admin flag: the console only
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    audit.record(
        actor=actor, action=AuditAction.USER_CREATED, target=user, details={"kind": user.kind, "roles": sorted(roles)}
    )
    return user


@transaction.atomic
def create_client_user(
    *, username: str, email: str, display_name: str, password: str | None, actor: User | None
) -> User:
    user = User(username=username, email=email, display_name=display_name, kind=UserKind.CLIENT)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action=AuditAction.USER_CREATED, target=user, details={"kind": user.kind})
    return user


def needs_second_factor(user: User) -> bool:
    """Staff always; client users when the firm requires it or they enrolled a device."""
    from django.conf import settings

    if user.is_staff_member:
        return True
    if settings.FIRMPORTAL_REQUIRE_CLIENT_2FA:
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _track_session(request: HttpRequest, user: User) -> None:
    request.session[SESSION_EPOCH_KEY] = user.session_epoch
    request.session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp())
    request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


@transaction.atomic
def sign_in(request: HttpRequest, user: User) -> None:
    """Password accepted: start a fresh session (Django rotates the session id here)."""
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    _track_session(request, user)
    audit.record(actor=user, action=AuditAction.USER_SIGNED_IN, target=user, request=request)


@transaction.atomic
def verify_second_factor(request: HttpRequest, device: TOTPDevice) -> None:
    """Second factor accepted: mark the session verified and rotate its id again."""
    old_key = request.session.session_key
    otp_login(request, device)
    request.session.cycle_key()
    UserSession.objects.filter(session_key=old_key).delete()
    _track_session(request, request.user)  # type: ignore[arg-type]
    audit.record(actor=request.user, action=AuditAction.OTP_VERIFIED, target=request_user(request), request=request)


@transaction.atomic
def enrol_totp_device(request: HttpRequest, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    audit.record(actor=device.user, action=AuditAction.OTP_DEVICE_ENROLLED, target=device.user, request=request)
    verify_second_factor(request, device)


def record_failed_second_factor(request: HttpRequest) -> None:
    audit.record(actor=request.user, action=AuditAction.OTP_FAILED, target=request_user(request), request=request)
    log.warning("second factor refused user=%s ip=%s", request.user.pk, client_ip(request))


def record_failed_sign_in(request: HttpRequest, username: str) -> None:
    # An attempt naming an offboarded account is marked for the insider-abuse alert (audit.alerts);
    # the page answers exactly as for any other failure.
    offboarded = User.objects.filter(username=username, offboarded_at__isnull=False).first() if username else None
    details: dict[str, object] = {"username_hash": audit.pseudonym(username)}
    if offboarded is not None:
        details["offboarded"] = True
    audit.record(
        actor=None,
        action=AuditAction.USER_SIGNIN_FAILED,
        target=offboarded,
        details=details,
        request=request,
    )
    log.warning("sign-in refused username_hash=%s ip=%s", audit.pseudonym(username), client_ip(request))
    # An offboarded account trying to sign in alerts compliance.
    from confidentiality.access_services import note_offboarded_signin_attempt

    note_offboarded_signin_attempt(request, username)


@transaction.atomic
def sign_out(request: HttpRequest) -> None:
    from django.contrib.auth import logout

    user = request.user
    if user.is_authenticated:
        UserSession.objects.filter(session_key=request.session.session_key).update(ended_at=timezone.now())
        audit.record(actor=user, action=AuditAction.USER_SIGNED_OUT, target=user, request=request)
    logout(request)


@transaction.atomic
def end_all_sessions(user: User, *, actor: User | None, reason: str = "sign_out_everywhere") -> int:
    """End every session of `user` at once: the epoch check refuses any session made before now."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    keys = list(UserSession.objects.filter(user=user, ended_at__isnull=True).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    ended = UserSession.objects.filter(user=user, ended_at__isnull=True).update(ended_at=timezone.now())
    audit.record(
        actor=actor, action=AuditAction.SESSIONS_REVOKED, target=user, details={"sessions": ended, "reason": reason}
    )
    return ended


@transaction.atomic
def expire_idle_session(request: HttpRequest) -> None:
    from django.contrib.auth import logout

    user = request_user(request)
    UserSession.objects.filter(session_key=request.session.session_key).update(ended_at=timezone.now())
    audit.record(actor=user, action=AuditAction.SESSION_EXPIRED, target=user, request=request)
    logout(request)


def touch_session(request: HttpRequest) -> None:
    """Note activity; written at most every 30 seconds so a page view does not always write."""
    now = int(timezone.now().timestamp())
    if now - int(request.session.get(LAST_ACTIVITY_KEY, 0)) >= 30:
        request.session[LAST_ACTIVITY_KEY] = now
        UserSession.objects.filter(session_key=request.session.session_key).update(last_seen_at=timezone.now())


def axes_username(request: Any, credentials: Any) -> str | None:
    """What django-axes records and locks out by (AXES_USERNAME_CALLABLE): a keyed pseudonym of the
    typed name, never the name itself. People type passwords and client names into that box by
    mistake; the lockout still works, the same name always giving the same pseudonym."""
    typed = credentials.get("username") if credentials else None
    if typed is None and hasattr(request, "POST"):
        typed = request.POST.get("username")
    if not typed:
        return None
    return audit.pseudonym(str(typed))
