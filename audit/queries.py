"""Reads of the audit trail: the explorer, the compliance reports and the client's own view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import StaffRole, User, UserKind
from audit.models import AccessAction, AccessEvent, AuditAction, AuditEvent
from audit.services import DELEGATE_ROLE

FIRM_TZ = ZoneInfo("Asia/Shanghai")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=FIRM_TZ)


@dataclass(frozen=True)
class Filters:
    person: User | None = None
    client_ref: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive, a firm-local day


def access_events(filters: Filters) -> QuerySet[AccessEvent]:
    queryset = AccessEvent.objects.all()
    if filters.person is not None:
        queryset = queryset.filter(actor=filters.person)
    if filters.client_ref:
        queryset = queryset.filter(client_ref=filters.client_ref)
    if filters.action:
        queryset = queryset.filter(action=filters.action)
    return _in_period(queryset, "occurred_at", filters).order_by("-occurred_at", "-id")


def domain_events(filters: Filters) -> QuerySet[AuditEvent]:
    queryset = AuditEvent.objects.all()
    if filters.person is not None:
        queryset = queryset.filter(actor=filters.person)
    if filters.client_ref:
        queryset = queryset.filter(client_ref=filters.client_ref)
    if filters.action:
        queryset = queryset.filter(action=filters.action)
    return _in_period(queryset, "occurred_at", filters).order_by("-occurred_at", "-id")


def change_log(filters: Filters) -> QuerySet[LogEntry]:
    """Model diffs; they carry no client reference, so the client filter does not apply."""
    queryset = LogEntry.objects.select_related("actor", "content_type")
    if filters.person is not None:
        queryset = queryset.filter(actor=filters.person)
    return _in_period(queryset, "timestamp", filters).order_by("-timestamp", "-id")


def _in_period(queryset: Any, field: str, filters: Filters) -> Any:
    if filters.since:
        queryset = queryset.filter(**{f"{field}__gte": _day_start(filters.since)})
    if filters.until:
        queryset = queryset.filter(**{f"{field}__lt": _day_start(filters.until + timedelta(days=1))})
    return queryset


def daily_access_volume(
    *, days: int = 30, person: User | None = None, client_ref: str = "", today: date | None = None
) -> list[tuple[date, int]]:
    """Access events per firm-local day over the last `days` days, zeros included."""
    today = today or timezone.localdate(timezone=FIRM_TZ)
    first = today - timedelta(days=days - 1)
    queryset = AccessEvent.objects.filter(occurred_at__gte=_day_start(first))
    if person is not None:
        queryset = queryset.filter(actor=person)
    if client_ref:
        queryset = queryset.filter(client_ref=client_ref)
    counts = {
        row["day"]: row["n"]
        for row in queryset.annotate(day=TruncDate("occurred_at", tzinfo=FIRM_TZ))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [(first + timedelta(days=offset), counts.get(first + timedelta(days=offset), 0)) for offset in range(days)]


@dataclass(frozen=True)
class StaffActivity:
    by_action: list[dict[str, Any]]
    distinct_clients: int
    first_at: datetime | None
    last_at: datetime | None
    recent: list[AccessEvent]
    domain_recent: list[AuditEvent]


def staff_activity(person: User, *, since: date | None = None, until: date | None = None) -> StaffActivity:
    filters = Filters(person=person, since=since, until=until)
    events = access_events(filters)
    summary = events.aggregate(
        clients=Count("client_ref", distinct=True), first=Min("occurred_at"), last=Max("occurred_at")
    )
    by_action = [dict(row) for row in events.order_by().values("action").annotate(n=Count("id")).order_by("-n")]
    return StaffActivity(
        by_action=by_action,
        distinct_clients=summary["clients"],
        first_at=summary["first"],
        last_at=summary["last"],
        recent=list(events[:50]),
        domain_recent=list(domain_events(filters)[:50]),
    )


def client_accessors(client_ref: str, *, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    """Who accessed one client's data: per person, how often, first and last time."""
    events = access_events(Filters(client_ref=client_ref, since=since, until=until))
    rows = (
        events.order_by()
        .values("actor_id", "actor_label", "actor_role")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-last")
    )
    return [dict(row) for row in rows]


def leavers() -> QuerySet[User]:
    return User.objects.filter(kind=UserKind.STAFF, offboarded_at__isnull=False).order_by("-offboarded_at")


def last_access_per_client(person: User) -> list[dict[str, Any]]:
    """For a leaver: each client they ever accessed, with their last access and how many."""
    rows = (
        AccessEvent.objects.filter(actor=person)
        .exclude(client_ref="")
        .exclude(action=AccessAction.DENIED)
        .values("client_ref")
        .annotate(n=Count("id"), last=Max("occurred_at"))
        .order_by("-last")
    )
    return [dict(row) for row in rows]


def activity_after(person: User, moment: datetime) -> int:
    return (
        AccessEvent.objects.filter(actor=person, occurred_at__gt=moment).count()
        + AuditEvent.objects.filter(actor=person, occurred_at__gt=moment).count()
    )


