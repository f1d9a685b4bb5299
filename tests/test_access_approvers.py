"""Who decides a temporary-access request: a manager assigned to that client, or the firm head; never
the requester, and never a manager of some other client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
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


def _request(world: World, user: User | None = None) -> AccessGrant:
    """Bob (client B's bookkeeper) asks to read client A for a while."""
    return access_services.request_access(
        client=world.client_a,
        purpose=AccessPurpose.QUALITY_REVIEW,
        purpose_detail="年度质量抽查",
        ends_at=timezone.now() + timedelta(hours=4),
        actor=user or world.bookkeeper_bob,
    )


def _manager_of_b_only(world: World) -> User:
    manager = cast.make_staff("manager_mo", StaffRole.MANAGER)
    assign(world.admin, world.client_b, manager, AssignmentRole.MANAGER)
    return manager


def test_manager_of_another_client_cannot_approve(world: World) -> None:
    grant = _request(world)
    manager = _manager_of_b_only(world)
    with pytest.raises(ValidationError) as caught:
        access_services.decide_access_request(grant, approve=True, actor=manager)
    assert caught.value.code == "not_clients_manager"
    assert caught.value.messages == ["只有负责该客户的经理或单位负责人才能审批此申请。"]
    grant.refresh_from_db()
    assert grant.state == GrantState.PENDING and grant.decided_by is None
    assert not AuditEvent.objects.filter(action="access_approved").exists()
    assert not access.has_client_perm(
        User.objects.get(pk=world.bookkeeper_bob.pk), "clients.view_client", world.client_a
    )


def test_manager_of_another_client_neither_sees_nor_decides_through_the_pages(world: World) -> None:
    grant = _request(world)
    manager = _manager_of_b_only(world)
    http = cast.signed_in(manager)
    page = http.get("/staff/access/approvals/")
    assert page.status_code == 200
    assert f"/staff/access/approvals/{grant.pk}/" not in page.content.decode()
    denied_before = AccessEvent.objects.filter(action="denied").count()
    response = http.post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"})
    assert response.status_code == 404  # forbidden looks like missing
    assert AccessEvent.objects.filter(action="denied", actor=manager).count() == denied_before + 1
    assert AccessEvent.objects.filter(action="denied", actor=manager).last().client_ref == str(world.client_a.pk)  # type: ignore[union-attr]
    grant.refresh_from_db()
    assert grant.state == GrantState.PENDING


def test_manager_assigned_to_the_client_approves(world: World) -> None:
    grant = _request(world)
    manager = cast.make_staff("manager_ma", StaffRole.MANAGER)
    assign(world.admin, world.client_a, manager, AssignmentRole.MANAGER)
    http = cast.signed_in(manager)
    assert f"/staff/access/approvals/{grant.pk}/" in http.get("/staff/access/approvals/").content.decode()
    assert http.post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"}).status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.APPROVED and grant.decided_by == manager
    event = AuditEvent.objects.get(action="access_approved")
    assert event.actor == manager and event.client_ref == str(world.client_a.pk)
    assert access.has_client_perm(User.objects.get(pk=world.bookkeeper_bob.pk), "clients.view_books", world.client_a)


def test_a_manager_whose_assignment_ended_can_no_longer_approve(world: World) -> None:
    grant = _request(world)
    manager = cast.make_staff("manager_ma", StaffRole.MANAGER)
    assignment = assign(world.admin, world.client_a, manager, AssignmentRole.MANAGER)
    access_services.end_assignment(assignment, actor=world.admin, reason="moved")
    with pytest.raises(ValidationError):
        access_services.decide_access_request(grant, approve=True, actor=manager)
    assert (
        cast.signed_in(manager).post(f"/staff/access/approvals/{grant.pk}/", {"decision": "refuse"}).status_code == 404
    )
    assert AccessGrant.objects.get(pk=grant.pk).state == GrantState.PENDING


def test_reviewer_assigned_to_the_client_cannot_approve(world: World) -> None:
    """Being on the client is not enough: the decision belongs to its manager."""
    grant = _request(world)
    with pytest.raises(ValidationError):
        access_services.decide_access_request(grant, approve=True, actor=world.reviewer_rita)
    assert (
        cast.signed_in(world.reviewer_rita)
        .post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"})
        .status_code
        == 404
    )
    assert AccessGrant.objects.get(pk=grant.pk).state == GrantState.PENDING


def test_firm_head_decides_for_any_client(world: World) -> None:
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)  # assigned to no client
    grant = _request(world)
    http = cast.signed_in(head)
    assert f"/staff/access/approvals/{grant.pk}/" in http.get("/staff/access/approvals/").content.decode()
    assert http.post(f"/staff/access/approvals/{grant.pk}/", {"decision": "refuse", "note": "无需"}).status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.REFUSED and grant.decided_by == head
    assert AuditEvent.objects.get(action="access_refused").actor == head


def test_self_approval_is_refused_even_for_a_manager_of_the_client(world: World) -> None:
    """A manager of client A (not firm head) who asks for access elsewhere cannot decide it, and one
    who is manager of the client asked for cannot approve their own request either."""
    manager = cast.make_staff("manager_ma", StaffRole.MANAGER)
    assign(world.admin, world.client_a, manager, AssignmentRole.MANAGER)
    grant = _request(world, manager)
    with pytest.raises(ValidationError) as caught:
        access_services.decide_access_request(grant, approve=True, actor=manager)
    assert caught.value.code == "self_approval"
    http = cast.signed_in(manager)
    page = http.get("/staff/access/approvals/").content.decode()
    assert f"/staff/access/approvals/{grant.pk}/" not in page  # listed, but without the decision form
    assert http.post(f"/staff/access/approvals/{grant.pk}/", {"decision": "approve"}).status_code == 302
    assert AccessGrant.objects.get(pk=grant.pk).state == GrantState.PENDING


def test_approvals_page_query_count_does_not_grow_with_requests(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)
    http = cast.signed_in(head)
    _request(world)
    http.get("/staff/access/approvals/")
    with django_assert_max_num_queries(20) as few:
        http.get("/staff/access/approvals/")
    for index in range(5):
        user = cast.make_staff(f"bookkeeper_{index}", StaffRole.BOOKKEEPER)
        _request(world, user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get("/staff/access/approvals/")
    assert response.content.decode().count("/staff/access/approvals/") >= 6
