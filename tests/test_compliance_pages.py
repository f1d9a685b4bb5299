"""Every compliance page: the desk sees it, an ordinary bookkeeper gets a 404, lists have bounded queries."""

from __future__ import annotations

import pytest

from accounts.models import User
from compliance import incidents, services, thirdparties, whistleblowing
from tests import cast

pytestmark = pytest.mark.django_db

DESK_PAGES = [
    "/staff/compliance/",
    "/staff/compliance/nda/versions/",
    "/staff/compliance/training/desk/",
    "/staff/compliance/training/desk/courses/new/",
    "/staff/compliance/third-parties/",
    "/staff/compliance/incidents/",
    "/staff/compliance/whistleblowing/",
    "/staff/compliance/discipline/",
    "/staff/compliance/reports/",
    "/staff/compliance/processing-record/",
]
STAFF_PAGES = [
    "/staff/compliance/gate/",
    "/staff/compliance/nda/",
    "/staff/compliance/training/",
    "/staff/compliance/incidents/report/",
]


def test_desk_pages_for_the_officer_only(compliance_officer: User, bookkeeper_alice: User) -> None:
    officer, bookkeeper = cast.signed_in(compliance_officer), cast.signed_in(bookkeeper_alice)
    for url in DESK_PAGES:
        assert officer.get(url).status_code == 200, url
        assert bookkeeper.get(url).status_code == 404, url
    for url in STAFF_PAGES:
        assert bookkeeper.get(url).status_code == 200, url


def test_client_users_and_strangers_get_no_staff_page(client_a_owner: User) -> None:
    http = cast.signed_in(client_a_owner)
    for url in DESK_PAGES + STAFF_PAGES:
        assert http.get(url).status_code == 404, url


def _fill(officer: User, start: int, stop: int) -> None:
    for i in range(start, stop):
        incidents.report_incident(title=f"t{i}", description="d", actor=officer)
        thirdparties.register_third_party(actor=officer, name=f"p{i}", kind="vendor")
        whistleblowing.submit_report(category="other", text="x", form_token=whistleblowing.new_form_token())
        cast.make_staff(f"extra{i}", "bookkeeper")


@pytest.mark.parametrize(
    "url",
    [
        "/staff/compliance/incidents/",
        "/staff/compliance/third-parties/",
        "/staff/compliance/whistleblowing/",
        "/staff/compliance/nda/versions/",
    ],
)
def test_list_pages_do_not_grow_queries_with_rows(url: str, compliance_officer: User) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    http = cast.signed_in(compliance_officer)
    _fill(compliance_officer, 0, 2)
    with CaptureQueriesContext(connection) as few:
        http.get(url)
    _fill(compliance_officer, 2, 5)
    services.create_nda_version(title="v", text_zh="z", text_en="e", actor=compliance_officer)
    with CaptureQueriesContext(connection) as many:
        http.get(url)
    # The NDA page counts acceptances per version: one more version may add one query.
    assert len(many) <= len(few) + 1, url
