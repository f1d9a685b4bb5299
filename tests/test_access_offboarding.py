"""One-step offboarding: sign-in off, access and tokens revoked, every session ended, a leaver report."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AccessEvent, AuditEvent
from confidentiality.models import Assignment, ClientUserObjectPermission, LeaverReport
from tests import cast
from tests.access_cast import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_offboarding_ends_live_sessions_and_all_access(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    alice = world.bookkeeper_alice
    first, second = cast.signed_in(alice), cast.signed_in(alice)
    client_page = f"/staff/access/clients/{world.client_a.pk}/"
    assert first.get("/staff/access/clients/").status_code == 200
    assert second.get("/staff/access/clients/").status_code == 200
    # alice reads client A once (the leaver report shows it)
    from django.test import RequestFactory

    from confidentiality import access

    request = RequestFactory().get("/")
    request.user = alice
    from audit import services as audit

    audit.record_access(request=request, action="view", client_ref=str(world.client_a.pk), object_type="x")
    assert access.get_client_for_user(request, world.client_a.pk)

    admin = cast.signed_in(world.admin)
    assert admin.get(f"/staff/access/staff/{alice.pk}/offboard/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/staff/access/staff/{alice.pk}/offboard/", {"confirm_username": alice.username})
    assert response.status_code == 302

    alice = User.objects.get(pk=alice.pk)
    assert not alice.is_active and alice.offboarded_at is not None and not alice.has_usable_password()
    assert not Assignment.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert not ClientUserObjectPermission.objects.filter(user=alice).exists()
    assert not alice.groups.exists()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    # Both live sessions are signed out at once.
    for http in (first, second):
        response = http.get(client_page)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    report = LeaverReport.objects.get(leaver=alice)
    assert [e["client_id"] for e in report.entries] == [str(world.client_a.pk)]
    assert report.entries[0]["last_access_at"] is not None
    assert list(report.recipients.all()) == [world.partner]
    assert [m.to for m in mail.outbox] == [[world.partner.email]]
    assert "上海" not in mail.outbox[0].body
    page = cast.signed_in(world.partner).get(f"/staff/access/leavers/{report.pk}/")
    assert page.status_code == 200 and "上海甲贸易有限公司" in page.content.decode()
    assert cast.signed_in(world.bookkeeper_bob).get(f"/staff/access/leavers/{report.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="staff_offboarded", target_id=str(alice.pk)).exists()


def test_sign_in_attempt_after_offboarding_alerts_compliance(world: World) -> None:
    call_command("offboard_staff", world.bookkeeper_bob.username, "--by", world.admin.username)
    response = HttpClient().post(
        "/accounts/login/", {"username": world.bookkeeper_bob.username, "password": cast.PASSWORD}
    )
    assert response.status_code == 200  # refused, same page as any failure
    assert AuditEvent.objects.filter(
        action="offboarded_signin_attempt", target_id=str(world.bookkeeper_bob.pk)
    ).exists()
    _ = AccessEvent


def test_offboarding_records_the_exit_acknowledgement(world: World) -> None:
    from compliance.models import AcceptanceKind, NdaAcceptance

    admin = cast.signed_in(world.admin)
    response = admin.post(
        f"/staff/access/staff/{world.reviewer_rita.pk}/offboard/",
        {"confirm_username": world.reviewer_rita.username, "exit_acknowledged": "on"},
    )
    assert response.status_code == 302
    assert NdaAcceptance.objects.filter(user=world.reviewer_rita, kind=AcceptanceKind.EXIT).exists()


def test_only_firm_admins_offboard_and_typos_change_nothing(world: World) -> None:
    alice = world.bookkeeper_alice
    assert cast.signed_in(world.partner).get(f"/staff/access/staff/{alice.pk}/offboard/").status_code == 404
    response = cast.signed_in(world.admin).post(f"/staff/access/staff/{alice.pk}/offboard/", {"confirm_username": "x"})
    assert response.status_code == 400
    assert User.objects.get(pk=alice.pk).is_active
