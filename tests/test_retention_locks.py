"""PIPL Art. 47 processing locks, enforced by the access layer: locked data is storage and security
only, readable by the archivist alone (through their own assignment or grant), changed by nobody.
Also: engagement end crypto-shreds the employees' payroll data unless a retention duty applies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from clients import services as books_services
from clients.models import ArchiveKeeper, Client, Document, Employee, Voucher, employee_scope
from confidentiality import access, crypto
from confidentiality.models import AssignmentRole, DataKey, DataKeyState
from retention import handover
from retention.models import ProcessingLock, RetentionAction
from tests import access_cast, cast
from tests import retention_helpers as books
from tests.access_cast import World


@pytest.fixture
def world(db: None) -> World:
    return access_cast.build_world()


@pytest.fixture
def archivist(world: World) -> User:
    """An archivist who reads client A through an assignment of their own (least privilege holds)."""
    user = cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)
    access_cast.assign(world.partner, world.client_a, user, AssignmentRole.REVIEWER)
    return user


def _lock(client: Client, category: str = "", year: int | None = None) -> None:
    ProcessingLock.objects.create(client_id=client.pk, category=category, fiscal_year=year, reason="erasure_request")


def _voucher_url(voucher: Voucher, suffix: str = "") -> str:
    return f"/staff/clients/{voucher.client_id}/vouchers/{voucher.pk}/{suffix}"


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a new request: no per-request caches


def test_a_locked_client_is_missing_for_its_staff_and_the_refusal_is_recorded(world: World) -> None:
    voucher = books.make_voucher(world.client_a, 2020)
    alice = cast.signed_in(world.bookkeeper_alice)
    assert alice.get(_voucher_url(voucher)).status_code == 200
    _lock(world.client_a)
    assert alice.get(_voucher_url(voucher)).status_code == 404
    assert alice.get(f"/staff/clients/{world.client_a.pk}/").status_code == 404
    assert AccessEvent.objects.filter(actor=world.bookkeeper_alice, action="denied").exists()
    assert world.client_a not in access.visible_clients(_fresh(world.bookkeeper_alice))
    # Client B is untouched.
    assert access.has_client_perm(_fresh(world.bookkeeper_bob), "clients.view_books", world.client_b)


def test_the_clients_own_people_keep_reading_a_locked_client_but_change_nothing(world: World) -> None:
    """The lock restricts the firm's processing, not the client's right to its own records: the
    owner still reads the books and the handover page, and uploads nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    voucher = books.make_voucher(world.client_a, 2020)
    _lock(world.client_a)
    owner = _fresh(world.client_a_owner)
    assert access.get_client_for_user(owner, world.client_a.pk) == world.client_a
    assert world.client_a in access.visible_clients(owner, perm="clients.view_books")
    assert access.get_object_for_user(owner, Voucher, voucher.pk, perm="clients.view_books") == voucher
    assert not access.has_client_perm(owner, "clients.upload_documents", world.client_a)
    portal = cast.signed_in(world.client_a_owner)
    assert portal.get("/portal/handover/").status_code == 200
    assert portal.get(f"/portal/books/?client={world.client_a.pk}").status_code == 200
    before = Document.objects.filter(client=world.client_a).count()
    response = portal.post(
        "/portal/documents/upload/",
        {
            "client": str(world.client_a.pk),
            "fiscal_year": 2020,
            "archive_category": "source_voucher",
            "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
        },
    )
    assert response.status_code == 404
    assert Document.objects.filter(client=world.client_a).count() == before
    # A year lock does not hide that year's vouchers from the owner either.
    ProcessingLock.objects.all().delete()
    _lock(world.client_a, year=2020)
    owner = _fresh(world.client_a_owner)
    assert access.visible_to(owner, Voucher.objects.all(), perm="clients.view_books").filter(pk=voucher.pk).exists()
    assert (
        access.visible_to(_fresh(world.bookkeeper_alice), Voucher.objects.all(), perm="clients.view_books")
        .filter(pk=voucher.pk)
        .exists()
        is False
    )


