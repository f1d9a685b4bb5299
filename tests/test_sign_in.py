"""Sign-in: password, mandatory TOTP for staff, lockout, session rotation, idle timeout, sign out everywhere."""

from __future__ import annotations

from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User, UserSession
from accounts.services import LAST_ACTIVITY_KEY
from audit.models import AuditAction, AuditEvent
from tests import cast

LOGIN = "/accounts/login/"


def _password_step(http: HttpClient, username: str, password: str = cast.PASSWORD):
    return http.post(LOGIN, {"username": username, "password": password})


def test_staff_cannot_reach_workspace_without_second_factor(bookkeeper_alice: User) -> None:
    http = HttpClient()
    response = _password_step(http, "bookkeeper_alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-verify")
    # Signed in with the password only: every staff page sends back to verification.
    for url in ("/staff/", "/console/"):
        blocked = http.get(url)
        assert blocked.status_code == 302
        assert blocked["Location"] == reverse("accounts:otp-verify")


def test_staff_with_password_and_totp_reaches_workspace(bookkeeper_alice: User) -> None:
    http = HttpClient()
    _password_step(http, "bookkeeper_alice")
    response = http.post(reverse("accounts:otp-verify"), {"token": cast.current_code(bookkeeper_alice)})
    assert response.status_code == 302
    assert http.get("/staff/").status_code == 200
    actions = list(AuditEvent.objects.filter(actor=bookkeeper_alice).values_list("action", flat=True))
    assert actions == [AuditAction.USER_SIGNED_IN, AuditAction.OTP_VERIFIED]


def test_totp_code_cannot_be_used_twice(bookkeeper_alice: User) -> None:
    code = cast.current_code(bookkeeper_alice)
    first = HttpClient()
    _password_step(first, "bookkeeper_alice")
    assert first.post(reverse("accounts:otp-verify"), {"token": code}).status_code == 302

    second = HttpClient()
    _password_step(second, "bookkeeper_alice")
    replay = second.post(reverse("accounts:otp-verify"), {"token": code})
    assert replay.status_code == 200
    assert "已使用" in replay.content.decode() or "already used" in replay.content.decode()
    assert second.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED, actor=bookkeeper_alice).count() == 1


def test_wrong_totp_code_is_refused(bookkeeper_alice: User) -> None:
    http = HttpClient()
    _password_step(http, "bookkeeper_alice")
    wrong = str((int(cast.current_code(bookkeeper_alice)) + 500_000) % 1_000_000).zfill(6)
    assert http.post(reverse("accounts:otp-verify"), {"token": wrong}).status_code == 200
    assert http.get("/staff/").status_code == 302


def test_first_sign_in_enrols_a_device_with_a_qr_code(staff_without_device: User) -> None:
    http = HttpClient()
    response = _password_step(http, "new_hire_nina")
    assert response["Location"] == reverse("accounts:otp-enrol")
    page = http.get(reverse("accounts:otp-enrol"))
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=staff_without_device)
    assert device.confirmed is False
    from django_otp.oath import TOTP

    code = str(TOTP(device.bin_key).token()).zfill(6)
    done = http.post(reverse("accounts:otp-enrol"), {"token": code})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert http.get("/staff/").status_code == 200


def test_session_id_rotates_at_sign_in_and_after_second_factor(bookkeeper_alice: User) -> None:
    http = HttpClient()
    http.get(LOGIN)
    http.cookies  # noqa: B018 - materialise
    _password_step(http, "bookkeeper_alice")
    after_password = http.session.session_key
    http.post(reverse("accounts:otp-verify"), {"token": cast.current_code(bookkeeper_alice)})
    after_otp = http.session.session_key
    assert after_password and after_otp and after_password != after_otp
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after_password).exists()


def _comparable(body: bytes) -> str:
    """The page with what legitimately differs (typed name, CSRF tokens) blanked out."""
    import re

    text = body.decode().replace("bookkeeper_alice", "X").replace("nobody_here", "X")
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_wrong_password_and_unknown_user_get_the_same_answer(bookkeeper_alice: User) -> None:
    wrong = _password_step(HttpClient(), "bookkeeper_alice", "not-the-password")
    unknown = _password_step(HttpClient(), "nobody_here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert _comparable(wrong.content) == _comparable(unknown.content)
    assert "用户名或密码不正确" in wrong.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.USER_SIGNIN_FAILED).count() == 2


def test_account_is_locked_after_repeated_failures(bookkeeper_alice: User, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(HttpClient(), "bookkeeper_alice", "wrong-password")
    locked = _password_step(HttpClient(), "bookkeeper_alice")  # even the right password
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.content.decode()
    assert "_auth_user_id" not in HttpClient().session


def test_what_was_typed_as_a_name_is_stored_only_as_a_pseudonym(bookkeeper_alice: User, settings) -> None:
    from axes.models import AccessAttempt

    typed = "Secret-Typed-By-Mistake-密码123"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(HttpClient(), typed, "wrong-password")
    assert _password_step(HttpClient(), typed, "wrong-password").status_code == 429  # still locked out
    assert _password_step(HttpClient(), "bookkeeper_alice").status_code == 302  # nobody else is
    attempts = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert attempts and all(typed not in " ".join(str(v) for v in row) for row in attempts), attempts


def test_lockout_of_an_unknown_name_looks_the_same(db: None, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(HttpClient(), "ghost_user", "wrong-password")
    assert _password_step(HttpClient(), "ghost_user", "wrong-password").status_code == 429


def test_idle_staff_session_ends(bookkeeper_alice: User, settings) -> None:
    http = cast.signed_in(bookkeeper_alice)
    assert http.get("/staff/").status_code == 200
    session = http.session
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp()) - settings.FIRMPORTAL_STAFF_IDLE_MINUTES * 60 - 5
    session.save()
    response = http.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert http.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor=bookkeeper_alice).exists()


def test_client_idle_limit_is_longer_than_staff(client_a_owner: User, settings) -> None:
    http = cast.signed_in(client_a_owner)
    session = http.session
    # Past the staff limit but within the client one: still signed in.
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp()) - settings.FIRMPORTAL_STAFF_IDLE_MINUTES * 60 - 5
    session.save()
    assert http.get("/portal/").status_code == 200


def test_idle_warning_is_configured_on_pages(bookkeeper_alice: User, settings) -> None:
    page = cast.signed_in(bookkeeper_alice).get("/staff/").content.decode()
    assert f'data-idle-timeout="{settings.FIRMPORTAL_STAFF_IDLE_MINUTES * 60}"' in page
    assert 'id="idle-warning"' in page


def test_sign_out_everywhere_ends_other_sessions(bookkeeper_alice: User) -> None:
    laptop = cast.signed_in(bookkeeper_alice)
    phone = cast.signed_in(bookkeeper_alice)
    assert phone.get("/staff/").status_code == 200
    response = laptop.post(reverse("accounts:sign-out-everywhere"))
    assert response.status_code == 302
    assert phone.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 302
    assert not UserSession.objects.filter(user=bookkeeper_alice, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SESSIONS_REVOKED, target_id=str(bookkeeper_alice.pk)).exists()


def test_logout_requires_post(bookkeeper_alice: User) -> None:
    http = cast.signed_in(bookkeeper_alice)
    assert http.get(reverse("accounts:logout")).status_code == 405
    assert http.post(reverse("accounts:logout")).status_code == 302
    assert http.get("/staff/").status_code == 302


def test_open_redirect_after_sign_in_is_refused(client_a_owner: User) -> None:
    http = HttpClient()
    response = http.post(
        LOGIN, {"username": "client_a_owner", "password": cast.PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
