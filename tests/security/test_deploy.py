"""Production settings: Django's deployment checklist passes, and HTTPS turns on every protection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIRMPORTAL_", "DATABASE_", "REDIS_"))}
    env.update(
        {
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz-XYZ",
            "DJANGO_ALLOWED_HOSTS": "portal.firm.example",
            "FIRMPORTAL_VAR_DIR": str(ROOT / "var" / "test-deploy"),
        }
    )
    return env


def test_check_deploy_has_no_warning() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_turn_on_transport_security() -> None:
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, 'sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        "'session': [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY],"
        "'csrf': [s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY],"
        "'lang': s.LANGUAGE_COOKIE_SECURE, 'debug': s.DEBUG}))"
    )
    env = dict(_production_env(), DJANGO_SETTINGS_MODULE="firmportal.settings")
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["redirect"] is True and values["hsts"] >= 31536000 and values["sub"] is True
    assert values["session"] == ["__Host-fp_session", True, True]
    assert values["csrf"] == ["__Host-fp_csrf", True, True]
    assert values["lang"] is True and values["debug"] is False
