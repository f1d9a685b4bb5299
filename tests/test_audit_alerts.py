"""Insider-abuse alerts: each rule fires on its pattern, not on normal work, and only once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from audit import alerts
from audit import services as audit
from audit.models import AccessEvent, Alert, AlertKind, AlertRule, AlertStatus, AuditAction, AuditEvent
from tests import cast

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday, 10:00 in Shanghai: working hours.
WORKDAY_10 = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)


def view(actor: User, *, at: datetime, client: str = "client-1", action: str = "view", ids: int = 1) -> None:
    AccessEvent.objects.create(
        actor=actor,
        actor_label=actor.username,
        occurred_at=at,
        action=action,
        client_ref=client,
        object_type="clients.voucher",
        object_ids=[str(n) for n in range(ids)],
    )


def kinds() -> list[str]:
    return sorted(Alert.objects.values_list("kind", flat=True))


def test_many_distinct_clients_in_an_hour_fires_once(bookkeeper_alice: User) -> None:
    for n in range(20):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=2 * n), client=f"client-{n}")
    alerts.evaluate()
    alerts.evaluate()
    assert kinds() == [AlertKind.MANY_CLIENTS]
    alert = Alert.objects.get()
    assert alert.subject == bookkeeper_alice
    assert alert.facts["count"] == 20


def test_normal_work_on_a_few_clients_raises_nothing(bookkeeper_alice: User) -> None:
    for n in range(60):  # many views, but of five assigned clients, in working hours
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), client=f"client-{n % 5}")
    audit.record(actor=bookkeeper_alice, action=AuditAction.USER_SIGNED_IN)
    alerts.evaluate()
    assert kinds() == []


def test_distinct_clients_spread_over_a_day_raise_nothing(bookkeeper_alice: User) -> None:
    for n in range(20):
        view(bookkeeper_alice, at=WORKDAY_10 - timedelta(hours=1) + timedelta(minutes=25 * n), client=f"c-{n}")
    alerts.evaluate()
    assert AlertKind.MANY_CLIENTS not in kinds()


def test_events_seen_by_an_earlier_run_still_count_in_the_window(bookkeeper_alice: User) -> None:
    for n in range(10):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), client=f"client-{n}")
    alerts.evaluate()
    assert kinds() == []
    for n in range(10, 20):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), client=f"client-{n}")
    alerts.evaluate()
    assert kinds() == [AlertKind.MANY_CLIENTS]


def test_access_outside_working_hours_fires(bookkeeper_alice: User, client_a_owner: User) -> None:
    view(bookkeeper_alice, at=WORKDAY_10.replace(hour=23, minute=30))
    view(bookkeeper_alice, at=WORKDAY_10.replace(hour=23, minute=40))
    view(client_a_owner, at=WORKDAY_10.replace(hour=23, minute=30))  # clients may read their books at night
    alerts.evaluate()
    assert kinds() == [AlertKind.OFF_HOURS]
    assert Alert.objects.get().subject == bookkeeper_alice


def test_weekend_access_fires_and_working_hours_do_not(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    view(bookkeeper_alice, at=WORKDAY_10 + timedelta(days=3))  # Saturday 10:00
    view(bookkeeper_bob, at=WORKDAY_10.replace(hour=18, minute=0))
    alerts.evaluate()
    assert [a.subject for a in Alert.objects.all()] == [bookkeeper_alice]


def test_working_hours_are_tunable(bookkeeper_alice: User, compliance_officer: User) -> None:
    rule = alerts.ensure_default_rules()[AlertKind.OFF_HOURS]
    alerts.update_alert_rule(
        rule,
        actor=compliance_officer,
        enabled=True,
        threshold=1,
        window_minutes=rule.window_minutes,
        severity=rule.severity,
        work_start=rule.work_start,
        work_end=WORKDAY_10.replace(hour=23, minute=59).time(),
        weekdays_only=True,
    )
    view(bookkeeper_alice, at=WORKDAY_10.replace(hour=23, minute=30))
    alerts.evaluate()
    assert kinds() == []
    assert AuditEvent.objects.filter(action=AuditAction.ALERT_RULE_CHANGED, actor=compliance_officer).exists()


def test_repeated_denied_attempts_fire(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    for n in range(5):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), action="denied", client=f"c-{n}")
    for n in range(4):
        view(bookkeeper_bob, at=WORKDAY_10 + timedelta(minutes=n), action="denied")
    alerts.evaluate()
    assert [(a.kind, a.subject) for a in Alert.objects.all()] == [(AlertKind.REPEATED_DENIALS, bookkeeper_alice)]


def test_bulk_export_fires_and_a_small_download_does_not(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    view(bookkeeper_alice, at=WORKDAY_10, action="export", ids=150)
    view(bookkeeper_bob, at=WORKDAY_10, action="download", ids=3)
    alerts.evaluate()
    assert [(a.kind, a.subject) for a in Alert.objects.all()] == [(AlertKind.BULK_EXPORT, bookkeeper_alice)]


def test_secret_reveals_above_the_rate_fire(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    for n in range(10):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), action="reveal")
    for n in range(3):
        view(bookkeeper_bob, at=WORKDAY_10 + timedelta(minutes=n), action="reveal")
    alerts.evaluate()
    assert [(a.kind, a.subject) for a in Alert.objects.all()] == [(AlertKind.SECRET_REVEALS, bookkeeper_alice)]


def test_sign_in_attempt_by_an_offboarded_account_fires(bookkeeper_alice: User, bookkeeper_bob: User) -> None:
    bookkeeper_alice.is_active = False
    bookkeeper_alice.offboarded_at = timezone.now() - timedelta(days=1)
    bookkeeper_alice.save()
    from django.test import Client as HttpClient

    http = HttpClient()
    response = http.post("/accounts/login/", {"username": "bookkeeper_alice", "password": cast.PASSWORD})
    assert response.status_code == 200  # refused, like any wrong password
    http.post("/accounts/login/", {"username": "bookkeeper_bob", "password": "wrong-password-typo"})
    alerts.evaluate()
    assert [(a.kind, a.subject) for a in Alert.objects.all()] == [(AlertKind.OFFBOARDED_SIGN_IN, bookkeeper_alice)]


def test_emergency_access_grant_fires(partner: User) -> None:
    audit.record(actor=partner, action=AuditAction.ACCESS_EMERGENCY_GRANTED, client_ref="client-9")
    audit.record(actor=partner, action=AuditAction.USER_CREATED)
    alerts.evaluate()
    alerts.evaluate()
    assert kinds() == [AlertKind.EMERGENCY_ACCESS]


def test_disabled_rule_does_not_fire(bookkeeper_alice: User) -> None:
    rule = alerts.ensure_default_rules()[AlertKind.SECRET_REVEALS]
    AlertRule.objects.filter(pk=rule.pk).update(enabled=False)
    for n in range(12):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), action="reveal")
    alerts.evaluate()
    assert kinds() == []


def test_alert_mail_goes_to_compliance_officers_without_client_content(
    bookkeeper_alice: User, compliance_officer: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), action="reveal", client="secret-client-ref")
        alerts.evaluate()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [compliance_officer.email]
    assert "bookkeeper_alice" in message.body
    assert "secret-client-ref" not in f"{message.body} {message.subject}"


def test_desk_actions_on_an_alert_are_noted_and_audited(compliance_officer: User, bookkeeper_alice: User) -> None:
    audit.record(actor=bookkeeper_alice, action=AuditAction.ACCESS_EMERGENCY_GRANTED)
    alerts.evaluate()
    alert = Alert.objects.get()
    http = cast.signed_in(compliance_officer)
    url = f"/staff/compliance/alerts/{alert.pk}/act/"
    assert http.post(url, {"action": "acknowledge", "note": ""}).status_code == 302
    assert http.post(url, {"action": "escalate", "note": "to the firm head"}).status_code == 302
    refused = http.post(url, {"action": "close", "note": ""})
    assert refused.status_code == 400
    assert "写一条备注" in refused.content.decode() or "Write a note" in refused.content.decode()
    assert http.post(url, {"action": "close", "note": "approved by the partner, documented"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert list(alert.notes.values_list("action", flat=True)) == ["acknowledge", "escalate", "close"]
    audited = AuditEvent.objects.filter(actor=compliance_officer, target_id=str(alert.pk)).values_list(
        "action", flat=True
    )
    assert list(audited) == [AuditAction.ALERT_ACKNOWLEDGED, AuditAction.ALERT_ESCALATED, AuditAction.ALERT_CLOSED]
    detail = http.get(f"/staff/compliance/alerts/{alert.pk}/")
    assert "approved by the partner" in detail.content.decode()


def test_rule_thresholds_are_edited_on_the_desk(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    assert http.get("/staff/compliance/rules/").status_code == 200
    rule = AlertRule.objects.get(kind=AlertKind.MANY_CLIENTS)
    prefix = f"r{rule.pk}"
    data = {
        f"{prefix}-enabled": "on",
        f"{prefix}-threshold": "0",
        f"{prefix}-window_minutes": "60",
        f"{prefix}-severity": "high",
        f"{prefix}-weekdays_only": "on",
    }
    assert http.post(f"/staff/compliance/rules/{rule.pk}/", data).status_code == 400
    rule.refresh_from_db()
    assert rule.threshold == 20
    data[f"{prefix}-threshold"] = "30"
    assert http.post(f"/staff/compliance/rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 30
    event = AuditEvent.objects.get(action=AuditAction.ALERT_RULE_CHANGED)
    assert event.details["before"]["threshold"] == 20
    assert event.details["after"]["threshold"] == 30


def test_working_day_that_ends_before_it_starts_is_refused(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    http.get("/staff/compliance/rules/")
    rule = AlertRule.objects.get(kind=AlertKind.OFF_HOURS)
    prefix = f"r{rule.pk}"
    response = http.post(
        f"/staff/compliance/rules/{rule.pk}/",
        {
            f"{prefix}-enabled": "on",
            f"{prefix}-threshold": "1",
            f"{prefix}-window_minutes": "1440",
            f"{prefix}-severity": "medium",
            f"{prefix}-work_start": "19:00",
            f"{prefix}-work_end": "09:00",
        },
    )
    assert response.status_code == 400
    assert "工作日结束时间必须晚于开始时间" in response.content.decode()
    rule.refresh_from_db()
    assert rule.work_start is not None and rule.work_start.hour == 9


def test_a_backlog_is_judged_over_several_runs(bookkeeper_alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts, "BATCH", 7)
    for n in range(20):
        view(bookkeeper_alice, at=WORKDAY_10 + timedelta(minutes=n), client=f"client-{n}")
    runs = 0
    while alerts.evaluate().access_events:
        runs += 1
    assert runs == 3
    assert kinds() == [AlertKind.MANY_CLIENTS]
