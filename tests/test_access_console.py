"""The admin console: firm admins with 2FA only, no confidential columns, every action audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from confidentiality.models import Assignment
from tests import cast
from tests.access_cast import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_client_lists_show_no_confidential_columns(world: World) -> None:
    http = cast.signed_in(world.admin)
    for url in ("/console/clients/client/", "/console/confidentiality/delegation/", "/console/clients/client/"):
        response = http.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "上海甲贸易有限公司" not in body and "91310000MA1FL0000X" not in body
    detail = http.get(f"/console/clients/client/{world.client_a.pk}/change/")
    assert detail.status_code == 200 and "上海甲贸易有限公司" not in detail.content.decode()


def test_console_is_closed_to_others(world: World) -> None:
    for user in (world.partner, world.bookkeeper_alice, world.client_a_owner):
        assert cast.signed_in(user).get("/console/clients/client/").status_code == 404
    assert cast.signed_in(world.admin, verified=False).get("/console/clients/client/").status_code == 302


def test_console_actions_are_audited(world: World) -> None:
    from django.contrib import admin
    from django.contrib.auth.models import Group
    from django.test import RequestFactory

    from clients.models import Client
    from confidentiality.admin import AuditedAdminMixin

    # Every model admin of the console is wrapped, including those other apps register.
    assert all(isinstance(model_admin, AuditedAdminMixin) for model_admin in admin.site._registry.values())
    request = RequestFactory().post("/console/")
    request.user = world.admin
    admin.site._registry[Group].log_change(request, Group.objects.first(), [{"changed": {"fields": ["name"]}}])
    admin.site._registry[Client].log_deletions(request, Client.objects.filter(pk=world.client_a.pk))
    events = list(AuditEvent.objects.filter(action="console_action").order_by("id"))
    assert [e.details["operation"] for e in events] == ["change", "delete"]
    assert events[0].details["fields"] == ["name"] and events[0].actor == world.admin
    assert events[1].client_ref == str(world.client_a.pk)


def test_console_cannot_change_client_records(world: World) -> None:
    http = cast.signed_in(world.admin)
    assignment = Assignment.objects.get(user=world.bookkeeper_alice)
    response = http.post(f"/console/confidentiality/assignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code in (403, 404)
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_console_pages_write_admin_view_access_events(world: World) -> None:
    from audit.models import AccessEvent

    http = cast.signed_in(world.admin)
    assert http.get("/console/clients/client/").status_code == 200
    listed = AccessEvent.objects.filter(actor=world.admin, action="admin_view", object_type="clients.client")
    assert listed.count() == 1
    assert {str(world.client_a.pk), str(world.client_b.pk)} <= set(listed.get().object_ids)

    assert http.get(f"/console/clients/client/{world.client_a.pk}/change/").status_code == 200
    detail = AccessEvent.objects.filter(actor=world.admin, action="admin_view").order_by("-pk").first()
    assert detail is not None
    assert detail.client_ref == str(world.client_a.pk) and detail.object_ids == [str(world.client_a.pk)]
    assert detail.purpose == "firm admin console"
