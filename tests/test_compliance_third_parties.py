"""Third parties: register with NDA, risk questionnaire and rating, review dates, reminders, lapsed flag."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts.models import User
from compliance import thirdparties
from compliance.models import ThirdParty
from tests import cast

pytestmark = pytest.mark.django_db

ALL_CONTROLS = {key: True for key, _t, _w in thirdparties.RISK_QUESTIONS}


def test_scoring_rates_missing_controls() -> None:
    assert thirdparties.score_answers(ALL_CONTROLS) == (0, "low")
    assert thirdparties.score_answers({**ALL_CONTROLS, "location": False, "subcontractors": False}) == (20, "medium")
    # Without an NDA a party is high risk whatever else it does.
    assert thirdparties.score_answers({**ALL_CONTROLS, "nda": False})[1] == "high"


def test_register_and_assess_through_the_pages(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    http.post(
        "/staff/compliance/third-parties/",
        {
            "name": "云存储公司",
            "kind": "vendor",
            "touches_client_data": "on",
            "review_interval_months": 12,
            "nda_signed_on": "2026-01-05",
            "nda_expires_on": "2028-01-05",
        },
    )
    party = ThirdParty.objects.get(name="云存储公司")
    assert party in thirdparties.lapsed_third_parties()  # never reviewed
    form = {f"control_{key}": "on" for key in ALL_CONTROLS}
    http.post(f"/staff/compliance/third-parties/{party.pk}/", {**form, "notes": "ok"})
    party.refresh_from_db()
    assert party.risk_rating == "low"
    assert party.next_review_due is not None and party.last_reviewed_on is not None
    assert party.next_review_due.year == party.last_reviewed_on.year + 1
    assert party not in thirdparties.lapsed_third_parties()
    page = http.get("/staff/compliance/third-parties/").content.decode()
    assert "云存储公司" in page


def test_nda_expiring_before_signature_is_refused(compliance_officer: User) -> None:
    response = cast.signed_in(compliance_officer).post(
        "/staff/compliance/third-parties/",
        {
            "name": "X",
            "kind": "vendor",
            "review_interval_months": 12,
            "nda_signed_on": "2026-02-01",
            "nda_expires_on": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert not ThirdParty.objects.exists()


def test_high_risk_is_reviewed_in_six_months_and_lapses(compliance_officer: User) -> None:
    party = thirdparties.register_third_party(
        actor=compliance_officer, name="外包商", kind="partner", nda_signed_on=date(2026, 1, 1)
    )
    thirdparties.record_risk_assessment(
        third_party=party, answers={}, notes="", actor=compliance_officer, today=date(2026, 1, 10)
    )
    party.refresh_from_db()
    assert party.risk_rating == "high" and party.next_review_due == date(2026, 7, 10)
    assert party not in thirdparties.lapsed_third_parties(today=date(2026, 7, 10))
    assert party in thirdparties.lapsed_third_parties(today=date(2026, 7, 11))


def test_review_reminder_goes_once_to_compliance(compliance_officer: User, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    party = thirdparties.register_third_party(actor=compliance_officer, name="P", kind="vendor")
    thirdparties.record_risk_assessment(
        third_party=party, answers=ALL_CONTROLS, notes="", actor=compliance_officer, today=date(2025, 1, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert thirdparties.send_third_party_review_reminders(today=date(2025, 12, 20)) == 1
    assert mail.outbox[0].to == [compliance_officer.email]
    assert "P: 2026-01-01" in mail.outbox[0].body
    assert thirdparties.send_third_party_review_reminders(today=date(2025, 12, 21)) == 0
    assert thirdparties.send_third_party_review_reminders(today=date(2025, 11, 1) - timedelta(days=1)) == 0


def test_bookkeeper_cannot_see_the_register(bookkeeper_alice: User) -> None:
    assert cast.signed_in(bookkeeper_alice).get("/staff/compliance/third-parties/").status_code == 404
