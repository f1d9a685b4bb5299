"""Insider-abuse alerts: rules evaluated over new audit events, and the desk's handling of alerts.

The evaluation (`evaluate`) runs every minute from beat. It reads only events that are final
(below the sealing horizon, see `audit.sealing._horizon`) and newer than its cursor, and each
alert carries a deterministic `dedupe_key`, so running it twice never raises an alert twice.
Alerts hold counts, times and event ids — never client names or content — and the e-mail to
compliance officers says only which rule fired about whom, with a link to the desk.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import StaffRole, User
from audit import services as audit
from audit.models import (
    AccessAction,
    AccessEvent,
    Alert,
    AlertCursor,
    AlertKind,
    AlertNote,
    AlertRule,
    AlertStatus,
    AuditAction,
    AuditEvent,
    Severity,
)

log = logging.getLogger("firmportal.audit.alerts")

FIRM_TZ = ZoneInfo("Asia/Shanghai")
# Events judged per table per run; after an outage the backlog is worked off over several runs.
BATCH = 20_000


@dataclass(frozen=True)
class RuleDefaults:
    threshold: int
    window_minutes: int
    severity: str


DEFAULTS: dict[str, RuleDefaults] = {
    AlertKind.MANY_CLIENTS: RuleDefaults(20, 60, Severity.HIGH),
    AlertKind.OFF_HOURS: RuleDefaults(1, 24 * 60, Severity.MEDIUM),
    AlertKind.REPEATED_DENIALS: RuleDefaults(5, 15, Severity.MEDIUM),
    AlertKind.BULK_EXPORT: RuleDefaults(100, 60, Severity.HIGH),
    AlertKind.OFFBOARDED_SIGN_IN: RuleDefaults(1, 24 * 60, Severity.HIGH),
    AlertKind.EMERGENCY_ACCESS: RuleDefaults(1, 1, Severity.MEDIUM),
    AlertKind.SECRET_REVEALS: RuleDefaults(10, 60, Severity.HIGH),
    AlertKind.AUDIT_INTEGRITY: RuleDefaults(1, 1, Severity.HIGH),
    AlertKind.DECRYPTION_FAILED: RuleDefaults(1, 1, Severity.HIGH),
}


def ensure_default_rules() -> dict[str, AlertRule]:
    """Every rule exists with its default thresholds unless the compliance officer changed them."""
    existing = {rule.kind: rule for rule in AlertRule.objects.all()}
    for kind, default in DEFAULTS.items():
        if kind not in existing:
            rule, _created = AlertRule.objects.get_or_create(
                kind=kind,
                defaults={
                    "threshold": default.threshold,
                    "window_minutes": default.window_minutes,
                    "severity": default.severity,
                    "work_start": time(9, 0) if kind == AlertKind.OFF_HOURS else None,
                    "work_end": time(18, 30) if kind == AlertKind.OFF_HOURS else None,
                },
            )
            existing[kind] = rule
    return existing


# --- Raising and notifying -----------------------------------------------------------------------


def _raise(
    *,
    rule: AlertRule,
    dedupe_key: str,
    subject: User | None,
    window_start: datetime,
    window_end: datetime,
    facts: dict[str, Any],
) -> Alert | None:
    """Create the alert unless this occurrence was already raised; audited; mail after commit."""
    if Alert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=rule.kind,
                severity=rule.severity,
                subject=subject,
                subject_label=subject.get_username() if subject is not None else "",
                window_start=window_start,
                window_end=window_end,
                facts=facts,
                dedupe_key=dedupe_key[:200],
            )
            audit.record(
                actor=None, action=AuditAction.ALERT_RAISED, target=alert, details={"kind": rule.kind, **facts}
            )
    except IntegrityError:
        return None  # raised concurrently by another run
    transaction.on_commit(lambda: notify_compliance(alert.pk))
    return alert


def compliance_officers() -> models.QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=StaffRole.COMPLIANCE_OFFICER).distinct()


def notify_compliance(alert_id: int) -> None:
    """E-mail compliance officers that an alert was raised: the rule, the person, the time; nothing else."""
    alert = Alert.objects.get(pk=alert_id)
    recipients = [email for email in compliance_officers().values_list("email", flat=True) if email]
    if not recipients:
        log.warning("alert %s raised but no compliance officer has an e-mail address", alert.pk)
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[FirmPortal] Alert: %(rule)s") % {"rule": alert.get_kind_display()}
        body = _(
            "An alert was raised on the compliance desk.\n\n"
            "Rule: %(rule)s\nSeverity: %(severity)s\nPerson: %(person)s\nTime (UTC): %(start)s to %(end)s\n\n"
            "Open the compliance desk to review it: %(path)s\n"
        ) % {
            "rule": alert.get_kind_display(),
            "severity": alert.get_severity_display(),
            "person": alert.subject_label or "-",
            "start": f"{alert.window_start:%Y-%m-%d %H:%M}",
            "end": f"{alert.window_end:%Y-%m-%d %H:%M}",
            "path": reverse("staff:audit:alert-detail", args=[alert.pk]),
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def raise_integrity_alert(*, first_bad_entry: str, problems: int) -> Alert | None:
    """verify_audit found the trail altered: one alert per distinct finding."""
    rules = ensure_default_rules()
    now = timezone.now()
    return _raise(
        rule=rules[AlertKind.AUDIT_INTEGRITY],
        dedupe_key=f"audit_integrity:{first_bad_entry}",
        subject=None,
        window_start=now,
        window_end=now,
        facts={"first_bad_entry": first_bad_entry, "problems": problems},
    )


def raise_decryption_alert(*, where: str, key_id: str, reason: str, audit_event_id: int | None) -> Alert | None:
    """A stored value failed authentication: one alert per value (never its content)."""
    rules = ensure_default_rules()
    now = timezone.now()
    return _raise(
        rule=rules[AlertKind.DECRYPTION_FAILED],
        dedupe_key=f"decryption_failed:{where}:{key_id}",
        subject=None,
        window_start=now,
        window_end=now,
        facts={"where": where, "key": key_id, "reason": reason, "audit_event": audit_event_id},
    )


# --- Evaluation ----------------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    access_events: int = 0
    audit_events: int = 0
    raised: int = 0
    skipped_reason: str = ""


def _cursor(source: str) -> AlertCursor:
    cursor, _created = AlertCursor.objects.get_or_create(source=source)
    return cursor


def evaluate(*, wait_seconds: float = 2) -> EvaluationReport:
    """Judge every new, final audit event against the enabled rules (idempotent)."""
    from audit.sealing import _horizon

    report = EvaluationReport()
    with transaction.atomic():
        rules = {kind: rule for kind, rule in ensure_default_rules().items() if rule.enabled}
        horizon = _horizon(wait_seconds)
        if horizon is None:
            report.skipped_reason = "a transaction older than the horizon is still open"
            return report
        access_cursor = AlertCursor.objects.select_for_update().get(pk=_cursor("access").pk)
        domain_cursor = AlertCursor.objects.select_for_update().get(pk=_cursor("domain").pk)
        new_access: list[dict[str, Any]] = [
            dict(row)
            for row in AccessEvent.objects.filter(pk__gt=access_cursor.last_id, pk__lte=horizon["access"])
            .order_by("pk")
            .values("pk", "actor_id", "occurred_at", "action", "client_ref", "object_ids")[:BATCH]
        ]
        new_domain: list[dict[str, Any]] = [
            dict(row)
            for row in AuditEvent.objects.filter(pk__gt=domain_cursor.last_id, pk__lte=horizon["domain"])
            .order_by("pk")
            .values("pk", "actor_id", "occurred_at", "action", "target_type", "target_id", "details")[:BATCH]
        ]
        report.access_events, report.audit_events = len(new_access), len(new_domain)
        raised = 0
        raised += _rate_rules(rules, new_access)
        raised += _off_hours(rules.get(AlertKind.OFF_HOURS), new_access)
        raised += _domain_rules(rules, new_domain, new_access)
        report.raised = raised
        if new_access:
            access_cursor.last_id = new_access[-1]["pk"]
            access_cursor.save(update_fields=["last_id", "updated_at"])
        if new_domain:
            domain_cursor.last_id = new_domain[-1]["pk"]
            domain_cursor.save(update_fields=["last_id", "updated_at"])
    return report


def _users(ids: Iterable[int]) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=set(ids))}


EXPORT_ACTIONS = [AccessAction.EXPORT, AccessAction.DOWNLOAD]


# (rule kind, which access events count, how much each one weighs, distinct clients?)
def _weight_export(event: dict[str, Any]) -> int:
    return max(1, len(event["object_ids"] or []))


def _rate_rules(rules: dict[str, AlertRule], new_access: list[dict[str, Any]]) -> int:
    """Sliding-window rules over each person's access events, judged at each new event."""
    specs: list[tuple[str, Any, Any, bool]] = [
        (AlertKind.MANY_CLIENTS, ~models.Q(action=AccessAction.DENIED), None, True),
        (AlertKind.REPEATED_DENIALS, models.Q(action=AccessAction.DENIED), None, False),
        (
            AlertKind.BULK_EXPORT,
            models.Q(action__in=[AccessAction.EXPORT, AccessAction.DOWNLOAD]),
            _weight_export,
            False,
        ),
        (AlertKind.SECRET_REVEALS, models.Q(action=AccessAction.REVEAL), None, False),
    ]
    raised = 0
    by_actor: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in new_access:
        if event["actor_id"] is not None:
            by_actor[event["actor_id"]].append(event)
    if not by_actor:
        return 0
    users = _users(by_actor)
    for kind, condition, weight, distinct_clients in specs:
        rule = rules.get(kind)
        if rule is None:
            continue
        window = timedelta(minutes=rule.window_minutes)
        for actor_id, events in by_actor.items():
            first, last = events[0]["occurred_at"], events[-1]["occurred_at"]
            history: list[dict[str, Any]] = [
                dict(row)
                for row in AccessEvent.objects.filter(
                    condition, actor_id=actor_id, occurred_at__gte=first - window, occurred_at__lte=last
                )
                .order_by("occurred_at", "pk")
                .values("pk", "occurred_at", "client_ref", "object_ids")
            ]
            new_ids = {event["pk"] for event in events}
            start = 0
            for end, event in enumerate(history):
                while history[start]["occurred_at"] < event["occurred_at"] - window:
                    start += 1
                if event["pk"] not in new_ids:
                    continue
                in_window = history[start : end + 1]
                if distinct_clients:
                    amount = len({item["client_ref"] for item in in_window if item["client_ref"]})
                else:
                    amount = sum(weight(item) if weight else 1 for item in in_window)
                if amount >= rule.threshold:
                    bucket = int(event["occurred_at"].timestamp() // window.total_seconds())
                    alert = _raise(
                        rule=rule,
                        dedupe_key=f"{kind}:{actor_id}:{bucket}",
                        subject=users.get(actor_id),
                        window_start=in_window[0]["occurred_at"],
                        window_end=event["occurred_at"],
                        facts={
                            "count": amount,
                            "threshold": rule.threshold,
                            "window_minutes": rule.window_minutes,
                            "event_ids": [item["pk"] for item in in_window][-50:],
                        },
                    )
                    raised += alert is not None
    return raised


def is_working_time(moment: datetime, rule: AlertRule) -> bool:
    local = moment.astimezone(FIRM_TZ)
    if rule.weekdays_only and local.weekday() >= 5:
        return False
    start, end = rule.work_start or time(9, 0), rule.work_end or time(18, 30)
    return start <= local.time() < end


def _off_hours(rule: AlertRule | None, new_access: list[dict[str, Any]]) -> int:
    """Reads of client data outside working hours (Asia/Shanghai): one alert per person per day."""
    if rule is None:
        return 0
    counted: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for event in new_access:
        if event["actor_id"] is None or not event["client_ref"] or event["action"] == AccessAction.DENIED:
            continue
        if not is_working_time(event["occurred_at"], rule):
            day = event["occurred_at"].astimezone(FIRM_TZ).date().isoformat()
            counted[(event["actor_id"], day)].append(event)
    if not counted:
        return 0
    users = _users(actor for actor, _day in counted)
    staff = {pk for pk, user in users.items() if user.is_staff_member}
    raised = 0
    for (actor_id, day), events in counted.items():
        if actor_id not in staff:
            continue  # clients read their own books whenever they like
        local_day = events[0]["occurred_at"].astimezone(FIRM_TZ).date()
        day_start = datetime.combine(local_day, time.min, tzinfo=FIRM_TZ)
        moments = (
            AccessEvent.objects.filter(
                actor_id=actor_id, occurred_at__gte=day_start, occurred_at__lt=day_start + timedelta(days=1)
            )
            .exclude(client_ref="")
            .exclude(action=AccessAction.DENIED)
            .values_list("occurred_at", flat=True)
        )
        total = sum(1 for moment in moments if not is_working_time(moment, rule))
        if total >= rule.threshold:
            alert = _raise(
                rule=rule,
                dedupe_key=f"off_hours:{actor_id}:{day}",
                subject=users[actor_id],
                window_start=events[0]["occurred_at"],
                window_end=events[-1]["occurred_at"],
                facts={"count": total, "threshold": rule.threshold, "event_ids": [e["pk"] for e in events][:50]},
            )
            raised += alert is not None
    return raised


def _domain_rules(
    rules: dict[str, AlertRule], new_domain: list[dict[str, Any]], new_access: list[dict[str, Any]]
) -> int:
    raised = 0
    emergency = rules.get(AlertKind.EMERGENCY_ACCESS)
    offboarded_rule = rules.get(AlertKind.OFFBOARDED_SIGN_IN)
    users = _users(e["actor_id"] for e in [*new_domain, *new_access] if e["actor_id"] is not None)
    for event in new_domain:
        if emergency is not None and event["action"] == AuditAction.ACCESS_EMERGENCY_GRANTED:
            alert = _raise(
                rule=emergency,
                dedupe_key=f"emergency_access:{event['pk']}",
                subject=users.get(event["actor_id"]),
                window_start=event["occurred_at"],
                window_end=event["occurred_at"],
                facts={"event_ids": [event["pk"]], "target_type": event["target_type"]},
            )
            raised += alert is not None
    if offboarded_rule is None:
        return raised
    # Sign-in attempts naming an offboarded account (accounts.services.record_failed_sign_in marks
    # them), and any activity of an offboarded account after its offboarding.
    attempts: list[tuple[User, dict[str, Any]]] = []
    target_ids = [
        int(e["target_id"])
        for e in new_domain
        if e["action"] == AuditAction.USER_SIGNIN_FAILED and (e["details"] or {}).get("offboarded")
    ]
    targets = _users(target_ids)
    for event in new_domain:
        if event["action"] == AuditAction.USER_SIGNIN_FAILED and (event["details"] or {}).get("offboarded"):
            user = targets.get(int(event["target_id"]))
            if user is not None:
                attempts.append((user, event))
    for event in [*new_domain, *new_access]:
        user = users.get(event["actor_id"]) if event["actor_id"] is not None else None
        if user is not None and user.offboarded_at is not None and event["occurred_at"] > user.offboarded_at:
            attempts.append((user, event))
    for user, event in attempts:
        day = event["occurred_at"].astimezone(FIRM_TZ).date().isoformat()
        alert = _raise(
            rule=offboarded_rule,
            dedupe_key=f"offboarded_sign_in:{user.pk}:{day}",
            subject=user,
            window_start=event["occurred_at"],
            window_end=event["occurred_at"],
            facts={
                "event_ids": [event["pk"]],
                "offboarded_at": user.offboarded_at.isoformat() if user.offboarded_at else "",
            },
        )
        raised += alert is not None
    return raised


# --- The desk's actions ----------------------------------------------------------------------------

_TRANSITIONS: dict[str, tuple[str, str]] = {
    # action: (new status, audit action)
    "acknowledge": (AlertStatus.ACKNOWLEDGED, AuditAction.ALERT_ACKNOWLEDGED),
    "escalate": (AlertStatus.ESCALATED, AuditAction.ALERT_ESCALATED),
    "close": (AlertStatus.CLOSED, AuditAction.ALERT_CLOSED),
    "note": ("", AuditAction.ALERT_NOTE_ADDED),
}


class AlertActionError(ValueError):
    pass


@transaction.atomic
def act_on_alert(alert: Alert, *, action: str, note: str, actor: User) -> Alert:
    """Acknowledge, escalate or close an alert, or add a note; each with its note and audit row."""
    if action not in _TRANSITIONS:
        raise AlertActionError(_("Unknown action."))
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    new_status, audit_action = _TRANSITIONS[action]
    if alert.status == AlertStatus.CLOSED and action != "note":
        raise AlertActionError(_("This alert is closed."))
    if action in ("close", "note") and not note.strip():
        raise AlertActionError(_("Write a note saying why."))
    if new_status:
        alert.status = new_status
        alert.save(update_fields=["status", "updated_at"])
    AlertNote.objects.create(alert=alert, author=actor, action=action, text=note.strip())
    audit.record(actor=actor, action=audit_action, target=alert, details={"status": alert.status})
    return alert


@transaction.atomic
def update_alert_rule(
    rule: AlertRule,
    *,
    actor: User,
    enabled: bool,
    threshold: int,
    window_minutes: int,
    severity: str,
    work_start: time | None = None,
    work_end: time | None = None,
    weekdays_only: bool = True,
) -> AlertRule:
    """The compliance officer tunes a rule; old and new values are audited."""
    before = {
        "enabled": rule.enabled,
        "threshold": rule.threshold,
        "window_minutes": rule.window_minutes,
        "severity": rule.severity,
        "work_start": rule.work_start.isoformat() if rule.work_start else None,
        "work_end": rule.work_end.isoformat() if rule.work_end else None,
        "weekdays_only": rule.weekdays_only,
    }
    rule.enabled, rule.threshold, rule.window_minutes, rule.severity = enabled, threshold, window_minutes, severity
    rule.work_start, rule.work_end, rule.weekdays_only = work_start, work_end, weekdays_only
    rule.updated_by = actor
    rule.full_clean()
    rule.save()
    after = {
        "enabled": enabled,
        "threshold": threshold,
        "window_minutes": window_minutes,
        "severity": severity,
        "work_start": work_start.isoformat() if work_start else None,
        "work_end": work_end.isoformat() if work_end else None,
        "weekdays_only": weekdays_only,
    }
    audit.record(
        actor=actor, action=AuditAction.ALERT_RULE_CHANGED, target=rule, details={"before": before, "after": after}
    )
    return rule
