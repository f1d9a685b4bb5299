"""One-click containment on an incident: offboard the person concerned, end their grants, rotate keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from compliance import incidents
from compliance.models import Incident, IncidentEvent
from confidentiality import access_services, crypto
from confidentiality.keyscope import KeyScope
from confidentiality.models import AccessGrant, AccessPurpose, GrantState, KeyRotationJob
from tests import cast
from tests.access_cast import build_world

pytestmark = pytest.mark.django_db


def _incident(officer, suspect=None) -> Incident:  # type: ignore[no-untyped-def]
    incident = incidents.report_incident(title="U盘丢失", description="-", actor=officer)
    if suspect is not None:
        Incident.objects.filter(pk=incident.pk).update(suspect=suspect)
        incident.refresh_from_db()
    return incident


def _act(officer, incident: Incident, action: str):  # type: ignore[no-untyped-def]
    http = cast.signed_in(officer)
    return http.post(reverse("staff:compliance:incident-action", args=[incident.pk, action]))


def test_offboarding_the_suspect_from_the_incident() -> None:
    world = build_world()
    officer = cast.make_staff("officer_olga", StaffRole.COMPLIANCE_OFFICER)
    incident = _incident(officer, world.bookkeeper_alice)
    live = cast.signed_in(world.bookkeeper_alice)
    assert _act(officer, incident, "offboard-suspect").status_code == 302
    world.bookkeeper_alice.refresh_from_db()
    assert world.bookkeeper_alice.is_active is False and world.bookkeeper_alice.offboarded_at is not None
    assert live.get("/staff/").status_code == 302  # her session is gone
    assert IncidentEvent.objects.filter(incident=incident, kind="containment").exists()


def test_without_a_named_person_nothing_happens() -> None:
    world = build_world()
    officer = cast.make_staff("officer_olga", StaffRole.COMPLIANCE_OFFICER)
    incident = _incident(officer)
    response = _act(officer, incident, "offboard-suspect")
    assert response.status_code == 302
    assert not IncidentEvent.objects.filter(incident=incident, kind="containment").exists()
    world.bookkeeper_alice.refresh_from_db()
    assert world.bookkeeper_alice.is_active is True


def test_ending_the_suspects_grants() -> None:
    world = build_world()
    officer = cast.make_staff("officer_olga", StaffRole.COMPLIANCE_OFFICER)
    grant = access_services.request_access(
        client=world.client_a,
        purpose=AccessPurpose.QUALITY_REVIEW,
        purpose_detail="抽查",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=world.bookkeeper_bob,
    )
    incident = _incident(officer, world.bookkeeper_bob)
    _act(officer, incident, "revoke-grants")
    grant.refresh_from_db()
    assert grant.state != GrantState.PENDING and grant.state != GrantState.APPROVED
    assert AccessGrant.objects.filter(user=world.bookkeeper_bob, state__in=("approved", "pending")).count() == 0


def test_rotating_keys_of_included_clients_only() -> None:
    world = build_world()
    officer = cast.make_staff("officer_olga", StaffRole.COMPLIANCE_OFFICER)
    for client in (world.client_a, world.client_b):
        crypto.active_key_id(KeyScope.for_client(client.pk, 2024, category="journal_voucher"))
    incident = _incident(officer)
    incident.affected.create(client_ref=str(world.client_a.pk), included=True)
    incident.affected.create(client_ref=str(world.client_b.pk), included=False)
    _act(officer, incident, "rotate-keys")
    owners = set(KeyRotationJob.objects.values_list("owner", flat=True))
    assert owners and all(owner.startswith(f"client:{world.client_a.pk}") for owner in owners)
