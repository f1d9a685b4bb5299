"""Working days for the answer deadline (PIPL Art. 50 asks for a timely answer; the firm promises 15
working days). Monday to Friday count, minus the public holidays listed in the settings, plus the
make-up working days (调休) listed there: China's holiday calendar is published each year by the State
Council and is not built in, so until the firm lists it, a public holiday on a weekday counts as a
working day (the deadline is then early, never late)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def _dates(values: list[str]) -> set[dt.date]:
    found = set()
    for value in values:
        try:
            found.add(dt.date.fromisoformat(value.strip()))
        except ValueError:
            continue
    return found


def is_working_day(day: dt.date) -> bool:
    if day in _dates(settings.FIRMPORTAL_DATARIGHTS_MAKEUP_WORKDAYS):
        return True
    return day.weekday() < 5 and day not in _dates(settings.FIRMPORTAL_DATARIGHTS_HOLIDAYS)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (the day of receipt itself does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def answer_due(received: dt.date) -> dt.date:
    return add_working_days(received, int(settings.FIRMPORTAL_DATARIGHTS_DEADLINE_WORKING_DAYS))
