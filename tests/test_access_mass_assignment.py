"""Mass assignment: fields a form does not offer (client_id, approved, state, delegate) are ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from confidentiality.models import Assignment, AssignmentRole, Delegation, DelegationState
from tests import cast
from tests.access_cast import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_assignment_goes_to_the_client_of_the_url(world: World) -> None:
    response = cast.signed_in(world.partner).post(
        f"/staff/access/clients/{world.client_a.pk}/assign/",
        {
            "user": world.bookkeeper_bob.pk,
            "role": AssignmentRole.REVIEWER,
            "client_id": str(world.client_b.pk),
            "client": str(world.client_b.pk),
            "approved": "1",
            "ends_at": "",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(user=world.bookkeeper_bob, role=AssignmentRole.REVIEWER)
    assert assignment.client == world.client_a


def test_assigning_a_client_user_is_refused_with_a_message(world: World) -> None:
    before = Assignment.objects.count()
    response = cast.signed_in(world.partner).post(
        f"/staff/access/clients/{world.client_a.pk}/assign/",
        {"user": world.client_b_owner.pk, "role": AssignmentRole.BOOKKEEPER},
    )
    assert response.status_code == 400 and "员工" in response.content.decode()
    assert Assignment.objects.count() == before


def test_past_end_date_is_refused_with_a_message(world: World) -> None:
    before = Assignment.objects.count()
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = cast.signed_in(world.partner).post(
        f"/staff/access/clients/{world.client_a.pk}/assign/",
        {"user": world.outsider.pk, "role": AssignmentRole.BOOKKEEPER, "ends_at": past},
    )
    assert response.status_code == 400 and "未来" in response.content.decode()
    assert Assignment.objects.count() == before


def test_invitation_ignores_posted_state_and_client(world: World) -> None:
    response = cast.signed_in(world.client_a_owner).post(
        "/portal/delegates/",
        {
            "email": "lawyer@law.test",
            "scope": ["reports"],
            "ends_at": timezone.localtime(timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "state": "active",
            "client_id": str(world.client_b.pk),
            "delegate": str(world.client_b_owner.pk),
        },
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.client == world.client_a
    assert delegation.state == DelegationState.INVITED and delegation.delegate is None
