"""How the access layer reads a staff member's permissions on a client: all live sources in one
query, once per request, shared by the access helpers and `request.user.has_perm(...)`."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from accounts.models import StaffRole, User
from confidentiality import access
from confidentiality.models import ClientGroupObjectPermission, ClientUserObjectPermission
from tests.access_cast import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _lazy_request(user: User):  # type: ignore[no-untyped-def]
    """A request whose user is a SimpleLazyObject, as AuthenticationMiddleware leaves it."""
    request = RequestFactory().get("/staff/")
    request.user = SimpleLazyObject(lambda: User.objects.get(pk=user.pk))  # type: ignore[assignment]
    return request


def test_permissions_read_by_the_access_layer_are_reused_by_has_perm(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    request = _lazy_request(world.bookkeeper_alice)
    access.get_client_for_user(request, world.client_a.pk, perm="clients.view_books")
    # The views ask `request.user.has_perm(...)` for their buttons; that runs on the wrapped user
    # and must find what the access layer already computed, not query again.
    with django_assert_num_queries(0):
        assert request.user.has_perm("clients.prepare_vouchers", world.client_a)
        assert not request.user.has_perm("clients.review_vouchers", world.client_a)


def test_forget_cached_reaches_the_user_behind_the_lazy_object(world: World) -> None:
    request = _lazy_request(world.bookkeeper_alice)
    assert access.has_client_perm(request.user, "clients.view_books", world.client_a)
    ClientUserObjectPermission.objects.filter(user=world.bookkeeper_alice).delete()
    assert request.user.has_perm("clients.view_books", world.client_a)  # cached for this request
    access.forget_cached(request.user)
    assert not request.user.has_perm("clients.view_books", world.client_a)


def test_all_sources_are_read_in_one_query(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    access.staff_gate_passed(world.bookkeeper_alice)  # the gate is its own (cached) query
    # One query for the four permission sources, one for the client's processing locks (retention).
    with django_assert_num_queries(2):
        perms = access.client_permissions(world.bookkeeper_alice, world.client_a.pk)
    with django_assert_num_queries(0):  # both cached for the rest of the request
        access.client_permissions(world.bookkeeper_alice, world.client_a.pk)
        access.client_locks(world.bookkeeper_alice, world.client_a.pk)
    assert "prepare_vouchers" in perms and "review_vouchers" not in perms


def test_a_group_object_permission_counts_as_held_only_with_a_live_source(world: World) -> None:
    alice, otto = world.bookkeeper_alice, world.outsider  # both in the bookkeeper group
    ClientUserObjectPermission.objects.filter(user=alice, content_object_id=world.client_a.pk).delete()
    assert not access.has_client_perm(User.objects.get(pk=alice.pk), "clients.view_books", world.client_a)
    view_books = Permission.objects.get(content_type__app_label="clients", codename="view_books")
    ClientGroupObjectPermission.objects.create(
        group=Group.objects.get(name=StaffRole.BOOKKEEPER), content_object=world.client_a, permission=view_books
    )
    assert access.has_client_perm(User.objects.get(pk=alice.pk), "clients.view_books", world.client_a)
    # Held but not entitled (no assignment or grant): nothing.
    assert not access.has_client_perm(User.objects.get(pk=otto.pk), "clients.view_books", world.client_a)
    # Entitled by the assignment but only what is held: alice's other rows are gone.
    assert not access.has_client_perm(User.objects.get(pk=alice.pk), "clients.prepare_vouchers", world.client_a)
