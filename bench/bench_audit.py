"""The audit trail: sealing throughput, and how verify_audit's time grows with the trail.

1. Sealing: N fresh access events are sealed (canonical hash of every entry, blocks, Ed25519
   signatures, in one transaction); the rate is compared with the 20,000 entries/s the issue asks.
2. Verification: verify_audit's time per entry over N entries against its time per entry over N/10
   (1,000,000 and 100,000 in a full run). Linear growth means a ratio near 1; the target is ≤ 1.2.

The page-view-with-access-logging ratio is bench/bench_access_log.py (through gunicorn).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from bench import Context, Result, meets

SEAL_TARGET_RATE = 20_000


@contextmanager
def _isolated_keys(ctx: Context) -> Iterator[None]:
    from audit.keys import generate_key_file

    directory = ctx.scratch / "bench_audit"
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "signing-key.pem"
    if not key.exists():
        generate_key_file(key)
    with override_settings(
        FIRMPORTAL_AUDIT_SIGNING_KEY_FILE=str(key), FIRMPORTAL_AUDIT_HEAD_FILE=str(directory / "seal-head.json")
    ):
        yield


def _insert_access_events(count: int) -> None:
    """Realistic rows: a staff member's reads of many clients, with purposes and request ids."""
    from audit.models import AccessEvent

    start = timezone.now() - timedelta(days=30)
    batch: list[AccessEvent] = []
    for n in range(count):
        batch.append(
            AccessEvent(
                occurred_at=start + timedelta(milliseconds=n),
                actor_label=f"bookkeeper_{n % 50}",
                actor_role="bookkeeper",
                client_ref=f"client-{n % 997:04d}",
                action="view" if n % 7 else "list",
                object_type="clients.voucher",
                object_ids=[str(n), str(n + 1), str(n + 2)],
                purpose="月末结账" if n % 3 == 0 else "",
                path_name="clients:voucher-detail",
                request_id=f"{n:032x}",
                ip_address="10.0.0.12",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
            )
        )
        if len(batch) == 5000:
            AccessEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        AccessEvent.objects.bulk_create(batch)


def _seal_everything() -> float:
    from audit import sealing

    started = time.perf_counter()
    report = sealing.seal(wait_seconds=30)
    if report.skipped_reason:
        raise RuntimeError(f"sealing postponed: {report.skipped_reason}")
    return time.perf_counter() - started


def _timed_verify(repeats: int) -> tuple[float, int]:
    """The best of `repeats` runs (small sizes are noisy on a shared machine)."""
    from audit import sealing

    best = float("inf")
    entries = 0
    for _ in range(repeats):
        started = time.perf_counter()
        report = sealing.verify()
        best = min(best, time.perf_counter() - started)
        if not report.ok:
            raise RuntimeError(f"verification failed: {report.first.describe() if report.first else report}")
        entries = report.entries
    return best, entries


def run(ctx: Context) -> list[Result]:
    results: list[Result] = []
    with _isolated_keys(ctx):
        _seal_everything()  # whatever was there before is not part of the measurement

        # 1. Sealing throughput.
        seal_n = ctx.size(100_000, 2_000)
        _insert_access_events(seal_n)
        seconds = _seal_everything()
        rate = seal_n / seconds
        ratio = rate / SEAL_TARGET_RATE
        results.append(
            Result(
                name="sealing throughput vs. 20,000 entries/s",
                measured=round(ratio, 3),
                target="≥ 1.0",
                ok=meets(ratio, "≥ 1.0"),
                baseline=f"20,000 entries/s (measured {rate:,.0f} entries/s)",
                notes=(
                    f"{seal_n:,} access events sealed in one run ({ctx.engine}); canonical JSON + SHA-256 per "
                    "entry, Ed25519 per block of 10,000. If missing: larger blocks, or read rows as tuples "
                    "without Django's converters."
                ),
            )
        )

        # 2. verify_audit: time per entry at N against N/10.
        total = ctx.size(1_000_000, 20_000)
        small = total // 10
        from audit.models import AccessEvent

        existing = AccessEvent.objects.count()
        if existing < small:
            _insert_access_events(small - existing)
            _seal_everything()
        small_seconds, small_entries = _timed_verify(ctx.size(1, 3))
        existing = AccessEvent.objects.count()
        _insert_access_events(max(total - existing, 0))
        _seal_everything()
        large_seconds, large_entries = _timed_verify(ctx.size(1, 3))
        per_small = small_seconds / small_entries
        per_large = large_seconds / large_entries
        growth = per_large / per_small
        results.append(
            Result(
                name=f"verify_audit time per entry at {large_entries:,} entries vs. at {small_entries:,}",
                measured=round(growth, 3),
                target="≤ 1.2",
                ok=meets(growth, "≤ 1.2"),
                baseline=(
                    f"verify_audit over {small_entries:,} entries in the same run "
                    f"({small_seconds:.2f} s; {large_seconds:.2f} s at {large_entries:,})"
                ),
                notes=(
                    f"{ctx.engine}; linear means ≈ 1. verify streams entries in id order beside their blocks, "
                    "so memory stays flat. If missing: look for a per-block query that grew an index scan."
                ),
            )
        )
    return results
