"""CSRF is enforced on every endpoint: a POST without a token changes nothing, for every visitor.

The endpoints come from the resolver, so a POST view any slice adds is covered (a view marked
csrf_exempt would answer something other than the CSRF page and fail here).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.security.personas import VISITORS, Personas
from tests.security.urls import endpoints

ENDPOINTS = endpoints()


def _refused(response, endpoint_name: str) -> str | None:  # type: ignore[no-untyped-def]
    """None when the POST was refused before any view ran, else why not."""
    status = response.status_code
    templates = {t.name for t in (response.templates or [])}
    if status == 403 and "errors/csrf.html" in templates:
        return None  # CSRF refusal page
    # The area guard answers before any view: a wrong kind of person sees 404, anonymous goes to sign-in.
    if status == 404:
        return None
    if status == 302 and response["Location"].split("?")[0] in (
        reverse("accounts:login"),
        reverse("accounts:otp-verify"),
    ):
        return None
    return f"{endpoint_name}: POST without a CSRF token answered {status} {response.get('Location', '')}"


@pytest.mark.parametrize("visitor", VISITORS)
def test_post_without_csrf_token_is_refused_everywhere(visitor: str, personas: Personas) -> None:
    failures = []
    events_before = AuditEvent.objects.count()
    for endpoint in ENDPOINTS:
        http = personas.client(visitor, enforce_csrf_checks=True)
        response = http.post(endpoint.path, {"username": "x", "password": "y", "token": "123456", "email": "a@b.c"})
        problem = _refused(response, str(endpoint))
        if problem:
            failures.append(problem)
    assert not failures, "\n".join(failures)
    # Nothing that is audited happened (sign-in attempts, sign-outs, revocations would all be recorded).
    assert AuditEvent.objects.count() == events_before


def test_a_post_with_the_token_is_accepted(personas: Personas) -> None:
    """The control: the same client with a real token gets through, so the refusals above mean something."""
    http = personas.client("staff", enforce_csrf_checks=True)
    page = http.get(reverse("accounts:sessions"))
    token = page.context["csrf_token"]
    response = http.post(reverse("accounts:sign-out-everywhere"), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