def test_the_archivist_reads_a_locked_client_but_nobody_changes_it(world: World, archivist: User) -> None:
    voucher = books.make_voucher(world.client_a, 2020)
    _lock(world.client_a)
    reader = cast.signed_in(archivist)
    assert reader.get(_voucher_url(voucher)).status_code == 200
    assert world.client_a in access.visible_clients(_fresh(archivist), perm="clients.view_books")
    # Changes are refused to everyone, the archivist included (their reviewer role would post).
    assert not access.has_client_perm(_fresh(archivist), "clients.review_vouchers", world.client_a)
    assert reader.post(_voucher_url(voucher, "review/")).status_code == 404
    assert not access.has_client_perm(_fresh(world.partner), "clients.manage_client", world.client_a)
    assert cast.signed_in(world.bookkeeper_alice).post(_voucher_url(voucher, "delete/")).status_code == 404
    assert Voucher.objects.filter(pk=voucher.pk, state="draft").exists()


def test_a_volume_lock_refuses_that_years_vouchers_only(world: World, archivist: User) -> None:
    locked = books.make_voucher(world.client_a, 2020)
    open_year = books.make_voucher(world.client_a, 2021)
    _lock(world.client_a, "journal_voucher", 2020)
    alice = cast.signed_in(world.bookkeeper_alice)
    assert alice.get(_voucher_url(locked)).status_code == 404
    denied = AccessEvent.objects.filter(actor=world.bookkeeper_alice, action="denied").last()
    assert denied is not None and denied.object_ids == [str(locked.pk)]
    assert alice.get(_voucher_url(open_year)).status_code == 200
    listing = alice.get(f"/staff/clients/{world.client_a.pk}/vouchers/").content.decode()
    assert str(open_year.pk) in listing and str(locked.pk) not in listing
    # The archivist reads the locked voucher; nobody edits it.
    assert cast.signed_in(archivist).get(_voucher_url(locked)).status_code == 200
    with pytest.raises(Http404):
        access.get_object_for_user(_fresh(world.bookkeeper_alice), Voucher, locked.pk, perm="clients.prepare_vouchers")
    with pytest.raises(Http404):
        access.get_object_for_user(_fresh(archivist), Voucher, locked.pk, perm="clients.review_vouchers")


def test_the_books_refuse_to_enter_or_post_into_a_locked_year(world: World) -> None:
    from django.core.exceptions import ValidationError

    from clients.services import LineInput

    cash = books.standard("1001", "库存现金", "debit")
    income = books.standard("6001", "主营业务收入", "credit")
    draft = books.make_voucher(world.client_a, 2020)
    _lock(world.client_a, "journal_voucher", 2020)
    lines = [
        LineInput(account_id=cash.pk, summary="收款", debit="10.00"),
        LineInput(account_id=income.pk, summary="收入", credit="10.00"),
    ]
    with pytest.raises(ValidationError) as refused:
        books_services.create_voucher(
            world.client_a, date=dt.date(2020, 5, 1), lines=lines, actor=world.bookkeeper_alice
        )
    assert refused.value.code == "locked"
    with pytest.raises(ValidationError):
        books_services.review_voucher(draft, actor=world.reviewer_rita)
    assert Voucher.objects.filter(client=world.client_a).count() == 1
    # Another year is open for work.
    created = books_services.create_voucher(
        world.client_a, date=dt.date(2021, 5, 1), lines=lines, actor=world.bookkeeper_alice
    )
    assert created.fiscal_year == 2021


def test_a_year_lock_covers_every_category_of_that_year(world: World, archivist: User) -> None:
    statement = books.make_document(world.client_a, 2019, "bank_statement")
    other_year = books.make_document(world.client_a, 2018, "bank_statement")
    _lock(world.client_a, "", 2019)
    alice = _fresh(world.bookkeeper_alice)
    with pytest.raises(Http404):
        access.get_object_for_user(alice, Document, statement.pk, perm="clients.view_documents")
    assert access.get_object_for_user(alice, Document, other_year.pk, perm="clients.view_documents") == other_year
    visible = access.visible_to(alice, Document.objects.all(), perm="clients.view_documents")
    assert list(visible) == [other_year]
    archivist_sees = access.visible_to(_fresh(archivist), Document.objects.all(), perm="clients.view_documents")
    assert set(archivist_sees) == {statement, other_year}
    # A category lock of another category leaves the statements alone.
    ProcessingLock.objects.all().delete()
    _lock(world.client_a, "journal_voucher", 2019)
    assert access.get_object_for_user(
        _fresh(world.bookkeeper_alice), Document, statement.pk, perm="clients.view_documents"
    )


