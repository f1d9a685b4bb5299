"""The change log: people, roles and object permissions are tracked; encrypted fields never show."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.shortcuts import assign_perm

from accounts.models import StaffRole, User
from audit import changelog
from audit.context import acting_as
from firmportal.logging import request_id_var

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a-身份证-110101199003077777"


def _entries_for(obj: object) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("id"))


def test_user_changes_are_logged_without_password(bookkeeper_alice: User) -> None:
    bookkeeper_alice.email = "alice@new.test"
    bookkeeper_alice.set_password("Another-Long-Passw0rd!")
    bookkeeper_alice.save()
    entry = _entries_for(bookkeeper_alice)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert "email" in entry.changes_dict
    assert "password" not in entry.changes_dict
    assert "argon2" not in json.dumps(entry.changes)


def test_role_membership_changes_are_logged(bookkeeper_alice: User) -> None:
    reviewers = Group.objects.get(name=StaffRole.REVIEWER)
    bookkeeper_alice.groups.add(reviewers)
    entry = _entries_for(bookkeeper_alice)[-1]
    assert entry.changes["groups"]["type"] == "m2m"
    assert entry.changes["groups"]["objects"] == [StaffRole.REVIEWER]


def test_group_permission_changes_are_logged() -> None:
    group = Group.objects.create(name="temporary")
    group.permissions.add(Permission.objects.get(codename="view_compliance_desk"))
    assert _entries_for(group)[-1].changes["permissions"]["operation"] == "add"


def test_object_permission_grants_are_logged(bookkeeper_alice: User) -> None:
    group = Group.objects.create(name="some-object")
    assign_perm("auth.change_group", bookkeeper_alice, group)
    content_type = ContentType.objects.get(app_label="guardian", model="userobjectpermission")
    assert LogEntry.objects.filter(content_type=content_type, action=LogEntry.Action.CREATE).exists()


def test_correlation_id_is_the_server_request_id(bookkeeper_alice: User) -> None:
    token = request_id_var.set("abc123server")
    try:
        bookkeeper_alice.first_name = "Alice"
        bookkeeper_alice.save()
    finally:
        request_id_var.reset(token)
    assert _entries_for(bookkeeper_alice)[-1].cid == "abc123server"


def test_correlation_id_is_not_taken_from_a_request_header(bookkeeper_alice: User, partner: User) -> None:
    from tests import cast

    http = cast.signed_in(partner)
    response = http.get("/staff/", HTTP_X_CORRELATION_ID="attacker-chosen")
    assert response.status_code == 200
    assert not LogEntry.objects.filter(cid="attacker-chosen").exists()


def test_acting_as_sets_the_actor_in_jobs(bookkeeper_alice: User, firm_admin: User) -> None:
    with acting_as(firm_admin):
        bookkeeper_alice.last_name = "Li"
        bookkeeper_alice.save()
    entry = _entries_for(bookkeeper_alice)[-1]
    assert entry.actor == firm_admin
    assert entry.cid  # a fresh correlation id for the job


def test_encrypted_fields_never_reach_the_change_log(bookkeeper_alice: User) -> None:
    # Register User as if display_name and email were encrypted fields, then restore.
    changelog.register(User, encrypted_fields=["display_name", "email"], exclude_fields=["password"])
    try:
        bookkeeper_alice.display_name = CANARY
        bookkeeper_alice.email = "canary@leak.test"
        bookkeeper_alice.save()
        created = User.objects.create_user(username="new_one", kind="staff", display_name=CANARY)
        entries = _entries_for(bookkeeper_alice) + _entries_for(created)
        entry = _entries_for(bookkeeper_alice)[-1]
        assert entry.changes["display_name"] == [changelog.REDACTED, changelog.REDACTED]
        assert entry.object_repr == f"accounts.user {bookkeeper_alice.pk}"
        for item in entries:
            dumped = json.dumps(item.changes, ensure_ascii=False) + item.object_repr + str(item.changes_text)
            assert CANARY not in dumped
            assert "canary@leak.test" not in dumped
    finally:
        changelog.register_core_models()


def test_every_encrypted_field_of_a_client_is_masked_named_or_not(partner: User) -> None:
    from clients import services
    from clients.models import Client

    client = services.create_client(
        name=CANARY,
        credit_code="91350100M000100Y43",
        taxpayer_type="general",
        address=f"地址 {CANARY}",
        contacts=[{"name": f"联系人 {CANARY}"}],
        bank_accounts=[{"bank": "招商银行", "account_number": CANARY}],
        actor=partner,
    )
    client.address = f"新地址 {CANARY}"
    client.save()
    entries = _entries_for(Client.objects.get(pk=client.pk))
    assert len(entries) == 2
    for entry in entries:
        for name in ("name", "credit_code", "address", "contacts", "bank_accounts"):
            if name in entry.changes:
                assert set(entry.changes[name]) <= {changelog.REDACTED, "None"}, (name, entry.changes[name])
        assert CANARY not in json.dumps(entry.changes, ensure_ascii=False) + entry.object_repr
    assert entries[-1].changes["address"] == [changelog.REDACTED, changelog.REDACTED]


def test_change_log_address_is_taken_only_from_a_trusted_proxy() -> None:
    from django.test import RequestFactory, override_settings

    from audit.middleware import AuditlogMiddleware

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert AuditlogMiddleware._get_remote_addr(request) == "203.0.113.9"
    with override_settings(FIRMPORTAL_TRUSTED_PROXIES=["203.0.113.9"]):
        assert AuditlogMiddleware._get_remote_addr(request) == "10.9.9.9"
