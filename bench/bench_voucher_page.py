"""The cost of the access layers on a voucher page, through real gunicorn (issue 4).

"A voucher page with permission check, decryption and access logging: at least 0.6x the throughput
of the same page with those layers switched off (measured through the real WSGI stack)."

One gunicorn (bench.settings_voucher_baseline: FirmPortal's settings and URLs plus one baseline
URL) serves both pages to a signed-in bookkeeper assigned to the client:
- the real page, `clients:voucher-detail`: access layer (assignment, object permission, NDA and
  training gate), decryption of every confidential value, one AccessEvent written per request;
- the baseline (bench/voucher_baseline.py): the same rows, queries for them, template and
  middleware, with no access check, the plaintext kept in memory instead of decrypting, and no
  access event.
Before measuring, the two pages are checked to render the same HTML (apart from the CSRF token).
The ratio is throughput, real over baseline; concurrent keep-alive clients, interleaved rounds.
"""

from __future__ import annotations

import datetime
import difflib
import http.client
import re
import statistics
import uuid
from typing import Any

from bench import Context, Result
from bench.support import child_env, drive, gunicorn

TARGET = "≥ 0.6"
LINES = 10  # a rich but ordinary voucher: five debit and five credit lines


def _world() -> tuple[Any, Any, Any]:
    """A client with one posted voucher of LINES lines (a sub-account among them) and its bookkeeper."""
    from accounts.models import StaffRole
    from clients import services
    from clients.chart import ensure_standard_chart
    from clients.models import Account, TaxpayerType
    from confidentiality import access_services
    from confidentiality.models import AssignmentRole
    from tests import cast

    ensure_standard_chart()
    tag = uuid.uuid4().hex[:8]
    manager = cast.make_staff(f"bench_mgr_{tag}", StaffRole.MANAGER)
    bookkeeper = cast.make_staff(f"bench_bk_{tag}", StaffRole.BOOKKEEPER)
    reviewer = cast.make_staff(f"bench_rv_{tag}", StaffRole.REVIEWER)
    client = services.create_client(
        name="上海基准凭证页面有限公司",
        credit_code="91350100M000100Y43",
        taxpayer_type=TaxpayerType.GENERAL,
        address="上海市静安区基准路1号",
        contacts=[{"name": "钱会计", "role": "finance", "phone": "13800000001", "email": ""}],
        bank_accounts=[{"bank": "招商银行", "account_number": "6225880000009999"}],
        actor=manager,
    )
    for user, role in ((manager, AssignmentRole.MANAGER), (bookkeeper, AssignmentRole.BOOKKEEPER)):
        access_services.assign_staff(client=client, user=user, role=role, actor=manager)
    standard = {a.code: a for a in Account.objects.filter(client__isnull=True, code__in=["1002", "1122", "5001"])}
    customer = services.create_sub_account(client, parent=standard["1122"], name="上海某客户有限公司", actor=bookkeeper)
    lines = []
    for i in range(LINES // 2):
        amount = f"{1234.56 * (i + 1):.2f}"
        debit_account = customer if i % 2 else standard["1002"]
        lines.append(services.LineInput(account_id=debit_account.pk, summary=f"收到货款 第{i + 1}笔", debit=amount))
        lines.append(services.LineInput(account_id=standard["5001"].pk, summary=f"销售商品 第{i + 1}笔", credit=amount))
    voucher = services.create_voucher(client, date=datetime.date(2025, 3, 15), lines=lines, actor=bookkeeper)
    services.review_voucher(voucher, actor=reviewer)
    services.post_voucher(voucher, actor=manager)
    return client, voucher, bookkeeper


def _cookie(user: Any) -> str:
    from django.conf import settings

    from tests import cast

    return f"{settings.SESSION_COOKIE_NAME}={cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value}"


def _fetch(port: int, path: str, cookie: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return body


_VARYING = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": ?|nonce=)"?[^"\s>]+"?')


def _same_page(real: str, plain: str) -> bool:
    return _VARYING.sub("", real) == _VARYING.sub("", plain)


def run(ctx: Context) -> list[Result]:
    from django.urls import reverse

    from audit.models import AccessEvent

    client, voucher, bookkeeper = _world()
    cookie = _cookie(bookkeeper)
    real_path = reverse("clients:voucher-detail", args=[client.pk, voucher.pk])
    plain_path = f"/staff/bench/voucher-plain/{client.pk}/{voucher.pk}/"
    clients = ctx.size(8, 2)
    per_client = ctx.size(100, 5)
    rounds = ctx.size(3, 1)
    logs = ctx.scratch / "bench_voucher_page"
    real_times: list[float] = []
    plain_times: list[float] = []
    failures = 0
    with gunicorn(
        env=child_env(), log_path=logs / "gunicorn.log", settings_module="bench.settings_voucher_baseline"
    ) as port:
        events_before = AccessEvent.objects.filter(actor=bookkeeper).count()
        real_html = _fetch(port, real_path, cookie)
        plain_html = _fetch(port, plain_path, cookie).replace(plain_path, real_path)  # the language switch's "next"
        if "收到货款 第1笔" not in real_html or not _same_page(real_html, plain_html):
            diff = difflib.unified_diff(
                _VARYING.sub("", real_html).splitlines(), _VARYING.sub("", plain_html).splitlines(), lineterm="", n=0
            )
            raise RuntimeError(
                "the baseline does not render the same voucher page as the real view: " + " | ".join(list(diff)[:12])
            )
        if AccessEvent.objects.filter(actor=bookkeeper).count() != events_before + 1:
            raise RuntimeError("the real page must write exactly one access event per request, the baseline none")
        for path in (real_path, plain_path):  # warm both (every worker and thread)
            drive(port, path, cookie=cookie, clients=clients, requests_per_client=ctx.size(10, 2))
        for _ in range(rounds):
            real = drive(port, real_path, cookie=cookie, clients=clients, requests_per_client=per_client)
            plain = drive(port, plain_path, cookie=cookie, clients=clients, requests_per_client=per_client)
            failures += real.failures + plain.failures
            real_times.append(real.seconds_per_request)
            plain_times.append(plain.seconds_per_request)
    if failures:
        raise RuntimeError(f"{failures} requests did not answer 200 (see {logs})")
    real_s, plain_s = statistics.median(real_times), statistics.median(plain_times)
    ratio = plain_s / real_s  # throughput with the layers over throughput without them
    return [
        Result(
            name="voucher page with permission check, decryption and access logging vs. layers off, throughput",
            measured=round(ratio, 3),
            target=TARGET,
            ok=ratio >= 0.6,
            baseline=(
                f"same page, rows, template and gunicorn (2 workers x 4 threads), no access check, plaintext "
                f"in memory, no access event: {1 / plain_s:.0f} req/s vs. {1 / real_s:.0f} req/s with the layers"
            ),
            notes=(
                f"{LINES}-line posted voucher, {clients} concurrent keep-alive clients x {per_client} requests, "
                f"median of {rounds} interleaved rounds, {ctx.engine}; one AccessEvent per real request"
            ),
        )
    ]
