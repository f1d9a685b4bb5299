"""The retention schedule of 会计档案管理办法 (财政部 国家档案局令第79号, 2015), 附表一, enterprises.

Pure data and pure functions: no database. The 1998 table (15/25/3/5 years) is superseded and
must never be used. Periods count from the first day after the end of the fiscal year (第十五条);
Chinese fiscal years are calendar years, so FY2024 with 30 years runs through 2054-12-31.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """Archive categories (the same codes as `clients.models.ArchiveCategory`), plus the registers."""

    SOURCE_VOUCHER = "source_voucher", _("原始凭证")
    JOURNAL_VOUCHER = "journal_voucher", _("记账凭证")
    GENERAL_LEDGER = "general_ledger", _("总账")
    SUBSIDIARY_LEDGER = "subsidiary_ledger", _("明细账")
    JOURNAL = "journal", _("日记账")
    OTHER_BOOKS = "other_books", _("其他辅助性账簿")
    FIXED_ASSET_CARD = "fixed_asset_card", _("固定资产卡片")
    PERIODIC_REPORT = "periodic_report", _("月度、季度、半年度财务会计报告")
    ANNUAL_REPORT = "annual_report", _("年度财务会计报告")
    BANK_RECONCILIATION = "bank_reconciliation", _("银行存款余额调节表")
    BANK_STATEMENT = "bank_statement", _("银行对账单")
    TAX_RETURN = "tax_return", _("纳税申报表")
    HANDOVER_LIST = "handover_list", _("会计档案移交清册")
    CUSTODY_REGISTER = "custody_register", _("会计档案保管清册")
    DESTRUCTION_REGISTER = "destruction_register", _("会计档案销毁清册")
    APPRAISAL_OPINION = "appraisal_opinion", _("会计档案鉴定意见书")
    OTHER = "other", _("其他会计资料")


PERMANENT = None


@dataclass(frozen=True)
class LegalPeriod:
    years: int | None  # None: permanent
    after_event: bool = False  # counted from the event (fixed asset scrapped), not from the record's year


# 附表一 (企业和其他组织会计档案保管期限表), 2015. Minimums: the firm may keep longer, never shorter.
LEGAL_MINIMUM: dict[str, LegalPeriod] = {
    Category.SOURCE_VOUCHER: LegalPeriod(30),
    Category.JOURNAL_VOUCHER: LegalPeriod(30),
    Category.GENERAL_LEDGER: LegalPeriod(30),
    Category.SUBSIDIARY_LEDGER: LegalPeriod(30),
    Category.JOURNAL: LegalPeriod(30),
    Category.OTHER_BOOKS: LegalPeriod(30),
    Category.FIXED_ASSET_CARD: LegalPeriod(5, after_event=True),
    Category.PERIODIC_REPORT: LegalPeriod(10),
    Category.ANNUAL_REPORT: LegalPeriod(PERMANENT),
    Category.BANK_RECONCILIATION: LegalPeriod(10),
    Category.BANK_STATEMENT: LegalPeriod(10),
    Category.TAX_RETURN: LegalPeriod(10),
    Category.HANDOVER_LIST: LegalPeriod(30),
    Category.CUSTODY_REGISTER: LegalPeriod(PERMANENT),
    Category.DESTRUCTION_REGISTER: LegalPeriod(PERMANENT),
    Category.APPRAISAL_OPINION: LegalPeriod(PERMANENT),
    # Not in 附表一: material the books file as "other". The firm's default is the books' 30 years;
    # the archivist may set another period for it (never below this default without a change here).
    Category.OTHER: LegalPeriod(30),
}


class RetentionError(ValueError):
    """A period or date that the regulation does not allow."""


def legal_minimum(category: str) -> LegalPeriod:
    try:
        return LEGAL_MINIMUM[category]
    except KeyError as exc:
        raise RetentionError(f"unknown archive category {category!r}") from exc


def check_period(category: str, years: int | None) -> None:
    """Raise unless `years` (None = permanent) is at least the legal minimum of `category`."""
    minimum = legal_minimum(category).years
    if minimum is PERMANENT and years is not PERMANENT:
        raise RetentionError(f"{category} must be kept permanently")
    if years is not PERMANENT and minimum is not PERMANENT and years < minimum:
        raise RetentionError(f"{category} must be kept at least {minimum} years")


def retention_end(
    category: str,
    fiscal_year: int,
    *,
    scrapped_on: dt.date | None = None,
    years: int | bool | None = False,
) -> dt.date | None:
    """The last day a record of `category` and `fiscal_year` must be kept; None when it never expires.

    Counting starts the first day after the fiscal year ends (FY2024, 30 years: 2054-12-31). A
    fixed-asset card counts from the fiscal year in which the asset was scrapped; while the asset is
    in use (no `scrapped_on`) it does not expire. `years` gives the firm's period when it is longer
    than the legal minimum (None = permanent); by default the legal minimum applies. A period
    shorter than the minimum raises RetentionError.
    """
    period = legal_minimum(category)
    chosen: int | None = period.years if years is False else years  # type: ignore[assignment]
    check_period(category, chosen)
    if chosen is PERMANENT:
        return None
    if not 1900 <= fiscal_year <= 9000:
        raise RetentionError(f"fiscal year {fiscal_year} is out of range")
    if period.after_event:
        if scrapped_on is None:
            return None
        start_year = scrapped_on.year
    else:
        start_year = fiscal_year
    return dt.date(start_year + chosen, 12, 31)


def is_expired(end: dt.date | None, *, today: dt.date) -> bool:
    return end is not None and today > end


def years_kept(fiscal_year: int, *, today: dt.date) -> int:
    """已保管期限: whole years kept since the first day after the fiscal year, as of `today`."""
    start = dt.date(fiscal_year + 1, 1, 1)
    if today < start:
        return 0
    years = today.year - start.year
    if (today.month, today.day) < (start.month, start.day):
        years -= 1
    return years
