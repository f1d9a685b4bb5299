"""Each known finding still reproduces (strict xfail: when it is fixed, remove it from findings.py)."""

from __future__ import annotations

import pytest

from accounts.models import StaffRole
from tests import cast
from tests.security.findings import KNOWN_FINDINGS

PATHS = {
    r"^/console/otp_totp/totpdevice/[^/]+/config/$": "/console/otp_totp/totpdevice/987654321/config/",
    r"^/console/otp_totp/totpdevice/[^/]+/qrcode/$": "/console/otp_totp/totpdevice/987654321/qrcode/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", sorted(KNOWN_FINDINGS))
@pytest.mark.xfail(strict=True, reason="a known finding (tests/security/findings.py)")
def test_known_finding_is_fixed(pattern: str) -> None:
    superuser = cast.make_staff("finding_superadmin", StaffRole.FIRM_ADMIN)
    superuser.is_superuser = True
    superuser.save()
    http = cast.signed_in(superuser)
    http.raise_request_exception = False
    assert http.get(PATHS[pattern]).status_code < 500
