"""Guessing passwords and second-factor codes: lockout, throttling, and no replay of a used code."""

from __future__ import annotations

from django.test import Client as HttpClient
from django.urls import reverse

from accounts.models import User
from tests import cast

LOGIN = "/accounts/login/"


def _password(http: HttpClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return http.post(LOGIN, {"username": username, "password": password})


def test_password_guessing_locks_the_account_even_for_the_right_password(bookkeeper_alice: User, settings) -> None:
    guesses = [f"Guess-{n:04d}-Password" for n in range(settings.AXES_FAILURE_LIMIT)]
    for guess in guesses:
        assert _password(HttpClient(), "bookkeeper_alice", guess).status_code in (200, 429)
    # Fresh clients (as a botnet would use) do not escape the lockout: it is per account.
    locked = _password(HttpClient(), "bookkeeper_alice", cast.PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in HttpClient().session


def test_guessing_totp_codes_is_throttled(bookkeeper_alice: User) -> None:
    http = HttpClient()
    _password(http, "bookkeeper_alice", cast.PASSWORD)
    right = cast.current_code(bookkeeper_alice)
    wrong = [str((int(right) + n * 7919) % 1_000_000).zfill(6) for n in range(1, 11)]
    for code in wrong:
        assert http.post(reverse("accounts:otp-verify"), {"token": code}).status_code == 200
    # After ten wrong codes, even the right one is refused for a while (django-otp's throttle).
    assert http.post(reverse("accounts:otp-verify"), {"token": right}).status_code == 200
    assert http.get("/staff/").status_code == 302


def test_a_used_totp_code_cannot_be_replayed_in_another_session(bookkeeper_alice: User) -> None:
    code = cast.current_code(bookkeeper_alice)
    victim = HttpClient()
    _password(victim, "bookkeeper_alice", cast.PASSWORD)
    assert victim.post(reverse("accounts:otp-verify"), {"token": code}).status_code == 302
    # An attacker who saw the code (shoulder surfing, phishing proxy) and knows the password:
    attacker = HttpClient()
    _password(attacker, "bookkeeper_alice", cast.PASSWORD)
    assert attacker.post(reverse("accounts:otp-verify"), {"token": code}).status_code == 200
    assert attacker.get("/staff/").status_code == 302
    assert victim.get("/staff/").status_code == 200


def test_totp_step_cannot_be_bypassed_by_going_straight_to_pages(bookkeeper_alice: User) -> None:
    http = HttpClient()
    _password(http, "bookkeeper_alice", cast.PASSWORD)
    for url in ("/staff/", "/console/", "/accounts/2fa/setup/"):
        response = http.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("accounts:otp-verify"), url
