"""Findings of the security suite, reproduced. An open finding listed in findings.py gets a strict
xfail test here that reproduces it, so the entry is removed the day it is fixed; fixed ones stay
as regression tests."""

from __future__ import annotations

import pytest

from accounts.models import StaffRole
from tests import cast

PATHS = {
    r"^/console/otp_totp/totpdevice/[^/]+/config/$": "/console/otp_totp/totpdevice/987654321/config/",
    r"^/console/otp_totp/totpdevice/[^/]+/qrcode/$": "/console/otp_totp/totpdevice/987654321/qrcode/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PATHS.values()))
def test_console_never_shows_totp_secrets_and_never_fails(path: str) -> None:
    """Formerly a finding (500 for a missing id); the pages now refuse for any device, existing or not."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    superuser = cast.make_staff("finding_superadmin", StaffRole.FIRM_ADMIN)
    superuser.is_superuser = True
    superuser.save()
    http = cast.signed_in(superuser)
    http.raise_request_exception = False
    own_device = TOTPDevice.objects.get(user=superuser)
    for target in (path, path.replace("987654321", str(own_device.pk))):
        response = http.get(target)
        assert response.status_code == 404, target
        assert own_device.key.encode() not in response.content
