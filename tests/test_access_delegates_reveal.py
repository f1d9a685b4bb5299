"""Client delegates (invitation, scope, expiry, revocation) and secret fields revealed with a purpose."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent, AuditEvent
from clients.models import Client
from confidentiality import access, access_services
from confidentiality.models import AccessPurpose, Delegation, DelegationState
from tests import cast
from tests.access_cast import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _local(moment):  # type: ignore[no-untyped-def]
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _invite(world: World, capture, *, email: str = "lawyer@law.test", scope=("documents",)):  # type: ignore[no-untyped-def]
    owner = cast.signed_in(world.client_a_owner)
    with capture(execute=True):
        response = owner.post(
            "/portal/delegates/",
            {"email": email, "scope": list(scope), "ends_at": _local(timezone.now() + timedelta(days=30))},
        )
    return response


def test_invitation_acceptance_scope_logging_and_revocation(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = _invite(world, django_capture_on_commit_callbacks, scope=("documents",))
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.state == DelegationState.INVITED and delegation.email == "lawyer@law.test"
    assert [m.to for m in mail.outbox] == [["lawyer@law.test"]]
    link = re.search(r"http://testserver(/delegate/accept/[^\s]+/)", str(mail.outbox[0].body))
    assert link is not None and "上海" not in mail.outbox[0].body

    anonymous = HttpClient()
    assert anonymous.get(link.group(1)).status_code == 200
    response = anonymous.post(
        link.group(1),
        {"username": "lawyer_lu", "password": "Long-Enough-Pass-42", "password_again": "Long-Enough-Pass-42"},
    )
    assert response.status_code == 302
    lawyer = User.objects.get(username="lawyer_lu")
    assert lawyer.is_client_user
    assert access.has_client_perm(lawyer, "clients.view_documents", world.client_a)
    assert not access.has_client_perm(lawyer, "clients.view_books", world.client_a)  # reports not in scope
    assert not access.has_client_perm(lawyer, "clients.upload_documents", world.client_a)  # read-only
    assert list(access.visible_clients(lawyer, perm="clients.view_documents")) == [world.client_a]
    assert list(access.visible_clients(lawyer, perm="clients.view_books")) == []

    http = cast.signed_in(lawyer)
    assert http.get("/portal/").status_code == 200
    seen = AccessEvent.objects.filter(actor=lawyer, action="view", client_ref=str(world.client_a.pk))
    assert seen.exists()  # everything a delegate sees is logged
    # The company's own "who accessed my data" tells its delegate apart from its own people.
    assert {event.actor_role for event in seen} == {"delegate"}
    history = cast.signed_in(world.client_a_owner).get("/portal/access-history/?kind=client")
    page = history.content.decode()
    assert history.status_code == 200 and "客户委托人" in page and "lawyer_lu" in page
    # The used link cannot be used again.
    assert anonymous.get(link.group(1)).status_code == 404

    owner = cast.signed_in(world.client_a_owner)
    assert owner.post(f"/portal/delegates/{delegation.pk}/revoke/").status_code == 302
    lawyer = User.objects.get(pk=lawyer.pk)
    assert not access.has_client_perm(lawyer, "clients.view_documents", world.client_a)
    # Signed out everywhere: no other access remains.
    assert http.get("/portal/").status_code == 302


def test_revoked_invitation_link_gives_a_clear_error(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _invite(world, django_capture_on_commit_callbacks)
    delegation = Delegation.objects.get()
    token = access_services.invitation_token(delegation)
    access_services.revoke_delegation(delegation, actor=world.client_a_owner)
    response = HttpClient().get(f"/delegate/accept/{token}/")
    assert response.status_code == 404 and "撤销" in response.content.decode()
    response = HttpClient().post(
        f"/delegate/accept/{token}/",
        {"username": "x1", "password": "Long-Enough-Pass-42", "password_again": "Long-Enough-Pass-42"},
    )
    assert not User.objects.filter(username="x1").exists()
    assert HttpClient().get("/delegate/accept/garbage/").status_code == 404


def test_delegation_expires_at_its_end_date(world: World) -> None:
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email="spouse@home.test",
        scope=["reports"],
        ends_at=timezone.now() + timedelta(days=1),
        actor=world.client_a_owner,
    )
    user = access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username="spouse_su", password="Long-Enough-Pass-42"
    )
    assert access.has_client_perm(user, "clients.view_books", world.client_a)
    Delegation.objects.filter(pk=delegation.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    user = User.objects.get(pk=user.pk)
    assert not access.has_client_perm(user, "clients.view_books", world.client_a)
    assert access_services.expire_access()["delegations"] == 1


@pytest.mark.parametrize(
    ("email", "scope", "days", "message"),
    [
        ("bookkeeper_alice@firm.test", ["reports"], 30, "员工"),
        ("x@law.test", ["reports"], -1, "未来"),
        ("x@law.test", [], 30, "至少"),
        ("not-an-address", ["reports"], 30, "有效"),
    ],
)
def test_bad_invitations_are_refused(
    world: World,
    email: str,
    scope: list[str],
    days: int,
    message: str,
) -> None:
    response = cast.signed_in(world.client_a_owner).post(
        "/portal/delegates/",
        {"email": email, "scope": scope, "ends_at": _local(timezone.now() + timedelta(days=days))},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Delegation.objects.exists()
    assert not AuditEvent.objects.filter(action="delegate_invited").exists()


def test_only_owners_manage_delegates(world: World) -> None:
    assert cast.signed_in(world.bookkeeper_alice).get("/portal/delegates/").status_code == 404
    from clients.models import ClientMembership, ClientRole

    finance = cast.make_client_user("finance_fay")
    ClientMembership.objects.create(client=world.client_a, user=finance, role=ClientRole.FINANCE)
    assert cast.signed_in(finance).get("/portal/delegates/").status_code == 404


# --- Secret fields --------------------------------------------------------------------------------------


@pytest.fixture
def secret_credit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Class the client's credit code as secret for these tests (the books slice declares its own)."""
    monkeypatch.setattr(Client, "SECRET_FIELDS", ("credit_code",), raising=False)


