"""The canary from the encryption issue never reaches any audit table, in any form."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.core import serializers

from accounts.models import User
from audit import sealing
from audit import services as audit
from audit.models import AccessEvent, AuditAction, AuditEvent, SealBlock
from clients.models import Client, ClientMembership, ClientRole, TaxpayerType

pytestmark = pytest.mark.django_db

CANARY = "上海测试贸易有限公司-canary-7f3a"
CREDIT = "91310000MA1FL0CANA"


def _everything_in_audit_tables() -> str:
    dumped = serializers.serialize(
        "json",
        [*AuditEvent.objects.all(), *AccessEvent.objects.all(), *LogEntry.objects.all()],
    )
    return dumped + json.dumps(list(LogEntry.objects.values_list("object_repr", "changes_text")))


def test_client_changes_are_logged_without_the_canary(bookkeeper_alice: User, client_a_owner: User) -> None:
    client = Client.objects.create(name=CANARY, credit_code=CREDIT, taxpayer_type=TaxpayerType.GENERAL)
    client.name = CANARY + "-renamed"
    client.save()
    ClientMembership.objects.create(client=client, user=client_a_owner, role=ClientRole.OWNER)
    audit.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED, target=client, client_ref=str(client.pk))
    entries = list(LogEntry.objects.get_for_object(client).order_by("id"))
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes_dict["name"] == ["[redacted]", "[redacted]"]
    assert "credit_code" not in entries[1].changes_dict  # unchanged: not mentioned
    text = _everything_in_audit_tables()
    for secret in (CANARY, "canary-7f3a", CREDIT, json.dumps(CANARY)[1:-1]):
        assert secret not in text
    sealing.seal()
    blobs = b"".join(bytes(block.entry_ids) + bytes(block.entry_hashes) for block in SealBlock.objects.all())
    assert CANARY.encode() not in blobs
