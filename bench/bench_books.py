"""Books: the trial balance over encrypted amounts, read from the per-period encrypted balances.

1. Trial balance of a client with 100k voucher lines (amounts encrypted) vs. a plaintext
   `SELECT account, SUM(debit), SUM(credit) … GROUP BY account` over the same 100k lines in a
   plaintext twin table created here. Target ≤ 1.0.
2. Flatness: the same trial balance at 100k lines vs. at 10k lines. Target ≤ 1.2.

The lines are bulk-inserted (encrypted by the fields, as the services write them) and the balance
rows are computed from them the way post_voucher maintains them; the services themselves are tested
in tests/test_books_services.py. Before timing, the run checks the trial balance equals the SQL sums.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bench import Context, Result, meets

ACCOUNTS: tuple[str, ...] = ("1001", "1002", "1122", "1123", "1221", "1405", "1601", "2202", "2211", "2221")
ACCOUNTS += ("2241", "3001", "5001", "5051", "5401", "5403", "5601", "5602", "5603", "5711")
TWIN = "bench_books_plain_lines"
YEAR = 2025


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    action()  # warm: key caches, database pages
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _books(n_lines: int, preparer: Any, reviewer: Any, seed: int) -> tuple[Any, dict[str, tuple[Decimal, Decimal]]]:
    """A client with n_lines posted lines across 12 months; returns it and the plaintext sums per account."""
    from clients.models import (
        ZERO,
        Account,
        AccountBalance,
        AccountingPeriod,
        Client,
        TaxpayerType,
        Voucher,
        VoucherLine,
        VoucherState,
    )

    rng = random.Random(seed)
    from clients.chart import ensure_standard_chart

    ensure_standard_chart()
    accounts = {a.code: a for a in Account.objects.filter(client__isnull=True, code__in=ACCOUNTS)}
    client = Client(name=f"基准客户{seed}", credit_code="91350100M000100Y43", taxpayer_type=TaxpayerType.GENERAL)
    client.save()
    periods = {m: AccountingPeriod.objects.create(client=client, year=YEAR, month=m) for m in range(1, 13)}
    now = datetime.datetime.now(datetime.UTC)
    moves: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    twin_rows: list[tuple[str, str, int, str, str | None, str | None]] = []
    per_voucher = 2
    vouchers: list[Voucher] = []
    lines: list[VoucherLine] = []
    for index in range(n_lines // per_voucher):
        month = index % 12 + 1
        amount = Decimal(rng.randint(100, 10_000_000)) / 100
        debit_code, credit_code = rng.sample(ACCOUNTS, 2)
        voucher = Voucher(
            client=client,
            period=periods[month],
            number=index // 12 + 1,
            date=datetime.date(YEAR, month, 1),
            fiscal_year=YEAR,
            state=VoucherState.POSTED,
            preparer=preparer,
            reviewer=reviewer,
            reviewed_at=now,
            poster=reviewer,
            posted_at=now,
            total=amount,
        )
        vouchers.append(voucher)
        for position, (code, side) in enumerate(((debit_code, "debit"), (credit_code, "credit")), start=1):
            lines.append(
                VoucherLine(
                    voucher=voucher,
                    client=client,
                    fiscal_year=YEAR,
                    position=position,
                    account=accounts[code],
                    side=side,
                    summary="基准摘要",
                    debit=amount if side == "debit" else None,
                    credit=amount if side == "credit" else None,
                )
            )
            moves[(code, month)][0 if side == "debit" else 1] += amount
            twin_rows.append(
                (
                    str(uuid.uuid4()),
                    str(client.pk),
                    YEAR * 100 + month,
                    code,
                    str(amount) if side == "debit" else None,
                    str(amount) if side == "credit" else None,
                )
            )
    Voucher.objects.bulk_create(vouchers, batch_size=2000)
    VoucherLine.objects.bulk_create(lines, batch_size=2000)
    balances = []
    for code in ACCOUNTS:
        running = ZERO
        total_debit = total_credit = ZERO
        for month in range(1, 13):
            debit, credit = moves.get((code, month), [ZERO, ZERO])
            if debit == ZERO and credit == ZERO:
                continue
            balances.append(
                AccountBalance(
                    client=client,
                    account=accounts[code],
                    period=periods[month],
                    fiscal_year=YEAR,
                    period_key=YEAR * 100 + month,
                    opening=running,
                    debit=debit,
                    credit=credit,
                    closing=running + debit - credit,
                )
            )
            running += debit - credit
            total_debit += debit
            total_credit += credit
        sums[code] = (total_debit, total_credit)
    AccountBalance.objects.bulk_create(balances, batch_size=2000)
    _insert_twin(twin_rows)
    return client, sums


def _create_twin() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TWIN}")
        cursor.execute(
            f"CREATE TABLE {TWIN} (id varchar(36) PRIMARY KEY, client_id varchar(36) NOT NULL, "
            "period_key integer NOT NULL, account_code varchar(16) NOT NULL, "
            "debit numeric(18, 2), credit numeric(18, 2))"
        )
        cursor.execute(f"CREATE INDEX {TWIN}_client ON {TWIN} (client_id, period_key)")


def _insert_twin(rows: list[tuple[str, str, int, str, str | None, str | None]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(f"INSERT INTO {TWIN} VALUES (%s, %s, %s, %s, %s, %s)", rows[start : start + 5000])  # noqa: S608


def _sql_sums(client_id: str) -> dict[str, tuple[Decimal, Decimal]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_code, SUM(debit), SUM(credit) FROM {TWIN} "  # noqa: S608
            "WHERE client_id = %s AND period_key BETWEEN %s AND %s GROUP BY account_code",
            [client_id, YEAR * 100 + 1, YEAR * 100 + 12],
        )
        return {
            code: (Decimal(str(d or 0)).quantize(Decimal("0.01")), Decimal(str(c or 0)).quantize(Decimal("0.01")))
            for code, d, c in cursor.fetchall()
        }


def run(ctx: Context) -> list[Result]:
    from django.db import connection

    from accounts.models import User, UserKind
    from clients import reports

    small, large = ctx.size(10_000, 1_000), ctx.size(100_000, 5_000)
    repeat = 3 if ctx.quick else 9
    tag = uuid.uuid4().hex[:8]
    preparer = User.objects.create_user(username=f"bench-books-p-{tag}", kind=UserKind.STAFF)
    reviewer = User.objects.create_user(username=f"bench-books-r-{tag}", kind=UserKind.STAFF)
    _create_twin()
    try:
        client_small, _ = _books(small, preparer, reviewer, seed=1)
        client_large, sums = _books(large, preparer, reviewer, seed=2)

        report = reports.trial_balance(client_large, year=YEAR)  # type: ignore[arg-type]
        got = {row.code: (row.debit, row.credit) for row in report.rows}
        if got != sums or _sql_sums(str(client_large.pk)) != sums:  # type: ignore[attr-defined]
            raise AssertionError("the trial balance does not equal the plaintext sums: benchmark data is wrong")

        tb_large = _median_seconds(lambda: reports.trial_balance(client_large, year=YEAR), repeat)  # type: ignore[arg-type]
        tb_small = _median_seconds(lambda: reports.trial_balance(client_small, year=YEAR), repeat)  # type: ignore[arg-type]
        sql_large = _median_seconds(lambda: _sql_sums(str(client_large.pk)), repeat)  # type: ignore[attr-defined]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TWIN}")

    ratio = tb_large / sql_large
    flat = tb_large / tb_small
    sizes = f"{large:,} lines, {len(ACCOUNTS)} accounts × 12 periods; {ctx.engine}"
    return [
        Result(
            name=f"trial balance over {large:,} encrypted lines vs. plaintext SUM … GROUP BY",
            measured=round(ratio, 3),
            target="≤ 1.0",
            ok=meets(ratio, "≤ 1.0"),
            baseline=f"plaintext twin table SUM/GROUP BY over the same lines ({sql_large * 1000:.1f} ms)",
            notes=f"{sizes}; trial balance {tb_large * 1000:.1f} ms, read from encrypted per-period balances. "
            "If missed: check the balance index (client, period_key) and that lines are not decrypted.",
        ),
        Result(
            name=f"trial balance flatness, {large:,} vs. {small:,} lines",
            measured=round(flat, 3),
            target="≤ 1.2",
            ok=meets(flat, "≤ 1.2"),
            baseline=f"the same trial balance at {small:,} lines ({tb_small * 1000:.1f} ms)",
            notes=f"{sizes}. Cost follows accounts × periods, not lines.",
        ),
    ]
