"""Temporary access (request, decision, expiry), emergency self-grant, and the gates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from confidentiality import access, access_services
from confidentiality.models import AccessGrant, AccessPurpose, AssignmentRole, GrantState
from tests import cast
from tests.access_cast import World, assign, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _local(moment):  # type: ignore[no-untyped-def]
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _request_form(world: World, **extra: object) -> dict[str, object]:
    return {
        "client": str(world.client_a.pk),
        "purpose": AccessPurpose.QUALITY_REVIEW,
        "purpose_detail": "年度质量抽查",
        "ends_at": _local(timezone.now() + timedelta(hours=4)),
        **extra,
    }


def test_request_approve_and_expire(world: World) -> None:
    bob = world.bookkeeper_bob
    response = cast.signed_in(bob).post("/staff/access/requests/", _request_form(world))
    assert response.status_code == 302
    grant = AccessGrant.objects.get(user=bob)
    assert grant.state == GrantState.PENDING
    assert not access.has_client_perm(bob, "clients.view_client", world.client_a)

    other_manager = cast.make_staff("manager_mo", StaffRole.MANAGER)
    assign(world.admin, world.client_a, other_manager, AssignmentRole.MANAGER)  # managers of that client decide
    response = cast.signed_in(other_manager).post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.APPROVED and grant.decided_by == other_manager
    bob = User.objects.get(pk=bob.pk)
    assert access.has_client_perm(bob, "clients.view_books", world.client_a)
    assert not access.has_client_perm(bob, "clients.prepare_vouchers", world.client_a)  # read only
    assert world.client_a in access.visible_clients(bob)

    # Time passes: the grant's end date is reached. Access stops at once, before any clean-up.
    AccessGrant.objects.filter(pk=grant.pk).update(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(seconds=1)
    )
    bob = User.objects.get(pk=bob.pk)
    assert world.client_a not in access.visible_clients(bob)
    assert cast.signed_in(bob).get(f"/staff/access/clients/{world.client_a.pk}/").status_code == 404
    assert access_services.expire_access()["grants"] == 1
    grant.refresh_from_db()
    assert grant.state == GrantState.ENDED


def test_self_approval_is_refused(world: World) -> None:
    partner = world.partner
    grant = access_services.request_access(
        client=world.client_b,
        purpose=AccessPurpose.REVIEW,
        purpose_detail="x",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=partner,
    )
    response = cast.signed_in(partner).post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.PENDING
    with pytest.raises(ValidationError):
        access_services.decide_access_request(grant, approve=True, actor=partner)
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessGrant.objects.filter(pk=grant.pk).update(decided_by=partner, state=GrantState.APPROVED)


def test_posted_state_and_client_fields_are_ignored(world: World) -> None:
    bob = world.bookkeeper_bob
    form = _request_form(world, state="approved", approved="1", decided_by=str(world.partner.pk), user=str(1))
    cast.signed_in(bob).post("/staff/access/requests/", form)
    grant = AccessGrant.objects.get(user=bob)
    assert grant.state == GrantState.PENDING and grant.decided_by is None
    assert not access.has_client_perm(User.objects.get(pk=bob.pk), "clients.view_client", world.client_a)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose_detail", "  ", "说明"),
        ("ends_at", "past", "未来"),
        ("client", "00000000-0000-0000-0000-000000000000", "编号"),
    ],
)
def test_bad_requests_are_refused_with_a_message(world: World, field: str, value: str, message: str) -> None:
    if value == "past":
        value = _local(timezone.now() - timedelta(hours=1))
    response = cast.signed_in(world.bookkeeper_bob).post(
        "/staff/access/requests/", _request_form(world, **{field: value})
    )
    assert response.status_code == 400
    assert AccessGrant.objects.count() == 0
    assert message in response.content.decode(), response.content.decode()[-2000:]


def test_emergency_self_grant_alerts_compliance_and_waits_for_review(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    officer = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    bob = world.bookkeeper_bob
    # A bookkeeper's role does not allow it: the page does not exist for them.
    assert cast.signed_in(bob).get("/staff/access/emergency/").status_code == 404

    partner = world.partner
    access_services.end_assignment(partner.assignments.get(client=world.client_b), actor=world.admin, reason="moved")
    form = _request_form(world, client=str(world.client_b.pk))
    http = cast.signed_in(partner)
    with django_capture_on_commit_callbacks(execute=True):
        with_commit = http.post("/staff/access/emergency/", form)
    assert with_commit.status_code == 302
    grant = AccessGrant.objects.get(user=partner, emergency=True)
    assert grant.state == GrantState.APPROVED
    assert AuditEvent.objects.filter(action="access_emergency_granted", actor=partner).exists()
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert "上海" not in mail.outbox[0].body  # no client data in the alert
    assert access.has_client_perm(User.objects.get(pk=partner.pk), "clients.view_books", world.client_b)

    queue = cast.signed_in(officer).get("/staff/access/emergency/review/")
    assert queue.status_code == 200 and partner.username in queue.content.decode()
    response = cast.signed_in(officer).post(
        f"/staff/access/emergency/{grant.pk}/review/", {"note": "合理, 客户税务紧急", "end_now": "on"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == officer and grant.state == GrantState.REVOKED
    assert not access.has_client_perm(User.objects.get(pk=partner.pk), "clients.view_books", world.client_b)


def test_emergency_limited_to_eight_hours(world: World) -> None:
    with pytest.raises(ValidationError):
        access_services.grant_emergency_access(
            client=world.client_b,
            purpose=AccessPurpose.INCIDENT,
            purpose_detail="x",
            ends_at=timezone.now() + timedelta(hours=9),
            actor=world.partner,
        )


def test_gate_blocks_staff_without_nda_and_training(world: World) -> None:
    from compliance.models import NdaAcceptance, TrainingCompletion

    alice = world.bookkeeper_alice
    TrainingCompletion.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(days=1))
    http = cast.signed_in(alice)
    response = http.get(f"/staff/access/clients/{world.client_a.pk}/")
    assert response.status_code == 302 and response["Location"] == "/staff/compliance/gate/"
    assert AccessEvent.objects.filter(actor=alice, action="denied", object_type="gate").exists()
    page = http.get("/staff/compliance/gate/")
    assert page.status_code == 200
    assert list(access.visible_clients(User.objects.get(pk=alice.pk))) == []
    assert not User.objects.get(pk=alice.pk).has_perm("clients.view_client", world.client_a)

    TrainingCompletion.objects.filter(user=alice).update(expires_at=timezone.now() + timedelta(days=300))
    NdaAcceptance.objects.filter(user=alice).delete()
    assert http.get("/staff/access/clients/").status_code == 302
    cast.make_compliant(alice)
    assert http.get("/staff/access/clients/").status_code == 200
