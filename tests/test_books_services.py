"""The bookkeeping services: clients, engagements, vouchers through their states, periods, balances."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from audit.models import AuditEvent
from clients import services
from clients.models import (
    AccountBalance,
    AccountingPeriod,
    ArchiveKeeper,
    BooksAction,
    Client,
    EngagementState,
    Voucher,
    VoucherKind,
    VoucherLine,
    VoucherState,
)
from tests.books import account, lines, make_client, posted_voucher, sale

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2025, 3, 15)


def _counts() -> tuple[int, int, int, int]:
    return (
        Voucher.objects.count(),
        VoucherLine.objects.count(),
        AccountBalance.objects.count(),
        Client.objects.count(),
    )


def _balance(client: Client, code: str, year: int, month: int) -> AccountBalance:
    return AccountBalance.objects.get(client=client, account=account(code), period__year=year, period__month=month)


def test_create_client_encrypts_and_audits_without_plaintext(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    fresh = Client.objects.get(pk=client.pk)
    assert fresh.name == "上海示例贸易有限公司"
    assert fresh.bank_accounts == [{"bank": "招商银行", "account_number": "6225880000000000"}]
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, contacts, bank_accounts FROM clients_client")
        raw = b"".join(bytes(v) for v in cursor.fetchone())
    assert "示例路".encode() not in raw and b"6225880000000000" not in raw
    event = AuditEvent.objects.get(action=BooksAction.CLIENT_CREATED)
    assert event.client_ref == str(client.pk)
    dumped = json.dumps(event.details, ensure_ascii=False)
    assert "示例" not in dumped and "6225880000000000" not in dumped


def test_invalid_credit_code_saves_nothing(bookkeeper_alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make_client(bookkeeper_alice, code="91350100M000100Y44")
    assert "校验" in " ".join(caught.value.messages) or "check character" in " ".join(caught.value.messages)
    assert Client.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_engagement_states_follow_the_allowed_path(bookkeeper_alice: User, partner: User) -> None:
    client = make_client(bookkeeper_alice)
    engagement = services.open_engagement(
        client,
        contract_start=datetime.date(2025, 1, 1),
        contract_end=datetime.date(2025, 12, 31),
        scope="代理记账、纳税申报",
        archive_keeper=ArchiveKeeper.FIRM,
        archive_custodian="赵档案",
        manager=partner,
        actor=partner,
    )
    with pytest.raises(ValidationError):
        services.change_engagement_state(engagement, state=EngagementState.ARCHIVED, actor=partner)
    for state in (EngagementState.ENDING, EngagementState.HANDED_OVER, EngagementState.ARCHIVED):
        engagement = services.change_engagement_state(engagement, state=state, actor=partner)
    assert engagement.state == EngagementState.ARCHIVED
    with pytest.raises(ValidationError):
        services.open_engagement(
            client,
            contract_start=datetime.date(2025, 1, 1),
            contract_end=datetime.date(2024, 1, 1),
            scope="x",
            archive_keeper=ArchiveKeeper.FIRM,
            actor=partner,
        )


def test_voucher_goes_draft_reviewed_posted_with_people_recorded(
    bookkeeper_alice: User, reviewer_rita: User, partner: User
) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale("1200.50"), actor=bookkeeper_alice)
    assert (voucher.state, voucher.number, voucher.fiscal_year) == (VoucherState.DRAFT, 1, 2025)
    services.review_voucher(voucher, actor=reviewer_rita)
    posted = services.post_voucher(voucher, actor=partner)
    posted.refresh_from_db()
    assert posted.state == VoucherState.POSTED
    assert (posted.preparer, posted.reviewer, posted.poster) == (bookkeeper_alice, reviewer_rita, partner)
    assert posted.total == Decimal("1200.50")
    actions = list(AuditEvent.objects.filter(target_id=str(voucher.pk)).values_list("action", flat=True))
    assert actions == [BooksAction.VOUCHER_CREATED, BooksAction.VOUCHER_REVIEWED, BooksAction.VOUCHER_POSTED]
    for details in AuditEvent.objects.values_list("details", flat=True):
        assert "1200.50" not in json.dumps(details) and "货款" not in json.dumps(details, ensure_ascii=False)


def test_line_amounts_and_summaries_are_ciphertext_in_the_table(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    services.create_voucher(client, date=MARCH, lines=sale("777777.77"), actor=bookkeeper_alice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary, debit, credit FROM clients_voucherline")
        raw = b"".join(bytes(v) for row in cursor.fetchall() for v in row if v is not None)
    assert b"777777" not in raw and "货款".encode() not in raw


def test_preparer_cannot_review_own_voucher(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    with pytest.raises(ValidationError) as caught:
        services.review_voucher(voucher, actor=bookkeeper_alice)
    assert caught.value.code == "reviewer_is_preparer"
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.DRAFT


def test_database_refuses_reviewer_equal_to_preparer(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(
            reviewer=bookkeeper_alice, state=VoucherState.REVIEWED, reviewed_at=voucher.prepared_at
        )


def test_database_refuses_a_line_with_both_sides(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    line = voucher.lines.get(position=1)
    line.credit = Decimal("1.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_posting_needs_a_review_first(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    with pytest.raises(ValidationError):
        services.post_voucher(voucher, actor=reviewer_rita)
    assert AccountBalance.objects.count() == 0


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ([], "empty_voucher"),
        ([("1002", "收款", "100.00", None)], "empty_voucher"),
        ([("1002", "收款", "100.00", None), ("5001", "收入", None, "90.00")], "unbalanced"),
        ([("1002", "收款", "100.00", "100.00"), ("5001", "收入", None, "100.00")], "both_sides"),
        ([("1002", "收款", "100.001", None), ("5001", "收入", None, "100.001")], "amount_decimals"),
        ([("1002", "收款", "1e15", None), ("5001", "收入", None, "1e15")], "amount_too_large"),
        ([("1002", "", "100", None), ("5001", "收入", None, "100")], "summary"),
        ([("1002", "收款", None, None), ("5001", "收入", None, "100")], "no_amount"),
        ([("1002", "收款", "-100", None), ("5001", "收入", None, "-100")], "amount_not_positive"),
    ],
)
def test_bad_vouchers_are_refused_and_nothing_is_saved(
    bookkeeper_alice: User, spec: list[tuple[str, str, str | None, str | None]], code: str
) -> None:
    client = make_client(bookkeeper_alice)
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.create_voucher(client, date=MARCH, lines=lines(*spec), actor=bookkeeper_alice)
    assert code in {e.code for e in caught.value.error_list}
    assert _counts() == before
    assert not AuditEvent.objects.filter(action=BooksAction.VOUCHER_CREATED).exists()


def test_error_messages_are_in_chinese_by_default(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    with pytest.raises(ValidationError) as caught:
        services.create_voucher(
            client,
            date=MARCH,
            lines=lines(("1002", "收款", "100.00", None), ("5001", "收入", None, "90.00")),
            actor=bookkeeper_alice,
        )
    assert "借贷不平" in " ".join(caught.value.messages)


def test_account_split_into_sub_accounts_takes_no_lines(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    sub = services.create_sub_account(client, parent=account("1122"), name="客户甲", actor=bookkeeper_alice)
    assert sub.code == "112201" and sub.display_name.endswith("客户甲")
    with pytest.raises(ValidationError) as caught:
        services.create_voucher(
            client,
            date=MARCH,
            lines=lines(("1122", "应收", "10", None), ("5001", "收入", None, "10")),
            actor=bookkeeper_alice,
        )
    assert "account" in {e.code for e in caught.value.error_list}
    voucher = services.create_voucher(
        client,
        date=MARCH,
        lines=[
            services.LineInput(account_id=sub.pk, summary="应收", debit="10"),
            services.LineInput(account_id=account("5001").pk, summary="收入", credit="10"),
        ],
        actor=bookkeeper_alice,
    )
    assert voucher.lines.count() == 2


def test_another_clients_sub_account_is_refused(bookkeeper_alice: User) -> None:
    from tests.books import OTHER_VALID_CODE

    a = make_client(bookkeeper_alice)
    b = make_client(bookkeeper_alice, name="乙公司", code=OTHER_VALID_CODE)
    sub_b = services.create_sub_account(b, parent=account("1122"), name="客户乙", actor=bookkeeper_alice)
    with pytest.raises(ValidationError):
        services.create_voucher(
            a,
            date=MARCH,
            lines=[
                services.LineInput(account_id=sub_b.pk, summary="x", debit="10"),
                services.LineInput(account_id=account("5001").pk, summary="x", credit="10"),
            ],
            actor=bookkeeper_alice,
        )


def test_duplicate_voucher_number_is_refused(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice, number=7)
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.create_voucher(client, date=MARCH.replace(day=20), lines=sale(), actor=bookkeeper_alice, number=7)
    assert caught.value.code == "duplicate_number"
    assert _counts() == before
    # The same number in another month is fine; automatic numbers continue after the highest.
    services.create_voucher(client, date=datetime.date(2025, 4, 1), lines=sale(), actor=bookkeeper_alice, number=7)
    assert services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice).number == 8


def test_database_refuses_duplicate_number_in_a_period(bookkeeper_alice: User) -> None:
    client = make_client(bookkeeper_alice)
    first = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    second = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=second.pk).update(number=first.number)


def test_posted_voucher_is_never_edited_or_deleted(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = posted_voucher(client, bookkeeper_alice, reviewer_rita)
    with pytest.raises(ValidationError) as caught:
        services.update_draft_voucher(voucher, date=MARCH, lines=sale("5.00"), actor=bookkeeper_alice)
    assert caught.value.code == "posted"
    with pytest.raises(ValidationError):
        services.delete_draft_voucher(voucher, actor=bookkeeper_alice)
    assert Voucher.objects.get(pk=voucher.pk).total == Decimal("1000.00")


def test_only_the_preparer_edits_a_draft(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    with pytest.raises(ValidationError):
        services.update_draft_voucher(voucher, date=MARCH, lines=sale("5.00"), actor=reviewer_rita)
    services.update_draft_voucher(voucher, date=datetime.date(2026, 1, 5), lines=sale("5.00"), actor=bookkeeper_alice)
    voucher = Voucher.objects.get(pk=voucher.pk)
    assert (voucher.fiscal_year, str(voucher.period), voucher.total) == (2026, "2026-01", Decimal("5.00"))
    assert [line.fiscal_year for line in voucher.lines.all()] == [2026, 2026]


def test_posting_maintains_balances_and_rolls_later_periods_forward(
    bookkeeper_alice: User, reviewer_rita: User
) -> None:
    client = make_client(bookkeeper_alice)
    posted_voucher(client, bookkeeper_alice, reviewer_rita, date=datetime.date(2025, 1, 10), spec=sale("100.00"))
    posted_voucher(client, bookkeeper_alice, reviewer_rita, date=datetime.date(2025, 4, 10), spec=sale("40.00"))
    # Posting into March after April exists: March starts from January, April moves on by the March amount.
    posted_voucher(client, bookkeeper_alice, reviewer_rita, date=datetime.date(2025, 3, 10), spec=sale("7.50"))
    march = _balance(client, "1002", 2025, 3)
    assert (march.opening, march.debit, march.credit, march.closing) == (
        Decimal("100.00"),
        Decimal("7.50"),
        Decimal("0.00"),
        Decimal("107.50"),
    )
    april = _balance(client, "1002", 2025, 4)
    assert (april.opening, april.closing) == (Decimal("107.50"), Decimal("147.50"))
    revenue = _balance(client, "5001", 2025, 4)
    assert revenue.closing == Decimal("-147.50")  # debit-positive: a credit balance is negative


def test_balances_are_ciphertext(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    posted_voucher(client, bookkeeper_alice, reviewer_rita, spec=sale("123456.78"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT opening, debit, credit, closing FROM clients_accountbalance")
        raw = b"".join(bytes(v) for row in cursor.fetchall() for v in row)
    assert b"123456" not in raw


def test_closed_period_refuses_posting_and_entry(bookkeeper_alice: User, reviewer_rita: User, partner: User) -> None:
    client = make_client(bookkeeper_alice)
    reviewed = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    services.review_voucher(reviewed, actor=reviewer_rita)
    period = AccountingPeriod.objects.get(client=client, year=2025, month=3)
    with pytest.raises(ValidationError) as caught:
        services.close_period(period, actor=partner)
    assert caught.value.code == "vouchers_pending"
    services.post_voucher(reviewed, actor=partner)
    services.close_period(period, actor=partner)
    with pytest.raises(ValidationError) as caught:
        services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    assert caught.value.code == "period_closed"
    assert "已结账" in caught.value.messages[0]


def test_posting_into_a_period_closed_after_review_is_refused(
    bookkeeper_alice: User, reviewer_rita: User, partner: User
) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    services.review_voucher(voucher, actor=reviewer_rita)
    # Closing is refused with pending vouchers, so force the state as a concurrent close would leave it.
    AccountingPeriod.objects.filter(pk=voucher.period_id).update(state="closed")
    with pytest.raises(ValidationError) as caught:
        services.post_voucher(voucher, actor=partner)
    assert caught.value.code == "period_closed"
    assert AccountBalance.objects.count() == 0
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.REVIEWED


def test_reopen_needs_the_capability_and_is_audited(bookkeeper_alice: User, partner: User) -> None:
    client = make_client(bookkeeper_alice)
    services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice).delete()
    period = AccountingPeriod.objects.get(client=client, year=2025, month=3)
    services.close_period(period, actor=partner)
    with pytest.raises(PermissionDenied):
        services.reopen_period(period, reason="补录凭证", actor=bookkeeper_alice)
    assert AccountingPeriod.objects.get(pk=period.pk).is_closed
    with pytest.raises(ValidationError):
        services.reopen_period(period, reason="  ", actor=partner)
    services.reopen_period(period, reason="补录凭证", actor=partner)
    period.refresh_from_db()
    assert not period.is_closed and period.reopened_by == partner and period.reopen_reason == "补录凭证"
    event = AuditEvent.objects.get(action=BooksAction.PERIOD_REOPENED)
    assert event.actor == partner and "补录" not in json.dumps(event.details, ensure_ascii=False)


def test_reversal_is_red_ink_and_nets_the_balances_to_zero(
    bookkeeper_alice: User, reviewer_rita: User, partner: User
) -> None:
    client = make_client(bookkeeper_alice)
    original = posted_voucher(client, bookkeeper_alice, reviewer_rita, spec=sale("250.00"))
    services.close_period(original.period, actor=partner)
    reversal = services.reverse_voucher(original, actor=bookkeeper_alice, date=datetime.date(2025, 4, 2))
    assert reversal.kind == VoucherKind.REVERSAL and reversal.reverses == original
    amounts = [(line.side, line.amount) for line in reversal.lines.all()]
    assert amounts == [("debit", Decimal("-250.00")), ("credit", Decimal("-250.00"))]
    with pytest.raises(ValidationError):
        services.reverse_voucher(original, actor=bookkeeper_alice, date=datetime.date(2025, 4, 2))
    services.review_voucher(reversal, actor=reviewer_rita)
    services.post_voucher(reversal, actor=partner)
    assert _balance(client, "1002", 2025, 4).closing == Decimal("0.00")
    assert Voucher.objects.get(pk=original.pk).state == VoucherState.POSTED


def test_returned_voucher_goes_back_to_draft(bookkeeper_alice: User, reviewer_rita: User) -> None:
    client = make_client(bookkeeper_alice)
    voucher = services.create_voucher(client, date=MARCH, lines=sale(), actor=bookkeeper_alice)
    services.review_voucher(voucher, actor=reviewer_rita)
    services.return_voucher(voucher, actor=reviewer_rita)
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.DRAFT and voucher.reviewer is None


def test_documents_of_one_year_get_a_key_per_archive_category(bookkeeper_alice: User) -> None:
    from clients.models import ArchiveCategory, Document
    from confidentiality import crypto

    client = make_client(bookkeeper_alice)
    kept_30 = services.record_document(
        client, title="发票", fiscal_year=2025, archive_category=ArchiveCategory.SOURCE_VOUCHER, actor=bookkeeper_alice
    )
    kept_10 = services.record_document(
        client,
        title="对账单",
        fiscal_year=2025,
        archive_category=ArchiveCategory.BANK_STATEMENT,
        actor=bookkeeper_alice,
    )
    raw = {d.pk: bytes(d.__dict__["title"]) for d in Document.objects.all()}
    assert crypto.key_id_of(raw[kept_30.pk]) != crypto.key_id_of(raw[kept_10.pk])
    assert Document.objects.get(pk=kept_10.pk).title == "对账单"
