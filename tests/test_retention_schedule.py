"""The retention schedule of 附表一 (2015), counted from the first day after the fiscal year."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.schedule import (
    LEGAL_MINIMUM,
    Category,
    RetentionError,
    is_expired,
    retention_end,
    years_kept,
)

THIRTY = [
    Category.SOURCE_VOUCHER,
    Category.JOURNAL_VOUCHER,
    Category.GENERAL_LEDGER,
    Category.SUBSIDIARY_LEDGER,
    Category.JOURNAL,
    Category.OTHER_BOOKS,
    Category.HANDOVER_LIST,
]
TEN = [Category.PERIODIC_REPORT, Category.BANK_RECONCILIATION, Category.BANK_STATEMENT, Category.TAX_RETURN]
FOREVER = [
    Category.ANNUAL_REPORT,
    Category.CUSTODY_REGISTER,
    Category.DESTRUCTION_REGISTER,
    Category.APPRAISAL_OPINION,
]


@pytest.mark.parametrize("category", THIRTY)
def test_thirty_year_categories_run_through_the_thirtieth_year_end(category: str) -> None:
    end = retention_end(category, 2024)
    assert end == dt.date(2054, 12, 31)
    assert not is_expired(end, today=dt.date(2054, 12, 31))
    assert is_expired(end, today=dt.date(2055, 1, 1))
    assert not is_expired(end, today=dt.date(2040, 6, 30))


@pytest.mark.parametrize("category", TEN)
def test_ten_year_categories(category: str) -> None:
    end = retention_end(category, 2015)
    assert end == dt.date(2025, 12, 31)
    assert not is_expired(end, today=dt.date(2025, 12, 31))
    assert is_expired(end, today=dt.date(2026, 1, 1))


@pytest.mark.parametrize("category", FOREVER)
def test_permanent_categories_never_expire(category: str) -> None:
    end = retention_end(category, 1990)
    assert end is None
    assert not is_expired(end, today=dt.date(9999, 12, 31))


def test_every_category_of_the_2015_table_is_in_the_schedule_and_not_the_1998_periods() -> None:
    assert set(THIRTY + TEN + FOREVER + [Category.FIXED_ASSET_CARD, Category.OTHER]) == set(LEGAL_MINIMUM)
    # The superseded 1998 table had 15 years for vouchers and ledgers and 3/5 years for statements.
    assert LEGAL_MINIMUM[Category.JOURNAL_VOUCHER].years == 30
    assert LEGAL_MINIMUM[Category.BANK_STATEMENT].years == 10


def test_fixed_asset_card_runs_five_years_after_the_year_it_was_scrapped() -> None:
    # Acquired in 2001 (the card's year says nothing), scrapped in 2020: kept through 2025.
    assert retention_end(Category.FIXED_ASSET_CARD, 2001, scrapped_on=None) is None
    end = retention_end(Category.FIXED_ASSET_CARD, 2001, scrapped_on=dt.date(2020, 3, 15))
    assert end == dt.date(2025, 12, 31)
    assert is_expired(end, today=dt.date(2026, 1, 1))
    assert not is_expired(end, today=dt.date(2025, 12, 31))


def test_a_longer_firm_period_applies_and_a_shorter_one_is_refused() -> None:
    assert retention_end(Category.BANK_STATEMENT, 2015, years=15) == dt.date(2030, 12, 31)
    assert retention_end(Category.BANK_STATEMENT, 2015, years=None) is None
    with pytest.raises(RetentionError):
        retention_end(Category.BANK_STATEMENT, 2015, years=9)
    with pytest.raises(RetentionError):
        retention_end(Category.ANNUAL_REPORT, 2015, years=100)
    with pytest.raises(RetentionError):
        retention_end("made_up", 2015)


@pytest.mark.parametrize(
    ("today", "kept"),
    [
        (dt.date(2024, 12, 31), 0),
        (dt.date(2025, 1, 1), 0),
        (dt.date(2025, 12, 31), 0),
        (dt.date(2026, 1, 1), 1),
        (dt.date(2055, 1, 1), 30),
    ],
)
def test_years_kept_counts_from_the_first_day_after_the_fiscal_year(today: dt.date, kept: int) -> None:
    assert years_kept(2024, today=today) == kept