# --- The client's view: who accessed my data ------------------------------------------------------


@dataclass(frozen=True)
class AccessHistoryRow:
    when: datetime
    who: str
    role: str
    kind: str  # "staff" or "client" (the client's own people and delegates)
    what: str
    object_type: str
    purpose: str
    changed: bool


def role_labels(codes: str) -> str:
    labels = {str(value): str(label) for value, label in StaffRole.choices}
    labels.update({str(value): str(label) for value, label in UserKind.choices})
    labels[DELEGATE_ROLE] = str(_("Delegate of the client"))
    return ", ".join(labels.get(code, code) for code in codes.split(",") if code)


def _action_label(action: str) -> str:
    for choices in (AccessAction, AuditAction):
        try:
            return str(choices(action).label)
        except ValueError:
            continue
    return action


def client_access_history(
    client_ref: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_kind: str | None = None,
    limit: int = 500,
) -> list[AccessHistoryRow]:
    """Everything people did with one client's data, newest first: reads and changes.

    `actor_kind` narrows to "staff" (the firm) or "client" (the client's own users and delegates).
    Refused attempts are left out: they showed nothing. Three queries, whatever the size.
    """
    reads = AccessEvent.objects.filter(client_ref=client_ref).exclude(action=AccessAction.DENIED)
    changes = AuditEvent.objects.filter(client_ref=client_ref)
    if since is not None:
        reads, changes = reads.filter(occurred_at__gte=since), changes.filter(occurred_at__gte=since)
    if until is not None:
        reads, changes = reads.filter(occurred_at__lt=until), changes.filter(occurred_at__lt=until)
    if actor_kind in (UserKind.STAFF, UserKind.CLIENT):
        reads = reads.filter(actor__kind=actor_kind)
        changes = changes.filter(actor__kind=actor_kind)
    read_rows = list(
        reads.order_by("-occurred_at", "-id").values(
            "occurred_at", "actor_id", "actor_label", "actor_role", "action", "object_type", "purpose"
        )[:limit]
    )
    change_rows = list(
        changes.order_by("-occurred_at", "-id").values(
            "occurred_at", "actor_id", "actor_label", "actor_role", "action", "target_type", "details"
        )[:limit]
    )
    people = _people(row["actor_id"] for row in [*read_rows, *change_rows])
    rows = [
        AccessHistoryRow(
            when=row["occurred_at"],
            who=_name(people, row),
            role=role_labels(row["actor_role"]),
            kind=_kind(people, row),
            what=_action_label(row["action"]),
            object_type=row["object_type"],
            purpose=row["purpose"],
            changed=False,
        )
        for row in read_rows
    ] + [
        AccessHistoryRow(
            when=row["occurred_at"],
            who=_name(people, row),
            role=role_labels(row["actor_role"]),
            kind=_kind(people, row),
            what=_action_label(row["action"]),
            object_type=row["target_type"],
            purpose=str((row["details"] or {}).get("purpose", "")),
            changed=True,
        )
        for row in change_rows
    ]
    rows.sort(key=lambda item: item.when, reverse=True)
    return rows[:limit]


def _people(ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    wanted = {pk for pk in ids if pk is not None}
    return {
        pk: (display or username, kind)
        for pk, display, username, kind in User.objects.filter(pk__in=wanted).values_list(
            "pk", "display_name", "username", "kind"
        )
    }


def _name(people: dict[int, tuple[str, str]], row: Mapping[str, Any]) -> str:
    person = people.get(row["actor_id"])
    return person[0] if person else (row["actor_label"] or "-")


def _kind(people: dict[int, tuple[str, str]], row: Mapping[str, Any]) -> str:
    person = people.get(row["actor_id"])
    return person[1] if person else ""


@dataclass
class DelegateActivityRow:
    when: datetime
    what: str
    object_type: str


def delegate_activity(
    client_refs: Iterable[str], delegate_ids: Iterable[int | None], *, per_delegate: int = 5, scan: int = 500
) -> dict[tuple[int | None, str], list[DelegateActivityRow]]:
    """What each delegate did lately with the given clients' data, newest first, keyed by
    (delegate id, client ref). One query, whatever the number of delegates."""
    ids = [i for i in delegate_ids if i is not None]
    refs = [str(r) for r in client_refs]
    found: dict[tuple[int | None, str], list[DelegateActivityRow]] = {}
    if not ids or not refs:
        return found
    rows = (
        AccessEvent.objects.filter(actor_id__in=ids, client_ref__in=refs)
        .order_by("-occurred_at", "-id")
        .values("actor_id", "client_ref", "occurred_at", "action", "object_type")[:scan]
    )
    for row in rows:
        bucket = found.setdefault((row["actor_id"], row["client_ref"]), [])
        if len(bucket) < per_delegate:
            bucket.append(
                DelegateActivityRow(
                    when=row["occurred_at"], what=_action_label(row["action"]), object_type=row["object_type"]
                )
            )
    return found
