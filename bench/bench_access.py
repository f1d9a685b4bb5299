"""The cost of permission filtering on a staff member's client list (issue 4).

10,000 clients, 1,000 of them assigned to one bookkeeper. The page under test is the real
"my clients" view (`confidentiality.access_views.my_clients`: gate, live assignments and grants,
object-permission rows). The baseline renders the same template with 1,000 clients taken with no
permission filtering at all. Both decrypt the 1,000 names the same way. Measured at the view (the
middleware is the same for both and would only dilute the ratio), interleaved rounds, medians.
The query count of the filtered page is measured at two list sizes and must not grow.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

from bench import Context, Result

TARGET = "≤ 1.5"


def _populate(total: int, assigned: int) -> tuple[Any, list[Any]]:
    from django.utils import timezone

    from clients.models import Client, TaxpayerType

    user = _staff_user()
    now = timezone.now()
    clients: list[Any] = []
    for start in range(0, total, 1000):
        batch = [
            Client(
                name=f"上海基准测试第{i}号有限公司",
                credit_code="91310000MA1FL0000X",
                taxpayer_type=TaxpayerType.SMALL_SCALE,
                created_at=now - timedelta(seconds=total - i),
            )
            for i in range(start, min(total, start + 1000))
        ]
        Client.objects.bulk_create(batch)
        clients += batch
    # Spread the assigned clients over the whole table, as in a real firm.
    step = max(1, total // assigned)
    mine = clients[::step][:assigned]
    _assign(user, mine)
    return user, mine


def _staff_user() -> Any:
    from accounts.models import StaffRole
    from tests import cast

    return cast.make_staff(f"bench_bk_{uuid.uuid4().hex[:8]}", StaffRole.BOOKKEEPER)


def _assign(user: Any, clients: list[Any]) -> None:
    """Bulk inserts stand in for `assign_staff` per client: the same rows, written faster."""
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from confidentiality.models import ROLE_PERMISSIONS, Assignment, AssignmentRole, ClientUserObjectPermission

    perms = list(
        Permission.objects.filter(
            content_type__app_label="clients", codename__in=ROLE_PERMISSIONS[AssignmentRole.BOOKKEEPER]
        )
    )
    now = timezone.now()
    Assignment.objects.bulk_create(
        [Assignment(client=c, user=user, role=AssignmentRole.BOOKKEEPER, starts_at=now) for c in clients]
    )
    ClientUserObjectPermission.objects.bulk_create(
        [ClientUserObjectPermission(user=user, content_object=c, permission=p) for c in clients for p in perms]
    )


def _request(user_id: int) -> Any:
    from django.test import RequestFactory

    from accounts.models import User

    request = RequestFactory().get("/staff/access/clients/")
    user = User.objects.get(pk=user_id)
    user.is_verified = lambda: True  # type: ignore[attr-defined]  # as django-otp's middleware after 2FA
    request.user = user
    return request


def _filtered(user_id: int) -> Any:
    from confidentiality.access_views import my_clients

    response = my_clients(_request(user_id))
    assert response.status_code == 200, response.status_code
    return response


def _unfiltered(user_id: int, count: int) -> Any:
    from django.shortcuts import render

    from clients.models import Client

    request = _request(user_id)
    rows = [(client, ["bookkeeper"], False) for client in Client.objects.order_by("created_at")[:count]]
    return render(request, "confidentiality/access/my_clients.html", {"rows": rows})


def _queries(user_id: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _filtered(user_id)
    return len(captured)


def _time(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run(ctx: Context) -> list[Result]:
    total = ctx.size(10_000, 300)
    assigned = ctx.size(1_000, 30)
    rounds = ctx.size(7, 2)
    user, mine = _populate(total, assigned)

    # Constant query count: the same page with a tenth of the clients must cost the same queries.
    small_user = _staff_user()
    _assign(small_user, mine[: max(1, assigned // 10)])
    queries_big, queries_small = _queries(user.pk), _queries(small_user.pk)

    for _ in range(2):  # warm both
        _filtered(user.pk)
        _unfiltered(user.pk, assigned)
    filtered: list[float] = []
    unfiltered: list[float] = []
    for _ in range(rounds):
        filtered.append(_time(_filtered, user.pk))
        unfiltered.append(_time(_unfiltered, user.pk, assigned))
    f, u = statistics.median(filtered), statistics.median(unfiltered)
    ratio = f / u
    constant = queries_big == queries_small
    return [
        Result(
            name=f"staff client list, {assigned:,} assigned among {total:,}: permission-filtered vs. unfiltered",
            measured=round(ratio, 3),
            target=TARGET,
            ok=ratio <= 1.5 and constant,
            baseline=(
                f"same template listing {assigned:,} clients with no permission filtering: "
                f"{u * 1000:.1f} ms vs. {f * 1000:.1f} ms filtered"
            ),
            notes=(
                f"queries: {queries_big} at {assigned:,} clients, {queries_small} at {max(1, assigned // 10):,} "
                f"({'constant' if constant else 'NOT constant'}); median of {rounds} interleaved rounds, "
                f"{ctx.engine}. If missed: check the indexes on confidentiality_assignment(user, ended_at) and "
                f"the guardian table's (user, permission) lookups."
            ),
        )
    ]
