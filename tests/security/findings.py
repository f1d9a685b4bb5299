"""Known findings of the security suite that are not fixed yet, each with what is wrong.

A path listed here may answer 500 without failing the sweeps (headers, SQL injection); the
strict xfail test in test_known_findings.py keeps proving that each one still happens, so the
entry must be removed (and the sweep covers the page again) the moment it is fixed.
"""

from __future__ import annotations

import re

KNOWN_FINDINGS: dict[str, str] = {
    r"^/console/otp_totp/totpdevice/[^/]+/config/$": (
        "django-otp's TOTPDeviceAdmin.config_view does TOTPDevice.objects.get(pk=...) and raises "
        "DoesNotExist (500) for an id that does not exist; console superusers only. Fix: a ConsoleSite "
        "TOTPDevice admin whose config_view/qrcode_view use get_object_or_404."
    ),
    r"^/console/otp_totp/totpdevice/[^/]+/qrcode/$": (
        "the same in TOTPDeviceAdmin.qrcode_view (500 for a missing id)."
    ),
}


def known_finding(path: str) -> str | None:
    for pattern, why in KNOWN_FINDINGS.items():
        if re.match(pattern, path.split("?")[0]):
            return why
    return None
