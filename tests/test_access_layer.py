"""The access layer: assignments decide who sees which client, at the moment of access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent, AuditEvent
from confidentiality import access, access_services
from confidentiality.models import Assignment, AssignmentRole, ClientUserObjectPermission
from tests import cast
from tests.access_cast import World, assign, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _request(user: User):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/staff/")
    request.user = user
    return request


def test_assigned_bookkeeper_sees_only_her_client(world: World) -> None:
    assert list(access.visible_clients(world.bookkeeper_alice)) == [world.client_a]
    assert list(access.visible_clients(world.bookkeeper_bob)) == [world.client_b]
    assert list(access.visible_clients(world.outsider)) == []
    assert set(access.visible_clients(world.partner)) == {world.client_a, world.client_b}


def test_role_decides_object_permissions(world: World) -> None:
    alice, rita = world.bookkeeper_alice, world.reviewer_rita
    assert alice.has_perm("clients.prepare_vouchers", world.client_a)
    assert not alice.has_perm("clients.review_vouchers", world.client_a)
    assert rita.has_perm("clients.review_vouchers", world.client_a)
    assert not rita.has_perm("clients.prepare_vouchers", world.client_a)
    assert not alice.has_perm("clients.view_client", world.client_b)
    assert list(access.visible_clients(rita, perm="clients.prepare_vouchers")) == []


def test_global_permission_never_grants_client_access(world: World) -> None:
    from django.contrib.auth.models import Permission

    otto = world.outsider
    otto.user_permissions.add(Permission.objects.get(codename="view_books", content_type__app_label="clients"))
    otto = User.objects.get(pk=otto.pk)
    assert otto.has_perm("clients.view_books")  # model-level
    assert not otto.has_perm("clients.view_books", world.client_a)
    assert list(access.visible_clients(otto)) == []


def test_expired_assignment_stops_at_its_end_date_before_cleanup(world: World) -> None:
    eve = world.expired_eve
    # The guardian rows are still there: the clean-up job has not run yet.
    assert ClientUserObjectPermission.objects.filter(user=eve).exists()
    assert not eve.has_perm("clients.view_client", world.client_a)
    assert list(access.visible_clients(eve)) == []
    with pytest.raises(Http404):
        access.get_client_for_user(_request(eve), world.client_a.pk)
    counts = access_services.expire_access()
    assert counts["assignments"] == 1
    assert not ClientUserObjectPermission.objects.filter(user=eve).exists()
    assert AuditEvent.objects.filter(action="assignment_ended", details__reason="expired").count() == 1


def test_forbidden_looks_like_missing_and_is_recorded(world: World) -> None:
    import uuid

    with pytest.raises(Http404):
        access.get_client_for_user(_request(world.bookkeeper_bob), world.client_a.pk)
    denied = AccessEvent.objects.get(action="denied")
    assert denied.actor == world.bookkeeper_bob and denied.client_ref == str(world.client_a.pk)
    with pytest.raises(Http404):
        access.get_client_for_user(_request(world.bookkeeper_bob), uuid.uuid4())
    with pytest.raises(Http404):
        access.get_client_for_user(_request(world.bookkeeper_bob), "not-a-uuid")
    assert AccessEvent.objects.filter(action="denied").count() == 1  # missing is not a refusal


def test_get_object_for_user_checks_the_objects_client(world: World) -> None:
    from clients.models import ClientMembership

    membership = ClientMembership.objects.get(client=world.client_a)
    assert access.get_object_for_user(
        world.bookkeeper_alice, ClientMembership, membership.pk, perm="clients.view_client"
    )
    with pytest.raises(Http404):
        access.get_object_for_user(world.bookkeeper_bob, ClientMembership, membership.pk, perm="clients.view_client")
    assert AccessEvent.objects.filter(action="denied", object_type="clients.clientmembership").count() == 1
    mine = access.visible_to(world.bookkeeper_alice, ClientMembership.objects.all())
    assert list(mine) == [membership]


def test_client_users_see_their_own_company_only(world: World) -> None:
    owner = world.client_a_owner
    assert list(access.visible_clients(owner)) == [world.client_a]
    assert owner.has_perm("clients.view_books", world.client_a)
    assert not owner.has_perm("clients.prepare_vouchers", world.client_a)
    assert not world.client_b_owner.has_perm("clients.view_client", world.client_a)


def test_superuser_flag_gives_no_client_data_through_the_access_layer(world: World) -> None:
    otto = world.outsider
    User.objects.filter(pk=otto.pk).update(is_superuser=True)
    otto = User.objects.get(pk=otto.pk)
    assert list(access.visible_clients(otto)) == []
    with pytest.raises(Http404):
        access.get_client_for_user(_request(otto), world.client_a.pk)


def test_ending_an_assignment_removes_its_permissions(world: World) -> None:
    assignment = Assignment.objects.get(user=world.bookkeeper_alice)
    access_services.end_assignment(assignment, actor=world.partner)
    alice = User.objects.get(pk=world.bookkeeper_alice.pk)
    assert not alice.has_perm("clients.view_client", world.client_a)
    assert not ClientUserObjectPermission.objects.filter(user=alice).exists()


def test_permissions_from_another_live_assignment_survive(world: World) -> None:
    second = assign(world.partner, world.client_a, world.bookkeeper_alice, AssignmentRole.REVIEWER)
    first = Assignment.objects.get(user=world.bookkeeper_alice, role=AssignmentRole.BOOKKEEPER)
    access_services.end_assignment(first, actor=world.partner)
    alice = User.objects.get(pk=world.bookkeeper_alice.pk)
    assert alice.has_perm("clients.review_vouchers", world.client_a)
    assert not alice.has_perm("clients.prepare_vouchers", world.client_a)
    assert second.ended_at is None


@pytest.mark.parametrize("problem", ["client_user", "past_end", "not_a_manager", "offboarded"])
def test_bad_assignments_are_refused_and_change_nothing(world: World, problem: str) -> None:
    before = (Assignment.objects.count(), ClientUserObjectPermission.objects.count(), AuditEvent.objects.count())
    user, actor, ends_at = world.outsider, world.partner, None
    if problem == "client_user":
        user = world.client_b_owner
    elif problem == "past_end":
        ends_at = timezone.now() - timedelta(hours=1)
    elif problem == "not_a_manager":
        actor = world.bookkeeper_alice
    elif problem == "offboarded":
        User.objects.filter(pk=user.pk).update(is_active=False, offboarded_at=timezone.now())
        user = User.objects.get(pk=user.pk)
    with pytest.raises(ValidationError) as error:
        access_services.assign_staff(
            client=world.client_a, user=user, role=AssignmentRole.BOOKKEEPER, ends_at=ends_at, actor=actor
        )
    assert error.value.messages  # a clear, translated message
    after = (Assignment.objects.count(), ClientUserObjectPermission.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_template_filter_reports_object_permissions(world: World) -> None:
    from django.template import Context, Template

    template = Template('{% load access %}{% if "view_books" in user|client_perms:client %}yes{% else %}no{% endif %}')
    assert template.render(Context({"user": world.bookkeeper_alice, "client": world.client_a})) == "yes"
    assert template.render(Context({"user": world.bookkeeper_bob, "client": world.client_a})) == "no"


def test_visible_clients_query_count_is_constant(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    alice = User.objects.get(pk=world.bookkeeper_alice.pk)
    with django_assert_num_queries(2):  # the gate (compliance, one query) + the list, however many clients
        list(access.visible_clients(alice))
    _ = cast
