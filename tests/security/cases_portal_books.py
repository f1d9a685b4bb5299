"""The portal-books slice's form for the XSS checks: the compliance desk drafts the client commitment."""

from __future__ import annotations

from accounts.models import StaffRole
from tests import cast
from tests.security.xss import XssCase, XssTarget

VERSIONS = "/staff/compliance/commitment/"


def _commitment_draft() -> XssTarget:
    officer = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    return XssTarget(http=cast.signed_in(officer), form_url=VERSIONS, shown_at=[VERSIONS])


XSS_CASES = [XssCase("client commitment draft", _commitment_draft)]
