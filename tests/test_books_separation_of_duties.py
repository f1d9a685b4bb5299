"""Separation of duties on vouchers: 制单, 审核 and 记账 are three different people."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import StaffRole, User
from audit.models import AuditEvent
from clients import services
from clients.models import AccountBalance, BooksAction, Voucher, VoucherState
from confidentiality.duties import check_separation
from tests import cast
from tests.books import make_client, sale

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2025, 3, 15)


def _reviewed(preparer: User, reviewer: User) -> Voucher:
    client = make_client(preparer)
    voucher = services.create_voucher(client, date=MARCH, lines=sale("88.00"), actor=preparer)
    return services.review_voucher(voucher, actor=reviewer)


def test_reviewer_cannot_post_the_voucher_they_reviewed(bookkeeper_alice: User, reviewer_rita: User) -> None:
    voucher = _reviewed(bookkeeper_alice, reviewer_rita)
    with pytest.raises(ValidationError) as caught:
        services.post_voucher(voucher, actor=reviewer_rita)
    assert caught.value.code == "sod_post_review"
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.REVIEWED and voucher.poster_id is None
    assert AccountBalance.objects.count() == 0
    assert not AuditEvent.objects.filter(action=BooksAction.VOUCHER_POSTED).exists()


def test_preparer_cannot_post_their_own_voucher(bookkeeper_alice: User, reviewer_rita: User) -> None:
    voucher = _reviewed(bookkeeper_alice, reviewer_rita)
    with pytest.raises(ValidationError) as caught:
        services.post_voucher(voucher, actor=bookkeeper_alice)
    assert caught.value.code == "sod_post"
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.REVIEWED


def test_a_third_person_posts_and_all_three_are_recorded(bookkeeper_alice: User, reviewer_rita: User) -> None:
    other_reviewer = cast.make_staff("reviewer_ren", StaffRole.REVIEWER)
    voucher = _reviewed(bookkeeper_alice, reviewer_rita)
    services.post_voucher(voucher, actor=other_reviewer)
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.POSTED
    assert (voucher.preparer, voucher.reviewer, voucher.poster) == (bookkeeper_alice, reviewer_rita, other_reviewer)
    assert AuditEvent.objects.get(action=BooksAction.VOUCHER_POSTED).actor == other_reviewer


def test_the_refusal_message_is_in_chinese_by_default(bookkeeper_alice: User, reviewer_rita: User) -> None:
    with pytest.raises(ValidationError) as caught:
        check_separation(preparer=bookkeeper_alice.pk, reviewer=reviewer_rita.pk, poster=reviewer_rita.pk)
    assert caught.value.messages == ["此凭证由您审核，须由他人记账。"]


@pytest.mark.parametrize(
    ("preparer", "reviewer", "poster", "code"),
    [
        (1, 1, None, "sod_review"),
        (1, 2, 1, "sod_post"),
        (1, 2, 2, "sod_post_review"),
        (1, None, 1, "sod_post"),
    ],
)
def test_check_separation_refuses_any_person_in_two_roles(
    preparer: int, reviewer: int | None, poster: int | None, code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_separation(preparer=preparer, reviewer=reviewer, poster=poster)
    assert caught.value.code == code


def test_check_separation_accepts_three_people_and_steps_not_taken() -> None:
    check_separation(preparer=1, reviewer=2, poster=3)
    check_separation(preparer=1, reviewer=2)
    check_separation(preparer=1)
