"""The named cast of test people. Each later slice adds its clients and assignments to them."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client as HttpClient
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import StaffRole, User, UserKind, UserSession
from accounts.services import LAST_ACTIVITY_KEY, SESSION_EPOCH_KEY

PASSWORD = "Correct-Horse-Battery-9"


def ensure_roles() -> None:
    """The role groups come from a data migration; a transactional test (browser, worker, bench)
    flushes them, and a later run with --reuse-db would then start without them."""
    if Group.objects.filter(name__in=StaffRole.values).count() != len(StaffRole.values):
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType

        from accounts.roles import sync_roles

        sync_roles(Group, Permission, ContentType)


def make_compliant(user: User) -> None:
    """Give a staff member an accepted NDA and a passed confidentiality course (the access gate opens)."""
    from datetime import timedelta

    from compliance.models import AcceptanceKind, Course, NdaAcceptance, NdaVersion, TrainingCompletion

    now = timezone.now()
    nda = NdaVersion.objects.filter(published_at__isnull=False).order_by("-version").first()
    if nda is None:
        nda = NdaVersion.objects.create(
            version=1, title="NDA", text_zh="保密协议", text_en="NDA", published_at=now, acceptance_deadline=now
        )
    course, _ = Course.objects.get_or_create(
        code="confidentiality", defaults={"title": "Confidentiality", "counts_for_gate": True}
    )
    NdaAcceptance.objects.get_or_create(
        user=user,
        nda_version=nda,
        kind=AcceptanceKind.ONBOARDING,
        defaults={"version_number": nda.version, "accepted_at": now},
    )
    TrainingCompletion.objects.create(
        user=user,
        course=course,
        completed_at=now,
        score=100,
        passed=True,
        counts_for_gate=True,
        expires_at=now + timedelta(days=365),
    )


def make_staff(username: str, *roles: str, with_device: bool = True, compliant: bool = True) -> User:
    ensure_roles()
    user = User.objects.create_user(
        username=username, password=PASSWORD, kind=UserKind.STAFF, email=f"{username}@firm.test"
    )
    user.is_staff = StaffRole.FIRM_ADMIN in roles
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    if with_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    if compliant:
        make_compliant(user)
    return user


def make_client_user(username: str) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, kind=UserKind.CLIENT, email=f"{username}@client.test"
    )


def current_code(user: User, *, offset_steps: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return str(totp.token()).zfill(device.digits)


def signed_in(user: User, *, verified: bool = True) -> HttpClient:
    """A test client signed in as `user` (past 2FA when `verified`), as the real flow leaves it."""
    client = HttpClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_EPOCH_KEY] = user.session_epoch
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp())
    session.save()
    UserSession.objects.create(user=user, session_key=str(session.session_key))
    return client
