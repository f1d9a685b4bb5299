"""Retention: crypto-shredding cost independent of volume size; batched deletion vs. bare DELETE.

1. Making a client-year unreadable is destroying its one data key: the time for a client-year of
   100k voucher lines over the time for one of 100 lines (target ≤ 1.2).
2. Physical deletion by the destruction run (vouchers, their lines, object permissions, progress
   and lease bookkeeping, in short transactions) over a bare batched DELETE of the same number of
   rows in the same run (target ≥ 0.5), and the longest transaction of the run (must stay < 1 s).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal

from bench import Context, Result


def _client(name: str):  # type: ignore[no-untyped-def]
    from clients.models import Client

    client = Client(
        name=name,
        credit_code="91310000MA1FL0000X",
        taxpayer_type="small_scale",
        address="",
        contacts=[],
        bank_accounts=[],
    )
    client.save()
    return client


def _fill(client, year: int, lines: int, *, per_voucher: int = 4) -> None:  # type: ignore[no-untyped-def]
    from accounts.models import User
    from clients.models import Account, AccountingPeriod, Voucher, VoucherLine

    user = User.objects.filter(username="bench_preparer").first() or User.objects.create_user(
        username="bench_preparer", password=uuid.uuid4().hex, kind="staff"
    )
    debit, _ = Account.objects.get_or_create(
        client=None, code="1001", defaults={"name_zh": "库存现金", "category": "asset", "normal_side": "debit"}
    )
    credit, _ = Account.objects.get_or_create(
        client=None, code="6001", defaults={"name_zh": "主营业务收入", "category": "income", "normal_side": "credit"}
    )
    period = AccountingPeriod(client=client, year=year, month=12)
    period.save()
    vouchers = [
        Voucher(
            client=client,
            period=period,
            number=n + 1,
            date=dt.date(year, 12, 1),
            fiscal_year=year,
            total=Decimal("1.00"),
            preparer=user,
        )
        for n in range(max(1, lines // per_voucher))
    ]
    Voucher.objects.bulk_create(vouchers, batch_size=2000)
    rows = []
    for voucher in vouchers:
        for position in range(1, per_voucher + 1):
            is_debit = position % 2 == 1
            rows.append(
                VoucherLine(
                    voucher=voucher,
                    client=client,
                    fiscal_year=year,
                    position=position,
                    account=debit if is_debit else credit,
                    side="debit" if is_debit else "credit",
                    summary="bench",
                    debit=Decimal("1.00") if is_debit else None,
                    credit=None if is_debit else Decimal("1.00"),
                )
            )
            if len(rows) >= 5000:
                VoucherLine.objects.bulk_create(rows)
                rows = []
    if rows:
        VoucherLine.objects.bulk_create(rows)


def _time_shred(client, year: int) -> float:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from confidentiality import crypto
    from confidentiality.keyscope import KeyScope
    from retention import shredding

    scope = KeyScope.for_client(client.pk, year, category="journal_voucher")
    crypto.reset_caches()
    started = time.perf_counter()
    with transaction.atomic():
        shredding.destroy_scope(scope)
    return time.perf_counter() - started


def _bench_shredding(ctx: Context) -> Result:
    big_lines = ctx.size(100_000, 2_000)
    rounds = ctx.size(4, 2)
    big: list[float] = []
    small: list[float] = []
    for n in range(rounds):
        client = _client(f"bench-big-{n}")
        _fill(client, 2000 + n, big_lines)
        other = _client(f"bench-small-{n}")
        _fill(other, 2000 + n, 100)
        warm = _client(f"bench-warm-{n}")
        _fill(warm, 2000 + n, 4)
        _time_shred(warm, 2000 + n)  # settles the database after the bulk inserts
        # Alternate which goes first, so neither always pays for the other's aftermath.
        pair = [(client, big), (other, small)] if n % 2 else [(other, small), (client, big)]
        for owner, times in pair:
            times.append(_time_shred(owner, 2000 + n))
    ratio = min(big) / min(small)
    return Result(
        name=f"making a client-year unreadable (key destruction), {big_lines:,} lines vs. 100 lines",
        measured=round(ratio, 3),
        target="≤ 1.2",
        ok=ratio <= 1.2,
        baseline=f"same operation on a client-year of 100 voucher lines: {min(small) * 1000:.2f} ms (best of {rounds})",
        notes=f"{min(big) * 1000:.2f} ms for {big_lines:,} lines; destruction touches keys, never rows",
    )


def _bench_deletion(ctx: Context) -> list[Result]:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from clients.models import Voucher, VoucherLine
    from retention import services
    from retention.models import AppraisalBatch, AppraisalItem, DestructionList, DestructionRun, VolumeProgress

    lines = ctx.size(40_000, 2_000)
    from django.conf import settings

    batch_size = int(settings.FIRMPORTAL_RETENTION_BATCH_SIZE)  # vouchers per transaction, with their lines
    bare_client, run_client = _client("bench-del-bare"), _client("bench-del-run")
    _fill(bare_client, 2010, lines)
    _fill(run_client, 2010, lines)
    rows_each = (
        Voucher.objects.filter(client=bare_client).count() + VoucherLine.objects.filter(client=bare_client).count()
    )

    # Baseline: bare batched DELETE of the same rows (lines, then vouchers), same batch size.
    started = time.perf_counter()
    voucher_ids = list(Voucher.objects.filter(client=bare_client).order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(voucher_ids), batch_size):
        chunk = voucher_ids[i : i + batch_size]
        with transaction.atomic():
            VoucherLine.objects.filter(voucher_id__in=chunk)._raw_delete(connection.alias)  # type: ignore[attr-defined]
            Voucher.objects.filter(pk__in=chunk)._raw_delete(connection.alias)  # type: ignore[attr-defined]
    bare_seconds = time.perf_counter() - started

    user = User.objects.filter(username="bench_preparer").get()
    batch = AppraisalBatch.objects.create(number=f"BENCH-{uuid.uuid4().hex[:8]}", as_of=timezone.localdate())
    item = AppraisalItem.objects.create(
        batch=batch,
        client_id=run_client.pk,
        category="journal_voucher",
        fiscal_year=2010,
        scope_owner=f"client:{run_client.pk}#journal_voucher",
        scope_year=2010,
        source="clients.voucher",
        record_count=lines,
        period_years=30,
        retention_end=dt.date(2040, 12, 31),
        decision="destroy",
    )
    dlist = DestructionList.objects.create(
        batch=batch, number=f"BENCH-{uuid.uuid4().hex[:8]}", prepared_by=user, state="executing"
    )
    token = uuid.uuid4()
    run = DestructionRun.objects.create(
        destruction_list=dlist, lease_token=token, lease_until=timezone.now() + dt.timedelta(hours=1)
    )
    progress = VolumeProgress.objects.create(run=run, item=item, key_destroyed_at=timezone.now())
    timings: list[float] = []
    started = time.perf_counter()
    services._delete_rows(item, progress, run=run, token=token, batch_size=batch_size, pause=0, timings=timings)
    run_seconds = time.perf_counter() - started
    assert not Voucher.objects.filter(client=run_client).exists()
    ratio = (rows_each / run_seconds) / (rows_each / bare_seconds)
    longest = max(timings)
    return [
        Result(
            name="physical deletion by the destruction run vs. bare batched DELETE (rows/s)",
            measured=round(ratio, 3),
            target="≥ 0.5",
            ok=ratio >= 0.5,
            baseline=(
                f"bare DELETE of {rows_each:,} rows in batches of {batch_size} vouchers: "
                f"{rows_each / bare_seconds:,.0f} rows/s"
            ),
            notes=f"run: {rows_each / run_seconds:,.0f} rows/s over {len(timings)} transactions",
        ),
        Result(
            name="longest transaction (lock holding) of the destruction run, seconds",
            measured=round(longest, 3),
            target="≤ 1.0",
            ok=longest <= 1.0,
            baseline=f"{len(timings)} transactions of ≤ {batch_size} vouchers with their lines",
            notes="lower FIRMPORTAL_RETENTION_BATCH_SIZE if this misses",
        ),
    ]


def _ensure_keyring() -> None:
    """The bench run's own master keyring and keystore (the runner's var/bench may lack them)."""
    from django.core.management import call_command

    from confidentiality import crypto

    call_command("init_keyring", "--if-missing", verbosity=0)
    crypto.reset_caches()


def run(ctx: Context) -> list[Result]:
    _ensure_keyring()
    return [_bench_shredding(ctx), *_bench_deletion(ctx)]
