"""What the access log costs on a page of client data, through real gunicorn (issue 5).

Two gunicorn servers run the same code on the same database; the only difference is
FIRMPORTAL_ACCESS_LOG_ENABLED (the switch exists for this measurement alone: audit.services.record_access
honours it). Concurrent keep-alive clients GET a client's overview page (/staff/clients/<id>/) as a
bookkeeper assigned to that client, so every request passes the access layer, decrypts the client's
fields and, on the logging server, writes one AccessEvent. The ratio is time per request, with logging
over without; the issue's target is ≤ 1.25. The run also checks that the logging server wrote exactly
one access event per page it served, and the other none.
"""

from __future__ import annotations

import statistics
import uuid
from typing import Any

from bench import Context, Result, meets
from bench.support import child_env, drive, gunicorn

TARGET = "≤ 1.25"


def _assigned_bookkeeper() -> tuple[Any, str]:
    """A verified bookkeeper assigned to a fresh client; returns (user, overview path)."""
    from accounts.models import StaffRole
    from confidentiality.models import AssignmentRole
    from tests import cast
    from tests.access_cast import assign, make_client

    tag = uuid.uuid4().hex[:8]
    manager = cast.make_staff(f"bench_mgr_{tag}", StaffRole.MANAGER, StaffRole.FIRM_ADMIN)
    bookkeeper = cast.make_staff(f"bench_log_{tag}", StaffRole.BOOKKEEPER)
    client = make_client(f"上海访问日志基准{tag}有限公司")
    assign(manager, client, manager, AssignmentRole.MANAGER)
    assign(manager, client, bookkeeper, AssignmentRole.BOOKKEEPER)
    return bookkeeper, f"/staff/clients/{client.pk}/"


def _events_of(user: Any) -> int:
    from audit.models import AccessEvent

    return AccessEvent.objects.filter(actor=user, path_name="clients:overview").count()


def run(ctx: Context) -> list[Result]:
    from django.conf import settings

    from tests import cast

    user, page = _assigned_bookkeeper()
    http = cast.signed_in(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME].value}"
    clients = ctx.size(8, 2)
    per_client = ctx.size(150, 5)
    rounds = ctx.size(3, 1)
    logs = ctx.scratch / "bench_access_log"
    logged_times: list[float] = []
    bare_times: list[float] = []
    served_logged = 0
    failures = 0
    with (
        gunicorn(env=child_env(FIRMPORTAL_ACCESS_LOG_ENABLED="1"), log_path=logs / "logged.log") as logged_port,
        gunicorn(env=child_env(FIRMPORTAL_ACCESS_LOG_ENABLED="0"), log_path=logs / "bare.log") as bare_port,
    ):
        for port in (logged_port, bare_port):
            warm = drive(port, page, cookie=cookie, clients=2, requests_per_client=ctx.size(10, 2))
            failures += warm.failures
            if port == logged_port:
                served_logged += warm.requests - warm.failures
        before = _events_of(user)
        for _ in range(rounds):
            logged = drive(logged_port, page, cookie=cookie, clients=clients, requests_per_client=per_client)
            bare = drive(bare_port, page, cookie=cookie, clients=clients, requests_per_client=per_client)
            failures += logged.failures + bare.failures
            served_logged += logged.requests - logged.failures
            logged_times.append(logged.seconds_per_request)
            bare_times.append(bare.seconds_per_request)
        measured_events = _events_of(user) - before
    if failures:
        raise RuntimeError(f"{failures} requests to {page} did not answer 200 (see {logs})")
    expected = rounds * clients * per_client
    if measured_events != expected or _events_of(user) != served_logged:
        raise RuntimeError(
            f"the logging server wrote {measured_events} access events for {expected} pages served "
            f"(and {_events_of(user)} in all for {served_logged}); the bare server must write none"
        )
    logged_s = statistics.median(logged_times)
    bare_s = statistics.median(bare_times)
    ratio = logged_s / bare_s
    return [
        Result(
            name="client page with access logging vs. logging switched off, time per request",
            measured=round(ratio, 3),
            target=TARGET,
            ok=meets(ratio, TARGET),
            baseline=(
                f"same page (/staff/clients/<id>/, access layer + decryption), same gunicorn (2 workers x 4 "
                f"threads), FIRMPORTAL_ACCESS_LOG_ENABLED=0: {bare_s * 1000:.2f} ms/request vs. "
                f"{logged_s * 1000:.2f} ms/request logged"
            ),
            notes=(
                f"{clients} concurrent keep-alive clients x {per_client} requests, median of {rounds} interleaved "
                f"rounds, {ctx.engine}; exactly one access event per page served was checked "
                f"({measured_events} events). If missing: write the event with a single INSERT without "
                "RETURNING, or batch the row into the request's own transaction."
            ),
        )
    ]
