"""The sealed hash chain: verify_audit names the first bad entry after any direct tampering."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from audit import sealing, services
from audit.db import install_triggers, remove_triggers
from audit.models import AccessEvent, Alert, AlertKind, AuditAction, AuditEvent, SealBlock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def head_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "seal-head.json"
    with override_settings(FIRMPORTAL_AUDIT_HEAD_FILE=str(path)):
        yield path


@pytest.fixture
def seal(django_capture_on_commit_callbacks) -> Callable[..., sealing.SealReport]:  # type: ignore[no-untyped-def]
    def run(**kwargs: object) -> sealing.SealReport:
        with django_capture_on_commit_callbacks(execute=True):
            return sealing.seal(**kwargs)  # type: ignore[arg-type]

    return run


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Change the database the way a superuser would: with the append-only triggers off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(sql, params or [])
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            remove_triggers(connection)
            try:
                cursor.execute(sql, params or [])
            finally:
                install_triggers(connection)


def _access(pk: int, actor: User | None = None, client_ref: str = "client-1") -> AccessEvent:
    return AccessEvent.objects.create(pk=pk, actor=actor, actor_label="alice", action="view", client_ref=client_ref)


@pytest.fixture
def sealed_trail(bookkeeper_alice: User, seal) -> list[int]:  # type: ignore[no-untyped-def]
    """Access events with ids 10, 20, ..., 100 and a few domain events, all sealed (blocks of 4)."""
    ids = [10 * n for n in range(1, 11)]
    for pk in ids:
        _access(pk, bookkeeper_alice)
    services.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED, details={"n": 1})
    report = seal(block_size=4)
    assert report.entries >= 11
    return ids


def _first_bad() -> str:
    report = sealing.verify()
    assert not report.ok
    assert report.first is not None
    return report.first.describe()


def test_intact_trail_verifies(sealed_trail: list[int], head_file: Path) -> None:
    report = sealing.verify()
    assert report.ok, report.first
    assert report.blocks == SealBlock.objects.count() >= 4
    assert report.unsealed == 0
    head = json.loads(head_file.read_text())
    assert head["seq"] == SealBlock.objects.order_by("-seq").first().seq  # type: ignore[union-attr]
    call_command("verify_audit")


def test_new_entries_are_sealed_into_later_blocks_and_chain(sealed_trail: list[int], seal) -> None:  # type: ignore[no-untyped-def]
    before = SealBlock.objects.count()
    _access(110)
    assert sealing.verify().unsealed == 1
    report = seal()
    assert report.entries == 1
    blocks = list(SealBlock.objects.order_by("seq"))
    assert len(blocks) == before + 1
    assert blocks[-1].prev_hash == blocks[-2].block_hash
    assert sealing.verify().ok
    assert seal().entries == 0  # nothing new: no empty block


def test_modified_entry_is_named(sealed_trail: list[int]) -> None:
    tamper("UPDATE audit_accessevent SET client_ref = 'someone-else' WHERE id = %s", [50])
    assert _first_bad() == "access #50: modified or reordered: differs from its seal"
    with pytest.raises(CommandError, match="FIRST BAD ENTRY: access #50"):
        call_command("verify_audit")


def test_deleted_entry_is_named(sealed_trail: list[int]) -> None:
    tamper("DELETE FROM audit_accessevent WHERE id = %s", [70])
    assert _first_bad() == "access #70: deleted: sealed but missing"


def test_inserted_entry_is_named(sealed_trail: list[int]) -> None:
    # An insert needs no trigger bypass: it is the seal that catches it.
    _access(35)
    assert _first_bad() == "access #35: inserted: not in the sealed chain"


def test_reordered_entries_are_named(sealed_trail: list[int]) -> None:
    tamper("UPDATE audit_accessevent SET id = 999 WHERE id = 30")
    tamper("UPDATE audit_accessevent SET id = 30 WHERE id = 40")
    tamper("UPDATE audit_accessevent SET id = 40 WHERE id = 999")
    tamper("UPDATE audit_accessevent SET occurred_at = %s WHERE id = 40", [timezone.now()])
    assert _first_bad() == "access #30: modified or reordered: differs from its seal"


def test_swapping_only_timestamps_is_detected(sealed_trail: list[int]) -> None:
    earlier = AccessEvent.objects.get(pk=20).occurred_at
    later = AccessEvent.objects.get(pk=60).occurred_at
    tamper("UPDATE audit_accessevent SET occurred_at = %s WHERE id = 20", [later])
    tamper("UPDATE audit_accessevent SET occurred_at = %s WHERE id = 60", [earlier])
    assert _first_bad().startswith("access #20: modified")


def test_cut_off_sealed_tail_is_named(sealed_trail: list[int]) -> None:
    last = SealBlock.objects.filter(source="access").order_by("-seq").first()
    assert last is not None
    # Remove the last access blocks (and everything chained after them) and their entries.
    tamper("DELETE FROM audit_sealblock WHERE seq >= %s", [last.seq])
    tamper("DELETE FROM audit_accessevent WHERE id >= %s", [last.first_id])
    assert sealing.verify().first is not None
    previous = SealBlock.objects.filter(source="access").order_by("-seq").first()
    assert previous is not None
    assert _first_bad() == (
        f"access: sealed tail cut off: entries after #{previous.last_id} up to #100 gone "
        f"(blocks {last.seq}..{_head_seq()} missing)"
    )


def test_cut_off_blocks_with_entries_kept_are_named(sealed_trail: list[int]) -> None:
    last = SealBlock.objects.filter(source="access").order_by("-seq").first()
    assert last is not None
    tamper("DELETE FROM audit_sealblock WHERE seq >= %s", [last.seq])
    assert _first_bad().startswith(f"access #{last.first_id}: sealed tail cut off: its block is gone")


def _head_seq() -> int:
    head = sealing.read_head()
    assert head is not None
    return int(head["seq"])


def test_altered_block_is_detected(sealed_trail: list[int]) -> None:
    block = SealBlock.objects.order_by("seq")[1]
    tamper("UPDATE audit_sealblock SET signature = %s WHERE seq = %s", ["00" * 64, block.seq])
    assert "signature invalid" in _first_bad()


def test_failed_verification_raises_one_integrity_alert(sealed_trail: list[int], compliance_officer: User) -> None:
    tamper("UPDATE audit_accessevent SET purpose = 'covering tracks' WHERE id = %s", [20])
    for _ in range(2):
        report = services.verify_audit_trail(actor=None)
        assert not report.ok
    alerts = Alert.objects.filter(kind=AlertKind.AUDIT_INTEGRITY)
    assert alerts.count() == 1
    assert alerts.get().facts["first_bad_entry"].startswith("access #20")
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_VERIFY_FAILED).count() == 2


def test_change_log_and_domain_events_are_sealed_too(bookkeeper_alice: User, seal) -> None:  # type: ignore[no-untyped-def]
    bookkeeper_alice.first_name = "Alice"
    bookkeeper_alice.save()
    services.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED)
    seal()
    assert set(SealBlock.objects.values_list("source", flat=True)) >= {"changelog", "domain"}
    tamper("UPDATE auditlog_logentry SET changes_text = 'x' WHERE id = (SELECT max(id) FROM auditlog_logentry)")
    assert "changelog #" in _first_bad()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent transactions need PostgreSQL")
def test_sealing_waits_for_transactions_that_may_still_add_smaller_ids(seal) -> None:  # type: ignore[no-untyped-def]
    import psycopg2

    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    )
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_accessevent (occurred_at, actor_label, actor_role, client_ref, action, object_type, "
                "object_ids, purpose, path_name, request_id, user_agent) "
                "VALUES (now(), 'slow', '', 'c', 'view', '', '[]', '', '', '', '') RETURNING id"
            )
            slow_id = cursor.fetchone()[0]
        _access(slow_id + 100)  # a later id, committed first (here: in the test's transaction)
        assert seal(wait_seconds=0.2).skipped_reason
        other.commit()
        report = seal(wait_seconds=0.2)
        assert not report.skipped_reason
        assert sealing.verify().ok
        assert AccessEvent.objects.filter(pk=slow_id).exists()
    finally:
        other.close()
        tamper("DELETE FROM audit_accessevent WHERE actor_label = 'slow'")
