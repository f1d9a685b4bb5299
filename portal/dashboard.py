"""The dashboard's key figures and the monthly income/expenses chart, read from the books' balances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from clients.models import ZERO, AccountingPeriod, Client, PeriodState
from clients.reports import _by_standard_code, account_totals, period_key

CASH = ("1001", "1002", "1012")
RECEIVABLES = ("1122",)
PAYABLES = ("2202",)
TAX = ("2221",)
REVENUE = ("5001", "5051", "5111", "5301")
EXPENSES = ("5401", "5402", "5403", "5601", "5602", "5603", "5711", "5801")


@dataclass
class KeyFigures:
    year: int
    month: int
    cash: Decimal
    receivables: Decimal
    payables: Decimal
    revenue: Decimal
    expenses: Decimal
    tax_due: Decimal


@dataclass
class Bar:
    month: int
    income: Decimal
    expenses: Decimal
    x: int
    income_y: int
    income_height: int
    expense_x: int
    expense_y: int
    expense_height: int


@dataclass
class Chart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    top: Decimal
    bar_width: int


def current_period(client: Client) -> tuple[int, int]:
    """The latest period with books (closed or open); the current month when there is none yet."""
    latest = AccountingPeriod.objects.filter(client=client).order_by("-year", "-month").first()
    if latest is not None:
        return latest.year, latest.month
    today = timezone.localdate()
    return today.year, today.month


def _closing(totals: dict, codes: tuple[str, ...]) -> Decimal:  # type: ignore[type-arg]
    return sum((totals[c].closing for c in codes if c in totals), ZERO)


def _credit_net(totals: dict, codes: tuple[str, ...]) -> Decimal:  # type: ignore[type-arg]
    return sum((totals[c].credit - totals[c].debit for c in codes if c in totals), ZERO)


def _debit_net(totals: dict, codes: tuple[str, ...]) -> Decimal:  # type: ignore[type-arg]
    return sum((totals[c].debit - totals[c].credit for c in codes if c in totals), ZERO)


def key_figures(client: Client, *, year: int, month: int) -> KeyFigures:
    totals = _by_standard_code(account_totals(client, key_from=period_key(year, 1), key_to=period_key(year, month)))
    return KeyFigures(
        year=year,
        month=month,
        cash=_closing(totals, CASH),
        receivables=_closing(totals, RECEIVABLES),
        payables=-_closing(totals, PAYABLES) + ZERO,
        revenue=_credit_net(totals, REVENUE),
        expenses=_debit_net(totals, EXPENSES),
        tax_due=-_closing(totals, TAX) + ZERO,
    )


def monthly_chart(client: Client, *, year: int, months: int = 12) -> Chart:
    """Income and expenses per month of the year, scaled to an SVG drawn on the server (no JS, no style=)."""
    width, height, top_pad, bottom_pad, left = 640, 220, 10, 24, 40
    plot = height - top_pad - bottom_pad
    values: list[tuple[int, Decimal, Decimal]] = []
    for month in range(1, months + 1):
        key = period_key(year, month)
        totals = _by_standard_code(account_totals(client, key_from=key, key_to=key))
        values.append((month, max(_credit_net(totals, REVENUE), ZERO), max(_debit_net(totals, EXPENSES), ZERO)))
    top = max([max(i, e) for _, i, e in values] + [Decimal(1)])
    slot = (width - left) // months
    bar_width = max(slot // 2 - 4, 2)
    baseline = height - bottom_pad

    def scaled(value: Decimal) -> int:
        return int((value / top) * plot)

    bars = []
    for month, income, expenses in values:
        x = left + (month - 1) * slot + 2
        ih, eh = scaled(income), scaled(expenses)
        bars.append(
            Bar(
                month=month,
                income=income,
                expenses=expenses,
                x=x,
                income_y=baseline - ih,
                income_height=ih,
                expense_x=x + bar_width + 2,
                expense_y=baseline - eh,
                expense_height=eh,
            )
        )
    return Chart(width=width, height=height, baseline=baseline, bars=bars, top=top, bar_width=bar_width)


def is_closed(client: Client, *, year: int, month: int) -> bool:
    """Whether the dashboard's period is closed (its figures final) or still open (they may change)."""
    return AccountingPeriod.objects.filter(client=client, year=year, month=month, state=PeriodState.CLOSED).exists()
