"""NDA versions: drafting, publishing (compliance desk only), accepting, the signed PDF."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AuditEvent
from compliance import services
from compliance.errors import ComplianceError
from compliance.models import NdaAcceptance, NdaVersion
from tests import cast

pytestmark = pytest.mark.django_db


def test_officer_drafts_and_publishes_through_the_pages(
    compliance_officer: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    http = cast.signed_in(compliance_officer)
    response = http.post(
        "/staff/compliance/nda/versions/", {"title": "保密协议", "text_zh": "中文条款", "text_en": "English terms"}
    )
    assert response.status_code == 302
    nda = NdaVersion.objects.get(title="保密协议")
    assert nda.published_at is None
    deadline = (timezone.localtime() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        http.post(f"/staff/compliance/nda/versions/{nda.pk}/publish/", {"acceptance_deadline": deadline})
    nda.refresh_from_db()
    assert nda.published_at is not None
    assert AuditEvent.objects.filter(action="nda_version_published", target_id=str(nda.pk)).exists()
    assert len(mail.outbox) == 1 and compliance_officer.email in mail.outbox[0].to


def test_publishing_with_a_past_deadline_changes_nothing(compliance_officer: User) -> None:
    nda = services.create_nda_version(title="T", text_zh="z", text_en="e", actor=compliance_officer)
    http = cast.signed_in(compliance_officer)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    http.post(f"/staff/compliance/nda/versions/{nda.pk}/publish/", {"acceptance_deadline": past})
    nda.refresh_from_db()
    assert nda.published_at is None


def test_bookkeeper_cannot_reach_the_desk(bookkeeper_alice: User) -> None:
    http = cast.signed_in(bookkeeper_alice)
    assert http.get("/staff/compliance/nda/versions/").status_code == 404
    assert (
        http.post("/staff/compliance/nda/versions/", {"title": "x", "text_zh": "x", "text_en": "x"}).status_code == 404
    )


def test_staff_accepts_on_the_page_with_ip_and_gets_a_pdf(compliance_officer: User) -> None:
    draft = services.create_nda_version(
        title="员工保密协议",
        text_zh="员工对客户资料负有保密义务。",
        text_en="Staff keep client data confidential.",
        actor=compliance_officer,
    )
    services.publish_nda_version(
        draft, acceptance_deadline=timezone.now() + timedelta(days=5), actor=compliance_officer
    )
    staff = cast.make_staff("new_bookkeeper", StaffRole.BOOKKEEPER, compliant=False)
    http = cast.signed_in(staff)
    page = http.get("/staff/compliance/nda/")
    assert "员工对客户资料负有保密义务。" in page.content.decode()
    assert http.post("/staff/compliance/nda/", {}).status_code == 200  # box not ticked: nothing recorded
    assert not NdaAcceptance.objects.filter(user=staff).exists()
    http.post("/staff/compliance/nda/", {"confirm": "on"}, REMOTE_ADDR="192.0.2.7")
    acceptance = NdaAcceptance.objects.get(user=staff)
    assert acceptance.kind == "onboarding" and acceptance.ip_address == "192.0.2.7"

    pdf = http.get(f"/staff/compliance/nda/signed/{acceptance.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "员工对客户资料负有保密义务" in text
    assert "Staff keep client data confidential." in text
    assert "new_bookkeeper" in text and "192.0.2.7" in text


def test_someone_elses_signed_pdf_is_missing(compliance_officer: User, bookkeeper_bob: User) -> None:
    acceptance = NdaAcceptance.objects.filter(user=bookkeeper_bob).first()
    assert acceptance is not None
    stranger = cast.make_staff("stranger", StaffRole.BOOKKEEPER)
    assert cast.signed_in(stranger).get(f"/staff/compliance/nda/signed/{acceptance.pk}.pdf").status_code == 404
    assert (
        cast.signed_in(compliance_officer).get(f"/staff/compliance/nda/signed/{acceptance.pk}.pdf").status_code == 200
    )


def test_accepting_twice_is_refused(compliance_officer: User) -> None:
    draft = services.create_nda_version(title="T", text_zh="z", text_en="e", actor=compliance_officer)
    nda = services.publish_nda_version(
        draft, acceptance_deadline=timezone.now() + timedelta(days=1), actor=compliance_officer
    )
    staff = cast.make_staff("s", StaffRole.BOOKKEEPER, compliant=False)
    services.accept_nda(user=staff, nda=nda, ip_address=None, actor=staff)
    with pytest.raises(ComplianceError):
        services.accept_nda(user=staff, nda=nda, ip_address=None, actor=staff)
