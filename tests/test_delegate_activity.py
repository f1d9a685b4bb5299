"""The owner's delegates page shows each delegate's recent activity with the company's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from confidentiality import access_services
from confidentiality.models import DelegateScope
from tests import access_cast, cast
from tests.books import ensure_chart

pytestmark = pytest.mark.django_db


def _delegate(world: access_cast.World, username: str, email: str) -> Any:
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email=email,
        scope=[DelegateScope.REPORTS],
        ends_at=timezone.now() + dt.timedelta(days=30),
        actor=world.client_a_owner,
    )
    return access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username=username, password="Long-Enough-Pass-42"
    )


def test_delegates_page_lists_each_delegates_recent_reads_in_few_queries(django_assert_max_num_queries: Any) -> None:
    ensure_chart()
    world = access_cast.build_world()
    dora = _delegate(world, "delegate_dora", "dora@client.test")
    _delegate(world, "delegate_dan", "dan@client.test")
    cast.signed_in(dora).get(reverse("portal:home"))
    read = AccessEvent.objects.filter(actor=dora, client_ref=str(world.client_a.pk)).exclude(action="denied").first()
    assert read is not None
    # A read of another company by the same person is not shown on A's page.
    AccessEvent.objects.create(actor=dora, client_ref=str(world.client_b.pk), action="view", object_type="other.thing")
    http = cast.signed_in(world.client_a_owner)
    http.get(reverse("portal:delegates"))
    with django_assert_max_num_queries(25):
        body = http.get(reverse("portal:delegates")).content.decode()
    rows = body.split('class="delegate-activity"')
    dora_row = next(row for row in rows[1:] if "delegate_dora" in row.split("</tr>")[0])
    dan_row = next(row for row in rows[1:] if "delegate_dan" in row.split("</tr>")[0])
    assert "最近的操作" in dora_row and timezone.localtime(read.occurred_at).strftime("%Y-%m-%d %H:%M") in dora_row
    assert read.object_type in dora_row.split("</tr>")[0] and "other.thing" not in body
    assert "暂无" in dan_row.split("</tr>")[0]
