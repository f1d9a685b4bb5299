"""The retention pages: queues per person, appraisal, signing, supervision, registers, handover."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import StaffRole
from clients.models import ClientMembership
from retention import handover, services
from retention.models import DestructionList, Handover, HandoverState, ListState, Register, Signature
from tests import cast
from tests import retention_helpers as books
from tests.retention_cast import Signers, assign_supervisors, destroy_all_and_prepare, make_signers

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def people(db: None) -> Signers:
    return make_signers()


@pytest.fixture
def dlist(people: Signers) -> DestructionList:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    return destroy_all_and_prepare(batch, people)


def test_archivist_queue_lists_open_appraisals(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    page = cast.signed_in(people.preparer).get("/staff/retention/")
    assert page.status_code == 200
    assert batch.number in page.content.decode()
    detail = cast.signed_in(people.preparer).get(f"/staff/retention/appraisals/{batch.pk}/")
    assert detail.status_code == 200
    assert "上海" not in detail.content.decode()  # pages show codes, never client names


def test_appraisal_page_is_missing_for_a_bookkeeper(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    outsider = cast.make_staff("bookkeeper_bo", StaffRole.BOOKKEEPER)
    assert cast.signed_in(outsider).get(f"/staff/retention/appraisals/{batch.pk}/").status_code == 404


def test_signer_queue_and_signing_through_the_page(dlist: DestructionList, people: Signers) -> None:
    page = cast.signed_in(people.firm_head).get("/staff/retention/")
    assert dlist.number in page.content.decode()
    from retention.queries import lists_to_sign

    assert lists_to_sign(people.preparer) == []  # the preparer is never asked to sign
    response = cast.signed_in(people.firm_head).post(
        f"/staff/retention/lists/{dlist.pk}/", {"action": "sign", "slot": "firm_head"}
    )
    assert response.status_code == 302
    assert Signature.objects.filter(destruction_list=dlist, signer=people.firm_head).exists()


def test_refused_signature_shows_a_message_and_changes_nothing(dlist: DestructionList, people: Signers) -> None:
    browser = cast.signed_in(people.preparer)
    response = browser.post(
        f"/staff/retention/lists/{dlist.pk}/", {"action": "sign", "slot": "archives_head"}, follow=True
    )
    assert response.status_code == 200
    assert not Signature.objects.filter(destruction_list=dlist).exists()
    assert "编制人不得签署" in response.content.decode() or "preparer" in response.content.decode()


def test_bad_input_never_500s(dlist: DestructionList, people: Signers) -> None:
    browser = cast.signed_in(people.preparer)
    for data in (
        {"action": "sign", "slot": "nope"},
        {"action": "supervisor", "slot": "x", "supervisor": "abc"},
        {"action": "zzz"},
    ):
        assert browser.post(f"/staff/retention/lists/{dlist.pk}/", data).status_code == 302
    assert (
        browser.post("/staff/retention/schedule/", {"category": "bank_statement", "years": "three"}).status_code == 302
    )
    assert browser.post("/staff/retention/schedule/", {"category": "nope", "years": "3"}).status_code == 302


def test_supervisor_confirms_from_the_queue(dlist: DestructionList, people: Signers) -> None:
    from tests.retention_cast import sign_all

    assign_supervisors(dlist, people)
    sign_all(dlist, people)
    services.execute_destruction(dlist.pk)
    assert dlist.number in cast.signed_in(people.it_supervisor).get("/staff/retention/").content.decode()
    cast.signed_in(people.it_supervisor).post(f"/staff/retention/lists/{dlist.pk}/", {"action": "confirm"})
    assert dlist.supervisions.get(supervisor=people.it_supervisor).confirmed_at is not None
    custody = cast.signed_in(people.preparer).get("/staff/retention/registers/")
    assert custody.status_code == 200
    register = Register.objects.filter(fmt="pdf").first()
    assert register is not None
    download = cast.signed_in(people.preparer).get(f"/staff/retention/registers/{register.pk}/")
    assert download.content.startswith(b"%PDF")


def test_handover_receipt_in_the_portal_schedules_the_firms_copy(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 2020, summary="交接")
    client.contacts = [{"name": "张会计", "phone": "13800000000"}]
    client.save()
    owner = cast.make_client_user("client_owner_zhang")
    ClientMembership.objects.create(client=client, user=owner, role="owner")
    item = handover.prepare_handover(client=client, actor=people.preparer, firm_keeps_archives=False)
    assert Register.objects.filter(subject_id=item.pk, kind="handover_list").count() == 2
    assert handover.read_package(item)[:2] == b"PK"
    portal = cast.signed_in(owner)
    page = portal.get("/portal/handover/")
    assert item.number in page.content.decode()
    assert portal.get(f"/portal/handover/{item.pk}/package/").status_code == 200
    portal.post("/portal/handover/", {"handover": str(item.pk)})
    item = Handover.objects.get(pk=item.pk)
    assert item.state == HandoverState.RECEIVED
    assert item.delete_after == dt.date.today() + dt.timedelta(days=item.grace_days)  # noqa: DTZ011
    client.refresh_from_db()
    assert client.contacts == []
    # After the grace period the firm's copy goes to appraisal, although its 30 years still run.
    batch = services.open_appraisal(today=item.delete_after + dt.timedelta(days=1))  # type: ignore[operator]
    assert batch is not None and batch.items.filter(fiscal_year=2020).exists()
    stranger = cast.make_client_user("client_stranger")
    assert cast.signed_in(stranger).get(f"/portal/handover/{item.pk}/package/").status_code == 404


def test_erasure_assessment_erases_schedules_and_locks(people: Signers) -> None:
    from retention.queries import is_locked

    client = books.make_client()
    client.contacts = [{"name": "李出纳"}]
    client.save()
    books.make_voucher(client, 1990)  # past 30 years
    books.make_voucher(client, 2020)  # still kept
    books.make_document(client, 2000, "annual_report")  # permanent
    result = handover.assess_erasure(client, actor=people.preparer)
    assert [e["what"] for e in result.scheduled] == ["记账凭证 1990"]
    assert {e["what"] for e in result.locked} == {"记账凭证 2020", "年度财务会计报告 2000"}
    assert len(result.erased) == 1
    client.refresh_from_db()
    assert client.contacts == []
    assert is_locked(client.pk, category="journal_voucher", fiscal_year=2020)
    assert not is_locked(client.pk, category="journal_voucher", fiscal_year=1990)


def test_list_page_hidden_from_unrelated_staff(dlist: DestructionList) -> None:
    outsider = cast.make_staff("bookkeeper_bea", StaffRole.BOOKKEEPER)
    assert cast.signed_in(outsider).get(f"/staff/retention/lists/{dlist.pk}/").status_code == 404
    assert dlist.state == ListState.SIGNING
