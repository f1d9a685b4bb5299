"""The data-rights section of the monthly and yearly compliance report: counts and response times.

Never any client text: kinds, states, days. Listed in settings.FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS.
"""

from __future__ import annotations

import statistics

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from compliance.reports import Period, Section
from datarights.models import OPEN_STATES, DataRightsRequest, RequestKind, RequestState


def data_rights_section(period: Period) -> Section:
    received = DataRightsRequest.objects.filter(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)
    closed = DataRightsRequest.objects.filter(
        closed_at__gte=period.start_at,
        closed_at__lt=period.end_at,
        state__in=(RequestState.FULFILLED, RequestState.REFUSED),
    )
    rows: list[list[object]] = [
        [
            pgettext("data-rights report", "Kind"),
            pgettext("data-rights report", "Received"),
            pgettext("data-rights report", "Answered"),
            pgettext("data-rights report", "Refused"),
            pgettext("data-rights report", "Median days to answer"),
            pgettext("data-rights report", "Answered late"),
        ]
    ]
    for kind, label in RequestKind.choices:
        done = [r for r in closed if r.kind == kind]
        days = [(r.closed_at.date() - r.submitted_at.date()).days for r in done if r.closed_at]
        late = sum(1 for r in done if r.closed_at and r.closed_at.date() > r.due_on)
        rows.append(
            [
                str(label),
                received.filter(kind=kind).count(),
                sum(1 for r in done if r.state == RequestState.FULFILLED),
                sum(1 for r in done if r.state == RequestState.REFUSED),
                f"{statistics.median(days):g}" if days else "-",
                late,
            ]
        )
    still_open = DataRightsRequest.objects.filter(state__in=OPEN_STATES, submitted_at__lt=period.end_at)
    overdue = still_open.filter(due_on__lt=period.end).count()
    note = _("%(open)d request(s) open at the end of the period, %(overdue)d of them past their deadline.") % {
        "open": still_open.count(),
        "overdue": overdue,
    }
    return Section("data_rights", _("Data-rights requests (PIPL Art. 44–47)"), rows=rows, note=note)
