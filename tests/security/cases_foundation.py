"""The foundation's forms for the XSS check (sign-in, second factor, password reset, the console).

Each slice adds a module like this one, `tests/security/cases_<slice>.py`, with any of:
`XSS_CASES` (forms, see xss.py), `URL_KWARGS` (sample values for URL parameters, see urls.py),
`QUERY_PARAMS` (query parameters of list/search views, see test_sql_injection.py),
`UPLOAD_CASES` (upload endpoints, see uploads.py).
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.test import Client as HttpClient
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import StaffRole
from tests import cast
from tests.security.xss import XssCase, XssTarget


def _anonymous(url: str) -> XssTarget:
    return XssTarget(http=HttpClient(), form_url=url)


def _otp_verify() -> XssTarget:
    user = cast.make_staff("xss_staff", StaffRole.BOOKKEEPER)
    http = cast.signed_in(user, verified=False)
    return XssTarget(http=http, form_url="/accounts/2fa/")


def _otp_enrol() -> XssTarget:
    user = cast.make_staff("xss_new_staff", StaffRole.BOOKKEEPER, with_device=False)
    return XssTarget(http=cast.signed_in(user, verified=False), form_url="/accounts/2fa/setup/")


def _password_reset_confirm() -> XssTarget:
    user = cast.make_client_user("xss_client")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    http = HttpClient()
    # The first GET swaps the token into the session and redirects to the set-password form.
    first = http.get(f"/accounts/password-reset/{uid}/{token}/")
    return XssTarget(http=http, form_url=first["Location"])


def _console_group() -> XssTarget:
    admin = cast.make_staff("xss_superadmin", StaffRole.FIRM_ADMIN)
    admin.is_superuser = True
    admin.save()
    return XssTarget(
        http=cast.signed_in(admin),
        form_url="/console/auth/group/add/",
        shown_at=["/console/auth/group/", "/console/auditlog/logentry/"],
    )


XSS_CASES = [
    XssCase("sign-in form", lambda: _anonymous("/accounts/login/"), expect_shown=True),
    XssCase("password reset request", lambda: _anonymous("/accounts/password-reset/"), expect_shown=True),
    XssCase("second-factor code", _otp_verify, expect_shown=False),
    XssCase("second-factor enrolment", _otp_enrol, expect_shown=False),
    XssCase("password reset: new password", _password_reset_confirm, expect_shown=False),
    XssCase("console: group name (stored, shown in the list)", _console_group),
]
