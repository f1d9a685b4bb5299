"""Security headers and cookie flags on every page type."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from accounts.models import User
from tests import cast

ROOT = Path(__file__).resolve().parent.parent


def _assert_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert len(response["X-Request-ID"]) == 32


def test_headers_on_every_page_type(bookkeeper_alice: User, client_a_owner: User, firm_admin: User) -> None:
    pages = [
        (HttpClient(), "/accounts/login/", 200),
        (HttpClient(), "/no-such-page/", 404),
        (HttpClient(), "/healthz", None),
        (cast.signed_in(bookkeeper_alice), "/staff/", 200),
        (cast.signed_in(client_a_owner), "/portal/", 200),
        (cast.signed_in(firm_admin), "/console/", 200),
        (cast.signed_in(client_a_owner), "/staff/", 404),
    ]
    for http, url, status in pages:
        response = http.get(url)
        if status is not None:
            assert response.status_code == status, url
        _assert_headers(response)


def test_request_id_is_never_taken_from_the_caller(db: None) -> None:
    response = HttpClient().get("/accounts/login/", HTTP_X_REQUEST_ID="attacker-chosen")
    assert response["X-Request-ID"] != "attacker-chosen"


def test_hsts_and_secure_cookies_under_https(bookkeeper_alice: User, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    http = HttpClient()
    page = http.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf_cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["secure"] and csrf_cookie["httponly"] and csrf_cookie["samesite"] == "Strict"
    response = http.post("/accounts/login/", {"username": "bookkeeper_alice", "password": cast.PASSWORD}, secure=True)
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] and session_cookie["httponly"] and session_cookie["samesite"] == "Lax"


def test_csrf_failure_is_a_clear_page(bookkeeper_alice: User) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    response = http.post("/accounts/login/", {"username": "bookkeeper_alice", "password": cast.PASSWORD})
    assert response.status_code == 403
    body = response.content.decode()
    assert "表单已过期" in body and "Traceback" not in body
    assert "_auth_user_id" not in http.session


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIRMPORTAL_"))}
    env.update(
        {
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz-XYZ",
            "DJANGO_ALLOWED_HOSTS": "portal.firm.example",
            "FIRMPORTAL_VAR_DIR": str(ROOT / "var" / "test-deploy"),
            "FIRMPORTAL_KEYRING_FILE": str(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["path"]),
            "FIRMPORTAL_AUDIT_SIGNING_KEY_FILE": str(_audit_signing_key()),
            # Since the keystore (crypto slice), the start-up check needs it too.
            "FIRMPORTAL_KEYSTORE_FILE": str(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["keystore"]),
        }
    )
    env.update(extra)
    return env


def _audit_signing_key() -> Path:
    """Production provisions the audit seal's key outside the database; the test makes one."""
    from audit.keys import generate_key_file

    path = ROOT / "var" / "test-deploy" / "audit-signing-key.pem"
    if not path.exists():
        generate_key_file(path)
    return path


def test_check_deploy_passes_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY"])
def test_production_refuses_to_start_without_a_secret(missing: str) -> None:
    env = _production_env()
    env.pop(missing)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" in result.stderr or "ImproperlyConfigured" in result.stderr


def test_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("a-long-random-production-secret-from-a-file-0123456789-abcdefghijklmnop\n")
    env = _production_env()
    env.pop("DJANGO_SECRET_KEY")
    env["DJANGO_SECRET_KEY_FILE"] = str(secret_file)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_refuses_to_start_without_the_master_keyring(tmp_path: Path) -> None:
    env = _production_env(FIRMPORTAL_KEYRING_FILE=str(tmp_path / "missing.json"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "confidentiality.E001" in result.stderr and "missing.json" in result.stderr
