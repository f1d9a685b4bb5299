"""The complaints and survey section of the monthly and yearly compliance report.

Counts, days to first answer and survey averages; never the text of a complaint or a comment.
Listed in settings.FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS.
"""

from __future__ import annotations

import statistics

from django.db.models import Avg, Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clientcare.models import SURVEY_FIELDS as QUESTIONS
from clientcare.models import Complaint, ComplaintCategory, ComplaintStatus, SurveyResponse
from compliance.reports import Period, Section


def complaints_section(period: Period) -> Section:
    received = Complaint.objects.filter(created_at__gte=period.start_at, created_at__lt=period.end_at).annotate(
        first_answer=Min("responses__created_at")
    )
    rows: list[list[object]] = [
        [
            pgettext("complaints report", "Category"),
            pgettext("complaints report", "Received"),
            pgettext("complaints report", "Answered"),
            pgettext("complaints report", "Median days to first answer"),
            pgettext("complaints report", "Answered after the deadline"),
        ]
    ]
    by_category: dict[str, list[Complaint]] = {}
    for complaint in received:
        by_category.setdefault(complaint.category, []).append(complaint)
    for category, label in ComplaintCategory.choices:
        items = by_category.get(category, [])
        answered = [c for c in items if getattr(c, "first_answer", None)]
        days = [(c.first_answer.date() - c.created_at.date()).days for c in answered]  # type: ignore[attr-defined]
        late = len([c for c in answered if c.first_answer.date() > c.deadline])  # type: ignore[attr-defined]
        rows.append([str(label), len(items), len(answered), f"{statistics.median(days):g}" if days else "-", late])
    still_open = Complaint.objects.filter(created_at__lt=period.end_at).exclude(status=ComplaintStatus.CLOSED)
    surveys = SurveyResponse.objects.filter(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)
    survey = surveys.aggregate(n=Count("pk"), **{name: Avg(name) for name in QUESTIONS})
    averages = [survey[name] for name in QUESTIONS if survey[name] is not None]
    note = _(
        "%(open)d complaint(s) not closed at the end of the period. Satisfaction surveys answered: %(n)d, "
        "average score %(score)s of 5."
    ) % {
        "open": still_open.count(),
        "n": survey["n"],
        "score": f"{statistics.mean(averages):.1f}" if averages else "-",
    }
    return Section("complaints", _("Privacy complaints and satisfaction surveys"), rows=rows, note=note)
