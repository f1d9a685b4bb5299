"""Breach notices (PIPL Art. 57): drafted for each client the access log shows affected, reviewed and
published by the compliance officer, read and acknowledged by the client in the portal, announced by
an e-mail that carries a link and no content, encrypted under the client's key."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from compliance import incidents
from compliance.errors import ComplianceError
from compliance.models import BreachNotice, Incident, NoticeState
from confidentiality import access_services
from confidentiality.models import DataKey, DelegateScope
from tests import access_cast, cast

pytestmark = pytest.mark.django_db

NOTICE = {
    "data_kinds": "银行对账单和记账凭证",
    "cause": "一名员工的笔记本电脑丢失",
    "possible_harm": "财务信息可能被他人看到",
    "remedies": "已远程锁定设备并更换密钥",
    "client_actions": "留意可疑的电话和邮件",
    "contact": "合规部 周先生 021-00000000",
}


@pytest.fixture
def world() -> access_cast.World:
    return access_cast.build_world()


@pytest.fixture
def officer(db: None) -> User:
    return cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)


def _read(actor: User, client_ref: str, at: datetime.datetime) -> None:
    AccessEvent.objects.create(
        occurred_at=at, actor=actor, actor_label=actor.username, client_ref=client_ref, action="view"
    )


def _incident(world: access_cast.World, officer: User, *, drill: bool = False, content: bool = True) -> Incident:
    """Alice's laptop is lost; in the window she read client A twice; bob read client B (not her)."""
    start = timezone.now() - timedelta(hours=3)
    _read(world.bookkeeper_alice, str(world.client_a.pk), start + timedelta(minutes=10))
    _read(world.bookkeeper_alice, str(world.client_a.pk), start + timedelta(minutes=40))
    _read(world.bookkeeper_bob, str(world.client_b.pk), start + timedelta(minutes=20))
    incident = incidents.report_incident(title="电脑丢失", description="笔记本电脑丢失", actor=officer, is_drill=drill)
    incident = incidents.triage_incident(
        incident,
        severity="high",
        window_start=start,
        window_end=start + timedelta(hours=2),
        suspect=world.bookkeeper_alice,
        actor=officer,
    )
    incidents.compute_affected_clients(incident, actor=officer)
    for affected in incident.affected.all():
        incidents.review_affected_client(affected, include=True, actor=officer)
    if content:
        incidents.set_notice_content(incident, actor=officer, **NOTICE)
    return incident


def _published(world: access_cast.World, officer: User, **kwargs: bool) -> BreachNotice:
    incident = _incident(world, officer, **kwargs)
    incidents.compose_breach_notices(incident, actor=officer)
    notice = BreachNotice.objects.get(incident=incident)
    incidents.revise_breach_notice(notice, client_details="您公司的记账凭证在事件期间被查看了两次。", actor=officer)
    return incidents.publish_breach_notice(notice, actor=officer)


# --- Content and composition -------------------------------------------------------------------------


