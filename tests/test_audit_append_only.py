"""The database itself refuses to change or remove audit rows: the application has no path to do it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit import services as audit
from audit.db import PROTECTED_TABLES, missing_triggers
from audit.models import AccessEvent, AuditAction, AuditEvent, SealBlock

pytestmark = pytest.mark.django_db


def _refused(action) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def test_triggers_are_installed_on_every_audit_table() -> None:
    assert missing_triggers(connection) == []
    assert "auditlog_logentry" in PROTECTED_TABLES


def test_audit_event_cannot_be_updated_or_deleted(bookkeeper_alice: User) -> None:
    event = audit.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED, target=bookkeeper_alice)
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="nothing_happened"))
    event.details = {"edited": True}
    _refused(event.save)
    _refused(event.delete)
    _refused(lambda: AuditEvent.objects.all().delete())
    event.refresh_from_db()
    assert event.action == AuditAction.USER_CREATED
    assert event.details == {}


def test_access_event_cannot_be_updated_or_deleted(bookkeeper_alice: User) -> None:
    event = AccessEvent.objects.create(actor=bookkeeper_alice, action="view", client_ref="c-1")
    _refused(lambda: AccessEvent.objects.filter(pk=event.pk).update(client_ref="c-2"))
    _refused(event.delete)

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_accessevent SET purpose = 'x' WHERE id = %s", [event.pk])

    _refused(raw_update)
    assert AccessEvent.objects.get(pk=event.pk).client_ref == "c-1"


def test_change_log_entries_cannot_be_updated_or_deleted(bookkeeper_alice: User) -> None:
    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(bookkeeper_alice.pk),
        object_repr="x",
        action=LogEntry.Action.UPDATE,
    )
    _refused(lambda: LogEntry.objects.filter(pk=entry.pk).update(object_repr="y"))
    _refused(entry.delete)


def test_seal_blocks_cannot_be_updated_or_deleted() -> None:
    block = SealBlock.objects.create(
        seq=999_999,
        source="access",
        first_id=1,
        last_id=1,
        entry_count=1,
        entry_ids=b"\0" * 8,
        entry_hashes=b"\0" * 32,
        prev_hash="0" * 64,
        block_hash="0" * 64,
        key_id="k",
        signature="s",
    )
    _refused(lambda: SealBlock.objects.filter(pk=block.pk).update(signature="forged"))
    _refused(block.delete)


@pytest.mark.django_db(transaction=True)
def test_flush_empties_audit_tables_and_leaves_triggers_in_place(bookkeeper_alice: User) -> None:
    audit.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert missing_triggers(connection) == []
