"""Small date helpers shared by the program's rules."""

from __future__ import annotations

from datetime import date, datetime

from dateutil.relativedelta import relativedelta


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus calendar months (31 Jan + 1 month = 28/29 Feb)."""
    return moment + relativedelta(months=months)


def add_months_to_date(day: date, months: int) -> date:
    return day + relativedelta(months=months)