def test_every_art57_part_is_required_before_notices_are_composed(world: access_cast.World, officer: User) -> None:
    incident = _incident(world, officer, content=False)
    with pytest.raises(ComplianceError):
        incidents.compose_breach_notices(incident, actor=officer)
    incidents.set_notice_content(incident, actor=officer, **{**NOTICE, "possible_harm": "  "})
    with pytest.raises(ComplianceError):
        incidents.compose_breach_notices(incident, actor=officer)
    assert not BreachNotice.objects.exists()
    # Through the page: a blank part is refused with the form, and nothing is saved.
    http = cast.signed_in(officer)
    response = http.post(
        reverse("staff:compliance:incident-action", args=[incident.pk, "notice-content"]), {**NOTICE, "cause": ""}
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.cause == NOTICE["cause"]  # unchanged by the refused form


def test_only_clients_the_access_log_shows_affected_get_a_draft(world: access_cast.World, officer: User) -> None:
    incident = _incident(world, officer)
    assert list(incident.affected.values_list("client_ref", flat=True)) == [str(world.client_a.pk)]
    assert incidents.compose_breach_notices(incident, actor=officer) == 1
    notice = BreachNotice.objects.get()
    assert notice.client_ref == str(world.client_a.pk)
    assert notice.state == NoticeState.DRAFT
    # Prefilled from the access log (two reads), addressed by the company's name, every Art. 57 part.
    assert "2" in notice.client_details
    assert "上海甲贸易有限公司" in notice.body
    for text in NOTICE.values():
        assert text in notice.body
    assert "个人信息保护法" in notice.body
    # Client B's owner never sees anything.
    http_b = cast.signed_in(world.client_b_owner)
    assert "breach-notice-banner" not in http_b.get(reverse("portal:home")).content.decode()


def test_the_officer_reviews_each_notice_before_it_is_published(world: access_cast.World, officer: User) -> None:
    incident = _incident(world, officer)
    incidents.compose_breach_notices(incident, actor=officer)
    notice = BreachNotice.objects.get()
    http = cast.signed_in(officer)
    url = reverse("staff:compliance:breach-notice", args=[notice.pk])
    assert http.get(url).status_code == 200
    event = AccessEvent.objects.filter(actor=officer, object_type="compliance.breachnotice").get()
    assert event.client_ref == str(world.client_a.pk) and event.object_ids == [str(notice.pk)]
    # Blank details are refused; nothing changes.
    assert http.post(url, {"client_details": "  ", "publish": "1"}).status_code == 200
    notice.refresh_from_db()
    assert notice.state == NoticeState.DRAFT
    # Saved and published.
    http.post(url, {"client_details": "您公司的银行对账单被查看。", "publish": "1"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED and notice.reviewed_by == officer
    assert "您公司的银行对账单被查看。" in notice.body
    incident.refresh_from_db()
    assert incident.status == "notified"
    assert incident.timeline.filter(kind="notice_published").exists()
    # Published is final.
    with pytest.raises(ComplianceError):
        incidents.revise_breach_notice(notice, client_details="改", actor=officer)
    # Only the desk may open the review page.
    assert cast.signed_in(world.bookkeeper_alice).get(url).status_code == 404
    assert cast.signed_in(world.client_a_owner).get(url).status_code == 404


def test_notice_texts_are_encrypted_under_the_clients_key(world: access_cast.World, officer: User) -> None:
    notice = _published(world, officer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, client_details FROM compliance_breachnotice WHERE id = %s", [notice.pk])
        body, details = cursor.fetchone()
    for column in (bytes(body), bytes(details)):
        for text in [*NOTICE.values(), "上海甲贸易有限公司", "被查看了两次"]:
            assert text.encode() not in column
    assert DataKey.objects.filter(owner=f"client:{world.client_a.pk}").exists()
    assert "被查看了两次" in BreachNotice.objects.get(pk=notice.pk).body


# --- Delivery: the portal ----------------------------------------------------------------------------


def test_a_draft_is_invisible_to_the_client(world: access_cast.World, officer: User) -> None:
    incidents.compose_breach_notices(_incident(world, officer), actor=officer)
    notice = BreachNotice.objects.get()
    http = cast.signed_in(world.client_a_owner)
    assert str(notice.pk) not in http.get(reverse("portal:breach-notices")).content.decode()
    assert http.get(reverse("portal:breach-notice", args=[notice.pk])).status_code == 404
    assert "breach-notice-banner" not in http.get(reverse("portal:home")).content.decode()


def test_the_client_reads_the_notice_in_the_portal_with_one_access_event(
    world: access_cast.World, officer: User
) -> None:
    notice = _published(world, officer)
    http = cast.signed_in(world.client_a_owner)
    listing = http.get(reverse("portal:breach-notices"))
    assert listing.status_code == 200
    assert reverse("portal:breach-notice", args=[notice.pk]) in listing.content.decode()
    before = AccessEvent.objects.count()
    response = http.get(reverse("portal:breach-notice", args=[notice.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in [*NOTICE.values(), "被查看了两次"]:
        assert text in body
    assert "style=" not in body and "<script>" not in body
    events = AccessEvent.objects.order_by("-id")[: AccessEvent.objects.count() - before]
    assert [(e.action, e.client_ref, e.object_type, e.object_ids) for e in events] == [
        ("view", str(world.client_a.pk), "compliance.breachnotice", [str(notice.pk)])
    ]


def test_another_company_gets_404_and_a_denied_event(world: access_cast.World, officer: User) -> None:
    notice = _published(world, officer)
    http = cast.signed_in(world.client_b_owner)
    assert http.get(reverse("portal:breach-notice", args=[notice.pk])).status_code == 404
    assert http.post(reverse("portal:breach-notice-read", args=[notice.pk])).status_code == 404
    assert AccessEvent.objects.filter(actor=world.client_b_owner, action="denied").count() >= 2
    assert str(notice.pk) not in http.get(reverse("portal:breach-notices")).content.decode()
    notice.refresh_from_db()
    assert notice.read_at is None
    # Staff are not clients: the portal page is not theirs either.
    assert (
        cast.signed_in(world.bookkeeper_alice).get(reverse("portal:breach-notice", args=[notice.pk])).status_code == 404
    )


def test_a_delegate_of_the_company_gets_404(world: access_cast.World, officer: User) -> None:
    notice = _published(world, officer)
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email="dora@client.test",
        scope=[DelegateScope.REPORTS],
        ends_at=timezone.now() + timedelta(days=30),
        actor=world.client_a_owner,
    )
    delegate = access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username="delegate_dora", password="Long-Enough-Pass-42"
    )
    http = cast.signed_in(delegate)
    assert http.get(reverse("portal:breach-notice", args=[notice.pk])).status_code == 404
    assert http.get(reverse("portal:breach-notices")).status_code == 404
    assert "breach-notice-banner" not in http.get(reverse("portal:home")).content.decode()


def test_acknowledgement_is_recorded_once_and_ends_the_dashboard_banner(
    world: access_cast.World, officer: User
) -> None:
    notice = _published(world, officer)
    http = cast.signed_in(world.client_a_owner)
    dashboard = http.get(reverse("portal:home")).content.decode()
    assert 'id="breach-notice-banner"' in dashboard
    assert reverse("portal:breach-notices") in dashboard
    response = http.post(reverse("portal:breach-notice-read", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None and notice.read_by == world.client_a_owner
    http.post(reverse("portal:breach-notice-read", args=[notice.pk]))  # again: nothing new
    events = AuditEvent.objects.filter(action="breach_notice_acknowledged")
    assert [(e.actor_id, e.client_ref, e.target_id) for e in events] == [
        (world.client_a_owner.pk, str(world.client_a.pk), str(notice.pk))
    ]
    assert 'id="breach-notice-banner"' not in http.get(reverse("portal:home")).content.decode()
    assert 'id="notice-read"' in http.get(reverse("portal:breach-notice", args=[notice.pk])).content.decode()


def test_acknowledging_a_draft_is_refused(world: access_cast.World, officer: User) -> None:
    incidents.compose_breach_notices(_incident(world, officer), actor=officer)
    notice = BreachNotice.objects.get()
    with pytest.raises(ComplianceError):
        incidents.acknowledge_breach_notice(notice, actor=world.client_a_owner)


def test_drill_notices_never_reach_the_client(
    world: access_cast.World,
    officer: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice = _published(world, officer, drill=True)
    assert notice.is_drill and "演练" in notice.body
    assert mail.outbox == [m for m in mail.outbox if "client.test" not in ",".join(m.to)]
    http = cast.signed_in(world.client_a_owner)
    assert http.get(reverse("portal:breach-notice", args=[notice.pk])).status_code == 404
    assert "breach-notice-banner" not in http.get(reverse("portal:home")).content.decode()


def test_notice_list_query_count_does_not_grow_with_notices(
    world: access_cast.World,
    officer: User,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(4):
        incident = incidents.report_incident(title="t", description="d", actor=officer)
        BreachNotice.objects.create(
            incident=incident,
            client_ref=str(world.client_a.pk),
            state=NoticeState.PUBLISHED,
            body="正文",
            client_details="细节",
            created_at=timezone.now(),
            published_at=timezone.now(),
        )
    http = cast.signed_in(world.client_a_owner)
    http.get(reverse("portal:breach-notices"))  # warm the caches that are per process
    with django_assert_max_num_queries(25):
        response = http.get(reverse("portal:breach-notices"))
    assert response.content.decode().count("/portal/notices/") >= 4


# --- Delivery: e-mail --------------------------------------------------------------------------------


@override_settings(FIRMPORTAL_SITE_URL="https://portal.firm.test")
def test_email_after_commit_links_to_the_notice_and_holds_no_content(
    world: access_cast.World,
    officer: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    incident = _incident(world, officer)
    incidents.compose_breach_notices(incident, actor=officer)
    notice = BreachNotice.objects.get()
    mail.outbox.clear()
    # A publication that rolls back sends nothing.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        incidents.publish_breach_notice(notice, actor=officer)
        raise RuntimeError("rolled back")
    assert callbacks == [] and mail.outbox == []
    assert BreachNotice.objects.get().state == NoticeState.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        incidents.publish_breach_notice(notice, actor=officer)
    assert [m.to for m in mail.outbox] == [[world.client_a_owner.email]]
    message = mail.outbox[0]
    assert f"https://portal.firm.test/portal/notices/{notice.pk}/" in message.body
    for text in [*NOTICE.values(), "上海甲贸易有限公司", "电脑丢失"]:
        assert text not in message.body and text not in message.subject
    assert BreachNotice.objects.get().emailed_at is not None


def test_authority_report_is_a_pdf_and_a_timeline_step(world: access_cast.World, officer: User) -> None:
    notice = _published(world, officer)
    http = cast.signed_in(officer)
    response = http.post(reverse("staff:compliance:incident-action", args=[notice.incident_id, "authority-report"]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert notice.incident.timeline.filter(kind="authority_report").exists()
    assert AuditEvent.objects.filter(action="incident_authority_report", target_id=str(notice.incident_id)).exists()
