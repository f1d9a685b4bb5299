"""Violations and recognition: linked to an incident or alert, visible to firm head and compliance only."""

from __future__ import annotations

import pytest

from accounts.models import StaffRole, User
from compliance import discipline, incidents
from compliance.errors import ComplianceError
from compliance.models import Recognition, Violation
from tests import cast

pytestmark = pytest.mark.django_db


def test_violation_needs_an_incident_or_an_alert(compliance_officer: User, bookkeeper_alice: User) -> None:
    with pytest.raises(ComplianceError):
        discipline.record_violation(
            subject=bookkeeper_alice,
            incident=None,
            alert_ref=" ",
            description="x",
            action="warning",
            action_detail="",
            actor=compliance_officer,
        )
    violation = discipline.record_violation(
        subject=bookkeeper_alice,
        incident=None,
        alert_ref="alert-42",
        description="深夜批量查看客户",
        action="warning",
        action_detail="书面警告",
        actor=compliance_officer,
    )
    assert violation.alert_ref == "alert-42"


def test_officer_records_through_the_page_and_firm_head_sees_it(
    compliance_officer: User, bookkeeper_alice: User
) -> None:
    incident = incidents.report_incident(title="T", description="D", actor=bookkeeper_alice)
    http = cast.signed_in(compliance_officer)
    refused = http.post(
        "/staff/compliance/discipline/",
        {"kind": "violation", "subject": bookkeeper_alice.pk, "description": "x", "action": "warning"},
    )
    assert refused.status_code == 200 and not Violation.objects.exists()
    http.post(
        "/staff/compliance/discipline/",
        {
            "kind": "violation",
            "subject": bookkeeper_alice.pk,
            "incident": incident.pk,
            "description": "把报表发给了错误的客户",
            "action": "retraining",
        },
    )
    http.post(
        "/staff/compliance/discipline/",
        {
            "kind": "recognition",
            "recipient": bookkeeper_alice.pk,
            "incident": incident.pk,
            "description": "及时报告了事件",
        },
    )
    assert Violation.objects.get().incident == incident
    assert Recognition.objects.get().recipient == bookkeeper_alice
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)
    page = cast.signed_in(head).get("/staff/compliance/discipline/").content.decode()
    assert "把报表发给了错误的客户" in page and "及时报告了事件" in page


def test_others_cannot_see_discipline(bookkeeper_alice: User) -> None:
    assert cast.signed_in(bookkeeper_alice).get("/staff/compliance/discipline/").status_code == 404


def test_no_one_decides_on_their_own_violation(compliance_officer: User) -> None:
    with pytest.raises(ComplianceError):
        discipline.record_violation(
            subject=compliance_officer,
            incident=None,
            alert_ref="a1",
            description="x",
            action="warning",
            action_detail="",
            actor=compliance_officer,
        )