def test_reveal_requires_a_purpose_is_logged_and_shown_to_the_client(world: World, secret_credit_code: None) -> None:
    url = f"/staff/access/reveal/clients.client/{world.client_a.pk}/credit_code/"
    http = cast.signed_in(world.bookkeeper_alice)
    form = http.get(url)
    assert form.status_code == 200 and "91310000MA1FL0000X" not in form.content.decode()
    empty = http.post(url, {"purpose": AccessPurpose.TAX_FILING, "purpose_detail": "  "})
    assert empty.status_code == 400 and "91310000MA1FL0000X" not in empty.content.decode()
    assert not AccessEvent.objects.filter(action="reveal").exists()
    shown = http.post(url, {"purpose": AccessPurpose.TAX_FILING, "purpose_detail": "增值税申报"})
    assert shown.status_code == 200 and "91310000MA1FL0000X" in shown.content.decode()
    event = AccessEvent.objects.get(action="reveal")
    assert event.purpose == "tax_filing: 增值税申报" and event.client_ref == str(world.client_a.pk)
    assert event.object_type == "clients.client.credit_code"

    page = cast.signed_in(world.client_a_owner).get("/portal/access/reveals/")
    assert page.status_code == 200 and "增值税申报" in page.content.decode()
    assert "增值税申报" not in cast.signed_in(world.client_b_owner).get("/portal/access/reveals/").content.decode()


def test_reveal_is_404_without_reveal_permission(world: World, secret_credit_code: None) -> None:
    url = f"/staff/access/reveal/clients.client/{world.client_a.pk}/credit_code/"
    for user in (world.reviewer_rita, world.bookkeeper_bob):
        assert cast.signed_in(user).post(url, {"purpose": "other", "purpose_detail": "x"}).status_code == 404
    assert AccessEvent.objects.filter(action="denied").count() == 2
    assert cast.signed_in(world.bookkeeper_alice).get(url.replace("credit_code", "name")).status_code == 404


def test_secret_field_tag_masks_and_offers_reveal(world: World, secret_credit_code: None) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = world.bookkeeper_alice
    html = Template('{% load access %}{% secret_field client "credit_code" %}').render(
        Context({"client": world.client_a, "request": request})
    )
    assert "91310000MA1FL0000X" not in html and "••••" in html and "hx-get" in html
    request.user = world.reviewer_rita
    html = Template('{% load access %}{% secret_field client "credit_code" %}').render(
        Context({"client": world.client_a, "request": request})
    )
    assert "hx-get" not in html


def test_client_bank_accounts_are_a_secret_field(world: World) -> None:
    client = world.client_a
    client.bank_accounts = [{"bank": "招商银行", "account_number": "6225880212345678"}]
    client.save()
    url = f"/staff/access/reveal/clients.client/{client.pk}/bank_accounts/"
    http = cast.signed_in(world.bookkeeper_alice)
    shown = http.post(url, {"purpose": AccessPurpose.PAYROLL, "purpose_detail": "发放工资"})
    body = shown.content.decode()
    assert shown.status_code == 200 and "6225880212345678" in body and "招商银行" in body
    assert AccessEvent.objects.filter(action="reveal", object_type="clients.client.bank_accounts").count() == 1