def test_the_lock_check_costs_at_most_one_query_per_request(world: World) -> None:
    vouchers = [books.make_voucher(world.client_a, year) for year in (2019, 2020, 2021)]

    def queries_for(user: User) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            for voucher in vouchers:
                access.get_object_for_user(user, Voucher, voucher.pk, perm="clients.view_books")
        lock_queries = sum("retention_processinglock" in q["sql"] for q in captured.captured_queries)
        return len(captured.captured_queries), lock_queries

    baseline, lock_queries = queries_for(_fresh(world.bookkeeper_alice))
    assert lock_queries == 1  # asked once, cached for the request
    for year in (2001, 2002, 2003):
        _lock(world.client_a, "bank_statement", year)  # locks that do not cover these vouchers
    with_locks, lock_queries = queries_for(_fresh(world.bookkeeper_alice))
    assert (with_locks, lock_queries) == (baseline, 1)
    # Lists decide inside their own SQL: no query at all for the locks.
    alice = _fresh(world.bookkeeper_alice)
    with CaptureQueriesContext(connection) as captured:
        listed = list(access.visible_to(alice, Voucher.objects.all(), perm="clients.view_books"))
    assert len(listed) == 3
    assert not any("retention_processinglock" in q["sql"] for q in captured.captured_queries[:-1])
    assert "retention_processinglock" in captured.captured_queries[-1]["sql"]  # inside the list's own query


@pytest.mark.parametrize("today", [dt.date(2040, 6, 1), dt.date(2047, 6, 1), dt.date(2052, 1, 2)])
def test_an_erasure_request_locks_exactly_the_years_still_under_retention(
    world: World, monkeypatch: pytest.MonkeyPatch, today: dt.date
) -> None:
    years = {2005, 2015, 2020, 2040}
    for year in years:
        books.make_voucher(world.client_a, year)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)  # time travel
    archivist = cast.make_staff("archivist_abe", StaffRole.ARCHIVIST)
    result = handover.assess_erasure(world.client_a, actor=archivist)
    # 记账凭证: 30 years from the first day after the fiscal year (FY2005 → through 2035-12-31).
    expected_locked = {y for y in years if dt.date(y + 30, 12, 31) >= today}
    assert 2040 in expected_locked and len(expected_locked) < len(years)
    locked = set(
        ProcessingLock.objects.filter(client_id=world.client_a.pk, category="journal_voucher").values_list(
            "fiscal_year", flat=True
        )
    )
    assert locked == expected_locked
    assert {int(e["what"].split()[-1]) for e in result.scheduled} == years - expected_locked
    for voucher in Voucher.objects.filter(client=world.client_a):
        refused = voucher.fiscal_year in expected_locked
        try:
            access.get_object_for_user(_fresh(world.bookkeeper_alice), Voucher, voucher.pk, perm="clients.view_books")
        except Http404:
            assert refused
        else:
            assert not refused


# --- Employees' personal data at engagement end (PIPL Art. 21) ----------------------------------------


def _engagement_with_employees(world: World, keeper: str) -> tuple[Any, list[Employee]]:
    engagement = books_services.open_engagement(
        world.client_a,
        contract_start=dt.date(2020, 1, 1),
        scope="代理记账",
        archive_keeper=keeper,
        actor=world.partner,
    )
    employees = [
        books_services.record_employee(
            engagement, name=name, id_number=number, bank_account="6222020000000001", actor=world.bookkeeper_alice
        )
        for name, number in [("王小明", "310101199001011234"), ("李小红", "31010119920202121X")]
    ]
    return engagement, employees


def _raw(employee: Employee) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM clients_employee WHERE id = %s", [employee.pk])
        return bytes(cursor.fetchone()[0])


