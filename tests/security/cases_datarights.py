"""The data-rights slice's forms for the XSS check: the client's request form (its words are shown
back on the request's page) and the officer's refusal (its reasons are shown on the case)."""

from __future__ import annotations

from accounts.models import StaffRole
from datarights import services
from tests import cast
from tests.access_cast import build_world
from tests.security.xss import XssCase, XssTarget


def _request_form() -> XssTarget:
    world = build_world()
    return XssTarget(http=cast.signed_in(world.client_a_owner), form_url="/portal/data-rights/")


def _refusal_form() -> XssTarget:
    world = build_world()
    officer = cast.make_staff("xss_compliance_officer", StaffRole.COMPLIANCE_OFFICER)
    data_request = services.submit_request(
        client=world.client_a, kind="correction", details="地址有误", actor=world.client_a_owner
    )
    url = f"/staff/datarights/{data_request.pk}/"
    # POST forms with a text field on the case: [0] the answer, [1] the refusal.
    return XssTarget(http=cast.signed_in(officer), form_url=url, shown_at=[url], form_index=1)


XSS_CASES = [
    XssCase("data-rights request", _request_form, values={"kind": "correction"}),
    XssCase("data-rights refusal", _refusal_form),
]
