"""Clients and assignments for the access tests: client A (alice, rita, partner pan) and client B (bob)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import StaffRole, User
from clients.models import Client, ClientMembership, ClientRole, TaxpayerType
from confidentiality import access_services
from confidentiality.models import Assignment, AssignmentRole
from tests import cast


def make_client(name: str) -> Client:
    client = Client(name=name, credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.SMALL_SCALE)
    client.save()
    return client


@dataclass
class World:
    client_a: Client
    client_b: Client
    partner: User
    admin: User
    bookkeeper_alice: User
    bookkeeper_bob: User
    reviewer_rita: User
    expired_eve: User
    outsider: User
    client_a_owner: User
    client_b_owner: User


def assign(manager: User, client: Client, user: User, role: str, **kwargs: object) -> Assignment:
    return access_services.assign_staff(client=client, user=user, role=role, actor=manager, **kwargs)  # type: ignore[arg-type]


def expire(assignment: Assignment) -> None:
    """Move an assignment's end date into the past (as time passing would), without the clean-up job."""
    past = timezone.now() - timedelta(minutes=1)
    Assignment.objects.filter(pk=assignment.pk).update(starts_at=past - timedelta(days=1), ends_at=past)


def build_world() -> World:
    admin = cast.make_staff("admin_ada", StaffRole.FIRM_ADMIN)
    partner = cast.make_staff("partner_pan", StaffRole.MANAGER, StaffRole.FIRM_HEAD)
    alice = cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)
    bob = cast.make_staff("bookkeeper_bob", StaffRole.BOOKKEEPER)
    rita = cast.make_staff("reviewer_rita", StaffRole.REVIEWER)
    eve = cast.make_staff("expired_eve", StaffRole.BOOKKEEPER)
    outsider = cast.make_staff("outsider_otto", StaffRole.BOOKKEEPER)
    client_a = make_client("上海甲贸易有限公司")
    client_b = make_client("上海乙科技有限公司")
    assign(admin, client_a, partner, AssignmentRole.MANAGER)
    assign(admin, client_b, partner, AssignmentRole.MANAGER)
    assign(partner, client_a, alice, AssignmentRole.BOOKKEEPER)
    assign(partner, client_a, rita, AssignmentRole.REVIEWER)
    assign(partner, client_b, bob, AssignmentRole.BOOKKEEPER)
    expire(assign(partner, client_a, eve, AssignmentRole.BOOKKEEPER, ends_at=timezone.now() + timedelta(days=1)))
    a_owner = cast.make_client_user("client_a_owner")
    b_owner = cast.make_client_user("client_b_owner")
    ClientMembership.objects.create(client=client_a, user=a_owner, role=ClientRole.OWNER)
    ClientMembership.objects.create(client=client_b, user=b_owner, role=ClientRole.OWNER)
    return World(client_a, client_b, partner, admin, alice, bob, rita, eve, outsider, a_owner, b_owner)
