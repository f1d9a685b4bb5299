"""Automatic holds (未结清的债权债务, 未了事项), with time travel across fiscal years, and the page
where staff flag and close open matters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import StaffRole
from audit.models import AccessEvent, AuditEvent
from clients.models import Account, AccountBalance, Client
from confidentiality.models import AssignmentRole
from retention import services
from retention.models import Decision, OpenMatter, RetentionAction
from retention.sources import Volume, all_sources
from tests import access_cast, cast
from tests import retention_helpers as books
from tests.access_cast import World


def _balance(client: Client, account: Account, year: int, month: int, closing: str) -> AccountBalance:
    period = books.period(client, year, month)
    row = AccountBalance(
        client=client,
        account=account,
        period=period,
        fiscal_year=year,
        period_key=year * 100 + month,
        opening=Decimal("0"),
        debit=Decimal(closing),
        credit=Decimal("0"),
        closing=Decimal(closing),
    )
    row.save()
    return row


def _volume(client: Client, category: str, year: int) -> Volume:
    return next(
        v
        for source in all_sources()
        for v in source.volumes(client_id=client.pk)
        if v.category == category and v.fiscal_year == year
    )


@pytest.fixture
def client(db: None) -> Client:
    return books.make_client()


def _counterparty(client: Client, code: str, name: str, side: str = "debit") -> Account:
    return books.sub_account(client, books.standard(code, name, side), f"{code}01", "乙公司")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("1122", "应收账款"),
        ("1123", "预付账款"),
        ("1221", "其他应收款"),
        ("2202", "应付账款"),
        ("2203", "预收账款"),
        ("2241", "其他应付款"),
    ],
)
def test_each_receivable_or_payable_account_with_an_open_balance_holds_the_years_vouchers(
    client: Client, code: str, name: str
) -> None:
    account = _counterparty(client, code, name)
    books.make_voucher(client, 2015, debit_account=account)
    _balance(client, account, 2015, 12, "800.00")
    volume = _volume(client, "journal_voucher", 2015)
    assert services.hold_reasons(volume, today=dt.date(2046, 1, 2)) == [f"open_balance:{account.pk}"]


def test_other_accounts_never_hold(client: Client) -> None:
    notes = _counterparty(client, "1121", "应收票据")  # 应收票据: not in the rule
    books.make_voucher(client, 2015, debit_account=notes)
    _balance(client, notes, 2015, 12, "800.00")
    assert services.hold_reasons(_volume(client, "journal_voucher", 2015), today=dt.date(2046, 1, 2)) == []


def test_a_debt_settled_in_a_later_year_releases_the_year_even_if_new_business_is_open_now(client: Client) -> None:
    customer = _counterparty(client, "1122", "应收账款")
    books.make_voucher(client, 2015, debit_account=customer)
    _balance(client, customer, 2015, 12, "800.00")  # owed at the end of FY2015
    volume = _volume(client, "journal_voucher", 2015)
    # Time travel: in 2016-03 the debt is still open; the 2015 vouchers are held.
    assert services.hold_reasons(volume, today=dt.date(2016, 3, 31)) == [f"open_balance:{customer.pk}"]
    _balance(client, customer, 2016, 6, "0.00")  # paid in June 2016
    _balance(client, customer, 2030, 12, "5000.00")  # new sales to the same customer, open today
    assert services.hold_reasons(volume, today=dt.date(2016, 3, 31)) == [f"open_balance:{customer.pk}"]
    assert services.hold_reasons(volume, today=dt.date(2016, 7, 1)) == []
    assert services.hold_reasons(volume, today=dt.date(2046, 1, 2)) == []
    # ... while FY2030, whose debt is still open, is held.
    books.make_voucher(client, 2030, debit_account=customer)
    assert services.hold_reasons(_volume(client, "journal_voucher", 2030), today=dt.date(2061, 1, 2)) == [
        f"open_balance:{customer.pk}"
    ]


def test_an_open_balance_holds_the_source_documents_of_the_year_but_not_its_bank_statements(client: Client) -> None:
    supplier = _counterparty(client, "2202", "应付账款", "credit")
    books.make_voucher(client, 2015, credit_account=supplier)
    _balance(client, supplier, 2015, 12, "-300.00")
    books.make_document(client, 2015, "source_voucher")
    books.make_document(client, 2015, "bank_statement")
    today = dt.date(2046, 1, 2)
    assert services.hold_reasons(_volume(client, "source_voucher", 2015), today=today) == [
        f"open_balance:{supplier.pk}"
    ]
    assert services.hold_reasons(_volume(client, "bank_statement", 2015), today=today) == []


def test_an_open_balance_keeps_the_volume_out_of_destruction_across_years_until_settled(client: Client) -> None:
    people_archivist = cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)
    customer = _counterparty(client, "1221", "其他应收款")
    books.make_voucher(client, 2015, debit_account=customer)
    _balance(client, customer, 2015, 12, "800.00")
    batch = services.open_appraisal(today=dt.date(2046, 1, 2))  # 30 years after FY2015 ended
    assert batch is not None
    assert batch.items.get(category="journal_voucher").decision == Decision.HELD
    for item in batch.items.filter(decision=Decision.PENDING):  # the year's ledger: kept a year longer
        services.appraise_item(
            item, decision=Decision.EXTEND, new_period_years=item.period_years + 1, actor=people_archivist
        )
    assert services.issue_appraisal_opinion(batch, actor=people_archivist) is None  # nothing to destroy
    _balance(client, customer, 2046, 3, "0.00")  # settled in March 2046
    later = services.open_appraisal(today=dt.date(2046, 4, 1))
    assert later is not None
    assert later.items.get(category="journal_voucher").decision == Decision.PENDING


def test_an_open_matter_on_a_voucher_holds_that_years_vouchers_and_source_documents_until_closed(
    client: Client,
) -> None:
    staff = cast.make_staff("manager_mo", StaffRole.MANAGER)
    voucher = books.make_voucher(client, 2015)
    books.make_document(client, 2015, "source_voucher")
    books.make_document(client, 2015, "bank_statement")
    matter = services.flag_open_matter(client=client, fiscal_year=1999, note="押金未退", actor=staff, voucher=voucher)
    assert matter.fiscal_year == 2015  # the voucher's year wins
    today = dt.date(2046, 1, 2)
    assert services.hold_reasons(_volume(client, "journal_voucher", 2015), today=today) == [f"open_matter:{matter.pk}"]
    assert services.hold_reasons(_volume(client, "source_voucher", 2015), today=today) == [f"open_matter:{matter.pk}"]
    assert services.hold_reasons(_volume(client, "bank_statement", 2015), today=today) == []
    services.close_open_matter(matter, actor=staff)
    assert services.hold_reasons(_volume(client, "journal_voucher", 2015), today=today) == []
    flagged = AuditEvent.objects.get(action=RetentionAction.OPEN_MATTER_FLAGGED)
    assert "押金" not in str(flagged.details)
    assert AuditEvent.objects.filter(action=RetentionAction.OPEN_MATTER_CLOSED, actor=staff).count() == 1


def test_an_open_matter_on_a_year_holds_every_record_of_that_year_only(client: Client) -> None:
    staff = cast.make_staff("manager_mo", StaffRole.MANAGER)
    books.make_voucher(client, 2015)
    books.make_voucher(client, 2016)
    books.make_document(client, 2015, "bank_statement")
    matter = services.flag_open_matter(client=client, fiscal_year=2015, note="诉讼中", actor=staff)
    today = dt.date(2047, 1, 2)
    assert services.hold_reasons(_volume(client, "bank_statement", 2015), today=today) == [f"open_matter:{matter.pk}"]
    assert services.hold_reasons(_volume(client, "journal_voucher", 2015), today=today) == [f"open_matter:{matter.pk}"]
    assert services.hold_reasons(_volume(client, "journal_voucher", 2016), today=today) == []


# --- The open-matters page ----------------------------------------------------------------------------


@pytest.fixture
def world(db: None) -> World:
    return access_cast.build_world()


def _url(client: Client) -> str:
    return f"/staff/retention/clients/{client.pk}/open-matters/"


def test_assigned_bookkeeper_flags_a_voucher_and_the_manager_closes_it(world: World) -> None:
    voucher = books.make_voucher(world.client_a, 2015)
    alice = cast.signed_in(world.bookkeeper_alice)
    response = alice.post(
        _url(world.client_a),
        {"fiscal_year": "2015", "voucher_number": str(voucher.number), "month": "12", "note": "对方欠款争议"},
    )
    assert response.status_code == 302
    matter = OpenMatter.objects.get()
    assert (matter.voucher_id, matter.fiscal_year, matter.flagged_by) == (voucher.pk, 2015, world.bookkeeper_alice)
    assert AuditEvent.objects.filter(
        action=RetentionAction.OPEN_MATTER_FLAGGED, client_ref=str(world.client_a.pk)
    ).exists()
    page = alice.get(_url(world.client_a))
    assert "对方欠款争议" in page.content.decode()
    event = AccessEvent.objects.filter(object_type="retention.openmatter").last()
    assert event is not None and event.object_ids == [str(matter.pk)] and event.actor == world.bookkeeper_alice
    # The bookkeeper may flag, not close: closing ends the hold.
    assert alice.post(_url(world.client_a), {"action": "close", "matter": str(matter.pk)}).status_code == 404
    assert OpenMatter.objects.get().closed_at is None
    partner = cast.signed_in(world.partner)
    assert partner.post(_url(world.client_a), {"action": "close", "matter": str(matter.pk)}).status_code == 302
    matter.refresh_from_db()
    assert matter.closed_by == world.partner


def test_open_matters_page_is_missing_for_staff_of_another_client(world: World) -> None:
    matter = services.flag_open_matter(client=world.client_a, fiscal_year=2015, note="x", actor=world.partner)
    bob = cast.signed_in(world.bookkeeper_bob)
    assert bob.get(_url(world.client_a)).status_code == 404
    assert bob.post(_url(world.client_a), {"fiscal_year": "2015", "note": "y"}).status_code == 404
    # Closing client A's matter through client B's page (bob is not B's manager either): missing.
    assert (
        cast.signed_in(world.partner)
        .post(_url(world.client_b), {"action": "close", "matter": str(matter.pk)})
        .status_code
        == 404
    )
    assert cast.signed_in(world.outsider).get(_url(world.client_a)).status_code == 404
    assert AccessEvent.objects.filter(actor=world.bookkeeper_bob, action="denied").exists()
    assert OpenMatter.objects.filter(closed_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fiscal_year": "2015", "note": "  "}, "未了"),
        ({"fiscal_year": "abc", "note": "x"}, "整数"),
        ({"fiscal_year": "2015", "voucher_number": "77", "month": "12", "note": "x"}, "凭证"),
        ({"fiscal_year": "2015", "voucher_number": "1", "note": "x"}, "月份"),
    ],
)
def test_bad_open_matter_input_gets_a_message_and_changes_nothing(
    world: World, data: dict[str, str], message: str
) -> None:
    books.make_voucher(world.client_a, 2015)
    response = cast.signed_in(world.bookkeeper_alice).post(_url(world.client_a), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OpenMatter.objects.exists()


def test_a_voucher_of_another_client_cannot_be_flagged(world: World) -> None:
    access_cast.assign(world.admin, world.client_b, world.bookkeeper_alice, AssignmentRole.BOOKKEEPER)
    books.make_voucher(world.client_b, 2015)
    response = cast.signed_in(world.bookkeeper_alice).post(
        _url(world.client_a), {"fiscal_year": "2015", "voucher_number": "1", "month": "12", "note": "x"}
    )
    assert response.status_code == 400
    assert not OpenMatter.objects.exists()
