"""Client 2FA and sessions from the portal: optional TOTP (required by the firm's setting), own sessions,
sign out everywhere."""

from __future__ import annotations

from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User, UserSession
from audit.models import AuditAction, AuditEvent
from tests import cast

LOGIN = "/accounts/login/"
SECURITY = reverse("portal:security")


def _password_step(http: HttpClient, username: str) -> str:
    response = http.post(LOGIN, {"username": username, "password": cast.PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def test_security_page_offers_enrolment_and_sessions(client_a_owner: User) -> None:
    body = cast.signed_in(client_a_owner).get(SECURITY).content.decode()
    assert 'data-twofa="off"' in body
    assert reverse("accounts:otp-enrol") in body and reverse("accounts:sessions") in body
    assert reverse("accounts:sign-out-everywhere") in body
    assert "账户安全" in body and "设置双因素登录" in body


def test_client_without_a_device_signs_in_with_the_password_only(client_a_owner: User) -> None:
    http = HttpClient()
    _password_step(http, "client_a_owner")
    assert http.get(reverse("portal:home")).status_code == 200


def test_client_enrols_from_the_security_page_and_is_then_asked_for_a_code(client_a_owner: User) -> None:
    http = cast.signed_in(client_a_owner)
    assert http.get(reverse("accounts:otp-enrol")).status_code == 200
    device = TOTPDevice.objects.get(user=client_a_owner, confirmed=False)
    response = http.post(reverse("accounts:otp-enrol"), {"token": _code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=client_a_owner, confirmed=True).exists()
    assert 'data-twofa="on"' in http.get(SECURITY).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.OTP_DEVICE_ENROLLED, actor=client_a_owner).exists()

    # Next sign-in: the password alone no longer opens the portal.
    fresh = HttpClient()
    assert _password_step(fresh, "client_a_owner") == reverse("accounts:otp-verify")
    assert fresh.get(reverse("portal:home")).status_code in (302, 404)
    assert fresh.get(reverse("portal:books")).status_code in (302, 404)
    # The enrolment used this time step's code (django-otp refuses a step twice): the next step's code.
    next_code = cast.current_code(client_a_owner, offset_steps=1)
    assert fresh.post(reverse("accounts:otp-verify"), {"token": next_code}).status_code == 302
    assert fresh.get(reverse("portal:home")).status_code == 200


def test_firm_setting_requires_2fa_for_every_client(client_a_owner: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIRMPORTAL_REQUIRE_CLIENT_2FA = True
    http = HttpClient()
    assert _password_step(http, "client_a_owner") == reverse("accounts:otp-enrol")
    assert http.get(reverse("portal:home")).status_code in (302, 404)
    assert (
        "双因素" in cast.signed_in(client_a_owner, verified=False).get(reverse("accounts:otp-enrol")).content.decode()
    )


def test_sign_out_everywhere_from_the_portal_ends_another_session(client_a_owner: User) -> None:
    laptop = cast.signed_in(client_a_owner)
    phone = cast.signed_in(client_a_owner)
    assert phone.get(reverse("portal:home")).status_code == 200
    assert "2 个设备或浏览器" in laptop.get(SECURITY).content.decode()
    response = laptop.post(reverse("accounts:sign-out-everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    ended = phone.get(reverse("portal:home"))
    assert ended.status_code == 302 and "/accounts/login/" in ended["Location"]
    assert not UserSession.objects.filter(user=client_a_owner, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SESSIONS_REVOKED, target_id=str(client_a_owner.pk)).exists()
