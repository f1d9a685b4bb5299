"""Incidents: affected clients from a known access log, review, Art. 57 notices, containment, report."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import StaffRole, User, UserSession
from audit.models import AccessEvent, AuditEvent
from compliance import incidents
from compliance.errors import ComplianceError
from compliance.models import AffectedClient, BreachNotice, Incident, TimelineKind
from tests import cast

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)

NOTICE = {
    "data_kinds": "银行对账单和纳税申报表",
    "cause": "一名员工的笔记本电脑丢失",
    "possible_harm": "财务信息可能被他人看到",
    "remedies": "已远程锁定设备并更换密钥",
    "client_actions": "留意可疑的电话和邮件",
    "contact": "合规部 周先生 021-00000000",
}


def contacts_for_test(client_ref: str) -> list[str]:
    return [f"{client_ref}@client.test"]


def _read(actor: User, client_ref: str, at: datetime) -> None:
    AccessEvent.objects.create(
        occurred_at=at,
        actor=actor,
        actor_label=actor.username,
        client_ref=client_ref,
        action="view",
        object_type="ledger",
    )


@pytest.fixture
def access_log(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    """A known log: alice reads A and B inside the window, C before it; bob reads D inside it."""
    _read(bookkeeper_alice, "client-C", T0 - timedelta(hours=1))
    _read(bookkeeper_alice, "client-A", T0 + timedelta(minutes=5))
    _read(bookkeeper_alice, "client-A", T0 + timedelta(minutes=50))
    _read(bookkeeper_alice, "client-B", T0 + timedelta(hours=2))
    _read(bookkeeper_bob, "client-D", T0 + timedelta(hours=1))
    _read(bookkeeper_alice, "", T0 + timedelta(hours=1))  # not client data
    _read(bookkeeper_alice, "client-E", T0 + timedelta(hours=5))  # after the window


def _incident(officer: User, *, suspect: User | None, drill: bool = False) -> Incident:
    incident = incidents.report_incident(title="电脑丢失", description="笔记本电脑丢失", actor=officer, is_drill=drill)
    return incidents.triage_incident(
        incident, severity="high", window_start=T0, window_end=T0 + timedelta(hours=3), suspect=suspect, actor=officer
    )


def test_affected_clients_of_one_suspect(access_log: None, compliance_officer: User, bookkeeper_alice: User) -> None:
    incident = _incident(compliance_officer, suspect=bookkeeper_alice)
    assert incidents.compute_affected_clients(incident, actor=compliance_officer) == 2
    rows = {a.client_ref: (a.access_count, a.first_access, a.last_access) for a in incident.affected.all()}
    assert rows == {
        "client-A": (2, T0 + timedelta(minutes=5), T0 + timedelta(minutes=50)),
        "client-B": (1, T0 + timedelta(hours=2), T0 + timedelta(hours=2)),
    }


def test_affected_clients_of_everyone_in_the_window(access_log: None, compliance_officer: User) -> None:
    incident = _incident(compliance_officer, suspect=None)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    assert sorted(incident.affected.values_list("client_ref", flat=True)) == ["client-A", "client-B", "client-D"]


def test_recompute_keeps_review_decisions(access_log: None, compliance_officer: User, bookkeeper_alice: User) -> None:
    incident = _incident(compliance_officer, suspect=bookkeeper_alice)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    b = incident.affected.get(client_ref="client-B")
    incidents.review_affected_client(b, include=False, actor=compliance_officer)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    assert incident.affected.get(client_ref="client-B").included is False


@override_settings(COMPLIANCE_CLIENT_CONTACTS_RESOLVER="tests.test_compliance_incidents.contacts_for_test")
def test_notices_go_to_included_clients_with_art57_content(
    access_log: None,
    compliance_officer: User,
    bookkeeper_alice: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    incident = _incident(compliance_officer, suspect=bookkeeper_alice)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    with pytest.raises(ComplianceError):
        incidents.compose_breach_notices(incident, actor=compliance_officer)  # no content yet
    incidents.set_notice_content(incident, actor=compliance_officer, **NOTICE)
    with pytest.raises(ComplianceError):
        incidents.compose_breach_notices(incident, actor=compliance_officer)  # not reviewed yet
    incidents.review_affected_client(
        incident.affected.get(client_ref="client-A"), include=True, actor=compliance_officer
    )
    incidents.review_affected_client(
        incident.affected.get(client_ref="client-B"), include=False, actor=compliance_officer
    )
    mail.outbox.clear()
    assert incidents.compose_breach_notices(incident, actor=compliance_officer) == 1
    assert mail.outbox == []  # a draft reaches nobody
    with django_capture_on_commit_callbacks(execute=True):
        incidents.publish_breach_notice(BreachNotice.objects.get(), actor=compliance_officer)

    notice = BreachNotice.objects.get()
    assert notice.client_ref == "client-A"
    for text in NOTICE.values():
        assert text in notice.body
    assert "个人信息保护法" in notice.body  # the Chinese notice names the law
    # The e-mail says a notice waits; it carries none of its content.
    assert [m.to for m in mail.outbox] == [["client-A@client.test"]]
    for text in NOTICE.values():
        assert text not in mail.outbox[0].body and text not in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="breach_notice_issued", client_ref="client-A").count() == 1
    assert AuditEvent.objects.filter(action="breach_notice_published", client_ref="client-A").count() == 1
    # Composing again makes nothing twice, and a published notice cannot be published again.
    assert incidents.compose_breach_notices(incident, actor=compliance_officer) == 0
    with pytest.raises(ComplianceError):
        incidents.publish_breach_notice(notice, actor=compliance_officer)


@override_settings(COMPLIANCE_CLIENT_CONTACTS_RESOLVER="tests.test_compliance_incidents.contacts_for_test")
def test_drills_are_flagged_and_never_email_clients(
    access_log: None,
    compliance_officer: User,
    bookkeeper_bob: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    incident = _incident(compliance_officer, suspect=bookkeeper_bob, drill=True)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    incidents.set_notice_content(incident, actor=compliance_officer, **NOTICE)
    incidents.review_affected_client(incident.affected.get(), include=True, actor=compliance_officer)
    mail.outbox.clear()
    incidents.compose_breach_notices(incident, actor=compliance_officer)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.publish_breach_notice(BreachNotice.objects.get(), actor=compliance_officer)
    notice = BreachNotice.objects.get()
    assert notice.is_drill and "演练" in notice.body
    assert mail.outbox == []


def test_suspend_user_deactivates_and_ends_sessions(compliance_officer: User, bookkeeper_alice: User) -> None:
    http = cast.signed_in(bookkeeper_alice)
    assert http.get("/staff/").status_code == 200
    incident = _incident(compliance_officer, suspect=bookkeeper_alice)
    officer = cast.signed_in(compliance_officer)
    officer.post(f"/staff/compliance/incidents/{incident.pk}/suspend/", {"user": bookkeeper_alice.pk})
    bookkeeper_alice.refresh_from_db()
    assert not bookkeeper_alice.is_active
    assert not UserSession.objects.filter(user=bookkeeper_alice, ended_at__isnull=True).exists()
    assert http.get("/staff/").status_code in (302, 404)
    assert incident.timeline.filter(kind=TimelineKind.CONTAINMENT).exists()


def test_officer_cannot_suspend_themself(compliance_officer: User) -> None:
    incident = _incident(compliance_officer, suspect=None)
    with pytest.raises(ComplianceError):
        incidents.suspend_user(incident, user=compliance_officer, actor=compliance_officer)
    compliance_officer.refresh_from_db()
    assert compliance_officer.is_active


def test_full_flow_through_the_pages_with_timeline_and_authority_report(
    access_log: None, compliance_officer: User, bookkeeper_alice: User
) -> None:
    reporter = cast.signed_in(bookkeeper_alice)
    reporter.post("/staff/compliance/incidents/report/", {"title": "邮件发错", "description": "把报表发给了别的客户"})
    incident = Incident.objects.get(title="邮件发错")
    http = cast.signed_in(compliance_officer)
    base = f"/staff/compliance/incidents/{incident.pk}"
    bad = http.post(
        f"{base}/triage/", {"severity": "high", "window_start": "2026-03-02T12:00", "window_end": "2026-03-02T09:00"}
    )
    assert bad.status_code == 200
    incident.refresh_from_db()
    assert incident.window_start is None  # refused: nothing changed
    http.post(
        f"{base}/triage/",
        {
            "severity": "high",
            "window_start": "2026-03-02T09:00",
            "window_end": "2026-03-02T12:00",
            "suspect": bookkeeper_alice.pk,
        },
    )
    http.post(f"{base}/compute-affected/")
    a = AffectedClient.objects.get(incident=incident, client_ref="client-A")
    b = AffectedClient.objects.get(incident=incident, client_ref="client-B")
    http.post(f"{base}/review-client/", {"affected": a.pk, "decision": "include"})
    http.post(f"{base}/review-client/", {"affected": b.pk, "decision": "exclude"})
    http.post(f"{base}/notice-content/", NOTICE)
    http.post(f"{base}/compose-notices/")
    assert list(BreachNotice.objects.values_list("client_ref", flat=True)) == ["client-A"]
    notice = BreachNotice.objects.get()
    assert http.get(f"/staff/compliance/notices/{notice.pk}/").status_code == 200
    http.post(f"/staff/compliance/notices/{notice.pk}/", {"client_details": "您的凭证被查看了两次", "publish": "1"})
    notice.refresh_from_db()
    assert notice.state == "published" and "您的凭证被查看了两次" in notice.body
    pdf = http.post(f"{base}/authority-report/")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "邮件发错" in text and "client-A" in text and "一名员工的笔记本电脑丢失" in text
    assert http.post(f"{base}/close/").status_code == 302
    incident.refresh_from_db()
    assert incident.status != "closed"  # no review yet
    http.post(f"{base}/review/", {"lessons": "发送前核对收件人"})
    http.post(f"{base}/close/")
    incident.refresh_from_db()
    assert incident.status == "closed"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[0] == "reported" and kinds[-1] == "closed"
    assert {
        "triaged",
        "affected_computed",
        "affected_reviewed",
        "notice_content",
        "notices_composed",
        "notice_published",
        "authority_report",
        "review",
    } <= set(kinds)
    assert http.get(f"{base}/").status_code == 200


def test_only_the_desk_handles_incidents(bookkeeper_alice: User, compliance_officer: User) -> None:
    incident = _incident(compliance_officer, suspect=None)
    http = cast.signed_in(bookkeeper_alice)
    assert http.get(f"/staff/compliance/incidents/{incident.pk}/").status_code == 404
    assert http.post(f"/staff/compliance/incidents/{incident.pk}/close/").status_code == 404
    assert (
        cast.signed_in(compliance_officer).post(f"/staff/compliance/incidents/{incident.pk}/nope/").status_code == 404
    )


def test_drill_recorded_from_the_desk(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    http.post(
        "/staff/compliance/incidents/",
        {"title": "备份恢复演练", "description": "模拟勒索软件", "scheduled_for": "2026-04-01"},
    )
    incident = Incident.objects.get()
    assert incident.is_drill and str(incident.scheduled_for) == "2026-04-01"
    _ = StaffRole


def test_client_contacts_come_from_memberships(client_a_owner: User) -> None:
    from clients.models import Client, ClientMembership

    client = Client.objects.create(name="甲公司", credit_code="91310000MA1FL0000X", taxpayer_type="small_scale")
    ClientMembership.objects.create(client=client, user=client_a_owner, role="owner")
    assert incidents.client_contact_emails(str(client.pk)) == [client_a_owner.email]
    assert incidents.client_contact_emails("not-a-uuid") == []


def test_garbage_in_the_review_form_changes_nothing(access_log: None, compliance_officer: User) -> None:
    incident = _incident(compliance_officer, suspect=None)
    incidents.compute_affected_clients(incident, actor=compliance_officer)
    http = cast.signed_in(compliance_officer)
    for data in ({"affected": "abc", "decision": "include"}, {"affected": "1", "decision": "maybe"}, {}):
        assert http.post(f"/staff/compliance/incidents/{incident.pk}/review-client/", data).status_code == 302
    assert not incident.affected.filter(included__isnull=False).exists()