def test_engagement_end_crypto_shreds_the_employees_payroll_data(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    engagement, employees = _engagement_with_employees(world, ArchiveKeeper.CLIENT)
    old_ciphertext = _raw(employees[0])
    assert b"310101199001011234" not in old_ciphertext  # encrypted at rest
    archivist = cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)
    item = handover.prepare_handover(client=world.client_a, actor=archivist)
    assert item.firm_keeps_archives is False
    with django_capture_on_commit_callbacks(execute=True):  # the keystore deletes on commit
        handover.confirm_handover_receipt(item, actor=world.client_a_owner)
    assert not Employee.objects.filter(client=world.client_a).exists()
    scope = employee_scope(world.client_a.pk, engagement.pk)
    keys = DataKey.objects.filter(owner=scope.owner, year=None)
    assert keys.exists() and all(k.state == DataKeyState.DESTROYED for k in keys)
    assert all(crypto.provider().get(str(k.pk), context=k.wrap_context()) is None for k in keys)
    crypto.reset_caches()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(b"any", old_ciphertext)  # a backup's copy no longer decrypts
    # The client's other data still decrypts.
    assert Client.objects.get(pk=world.client_a.pk).name == "上海甲贸易有限公司"
    event = AuditEvent.objects.get(action=RetentionAction.PERSONAL_DATA_SHREDDED)
    assert event.details["rows"] == 2 and "王小明" not in str(event.details)
    received = AuditEvent.objects.get(action=RetentionAction.HANDOVER_RECEIVED)
    assert "clients.employee" in received.details["personal_data_erased"]


def test_engagement_end_locks_the_employees_data_when_the_firm_keeps_the_archives(
    world: World, archivist: User
) -> None:
    _engagement, employees = _engagement_with_employees(world, ArchiveKeeper.FIRM)
    item = handover.prepare_handover(client=world.client_a, actor=archivist)
    handover.confirm_handover_receipt(item, actor=world.client_a_owner)
    assert Employee.objects.filter(client=world.client_a).count() == 2
    assert AuditEvent.objects.filter(action=RetentionAction.PERSONAL_DATA_LOCKED).count() == 1
    with pytest.raises(Http404):
        access.get_object_for_user(
            _fresh(world.bookkeeper_alice), Employee, employees[0].pk, perm="clients.reveal_secret"
        )
    with pytest.raises(Http404):
        access.get_object_for_user(
            _fresh(world.bookkeeper_alice), Employee, employees[0].pk, perm="clients.view_client"
        )
    # Storage and security only: the archivist alone reads it; it still decrypts.
    found = access.get_object_for_user(_fresh(archivist), Employee, employees[0].pk, perm="clients.view_client")
    assert found.id_number == "310101199001011234"
    assert not access.visible_to(_fresh(world.bookkeeper_alice), Employee.objects.all()).exists()


def test_employees_are_recorded_only_during_an_active_engagement(world: World) -> None:
    from django.core.exceptions import ValidationError

    engagement, _employees = _engagement_with_employees(world, ArchiveKeeper.CLIENT)
    engagement.state = "ending"
    with pytest.raises(ValidationError):
        books_services.record_employee(engagement, name="赵", id_number="1", bank_account="", actor=world.partner)
    with pytest.raises(ValidationError):
        engagement.state = "active"
        books_services.record_employee(engagement, name=" ", id_number="1", bank_account="", actor=world.partner)


def test_reports_of_a_locked_year_are_refused_but_other_years_and_the_archivist_read(
    world: World, archivist: User
) -> None:
    books.make_voucher(world.client_a, 2020)
    _lock(world.client_a, category="general_ledger", year=2020)
    base = f"/staff/clients/{world.client_a.pk}/reports"
    locked = {"year": 2020, "month_from": 1, "month_to": 12}
    alice = cast.signed_in(world.bookkeeper_alice)
    for path, query in (
        ("trial-balance", locked),
        ("general-ledger", {"year": 2020, "month": 12}),
        ("balance-sheet", {"year": 2020, "month": 12}),
    ):
        assert alice.get(f"{base}/{path}/", query).status_code == 404, path
    assert AccessEvent.objects.filter(
        actor=world.bookkeeper_alice, action="denied", object_type="clients.report", object_ids=["2020"]
    ).exists()
    assert alice.get(f"{base}/trial-balance/", {"year": 2021, "month_from": 1, "month_to": 12}).status_code == 200
    assert cast.signed_in(archivist).get(f"{base}/trial-balance/", locked).status_code == 200
