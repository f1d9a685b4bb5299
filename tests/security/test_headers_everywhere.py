"""Security headers and cookie flags on every URL pattern, as every kind of visitor, under HTTPS.

The URL list comes from the resolver (tests/security/urls.py), so a page any slice adds is covered.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse

from tests.security.findings import known_finding
from tests.security.personas import VISITORS, Personas
from tests.security.urls import endpoints

ENDPOINTS = endpoints()
# Health answers 503 by design when the worker's heartbeat is missing (no worker in this test).
MAY_ANSWER_503 = {"healthz"}


@pytest.fixture
def production_transport(settings) -> None:  # type: ignore[no-untyped-def]
    """What FIRMPORTAL_HTTPS=1 turns on, so the flags are checked as production sets them."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_SECURE = True


def header_problems(response: HttpResponse | Any) -> list[str]:
    """What is missing or wrong in a response's security headers and cookies (empty when all is well)."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("CSP allows unsafe-inline/unsafe-eval")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    for header, value in expected.items():
        if response.get(header) != value:
            problems.append(f"{header} is {response.get(header)!r}, not {value!r}")
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"Cache-Control is {response.get('Cache-Control')!r}")
    if not response.get("Strict-Transport-Security", "").startswith("max-age=31536000"):
        problems.append("no HSTS")
    if len(response.get("X-Request-ID", "")) != 32:
        problems.append("no request id")
    for name, morsel in response.cookies.items():
        if not morsel.value and morsel["max-age"] == 0:
            continue  # a deletion
        if not morsel["secure"]:
            problems.append(f"cookie {name} without Secure")
        if not morsel["httponly"]:
            problems.append(f"cookie {name} without HttpOnly")
        if morsel["samesite"] not in ("Lax", "Strict"):
            problems.append(f"cookie {name} with SameSite={morsel['samesite']!r}")
    return problems


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_has_the_security_headers(visitor: str, personas: Personas, production_transport: None) -> None:
    http = personas.client(visitor)
    failures = []
    for endpoint in ENDPOINTS:
        response = http.get(endpoint.path, secure=True)
        if response.status_code >= 500 and not (response.status_code == 503 and endpoint.name in MAY_ANSWER_503):
            if known_finding(endpoint.path):
                continue
            failures.append(f"{endpoint}: {response.status_code}")
        failures += [f"{endpoint}: {problem}" for problem in header_problems(response)]
    assert not failures, "\n".join(failures)


def test_the_enumeration_sees_every_area() -> None:
    names = {endpoint.name for endpoint in ENDPOINTS}
    assert {"accounts:login", "staff:home", "portal:home", "admin:index", "healthz"} <= names
