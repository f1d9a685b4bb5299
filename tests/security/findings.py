"""Known findings of the security suite that are not fixed yet, each with what is wrong.

A path listed here may answer 500 without failing the sweeps (headers, SQL injection); the
strict xfail test in test_known_findings.py keeps proving that each one still happens, so the
entry must be removed (and the sweep covers the page again) the moment it is fixed.
"""

from __future__ import annotations

import re

# None open. (Fixed: django-otp's console TOTP config/QR views answered 500 for a missing id; the
# console now hides TOTP secrets altogether, OTP_ADMIN_HIDE_SENSITIVE_DATA, see test_known_findings.)
KNOWN_FINDINGS: dict[str, str] = {}


def known_finding(path: str) -> str | None:
    for pattern, why in KNOWN_FINDINGS.items():
        if re.match(pattern, path.split("?")[0]):
            return why
    return None
