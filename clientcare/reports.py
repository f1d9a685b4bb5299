"""Survey results for the compliance desk: averages per question and per month, an SVG chart, xlsx.

Only scores and counts: the comments are the clients' free text and stay out of these aggregates.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from openpyxl import Workbook
from openpyxl.styles import Font

from clientcare.models import SURVEY_FIELDS, SURVEY_QUESTIONS, SurveyInvitation, SurveyResponse


def _avg(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class MonthRow:
    year: int
    month: int
    invited: int = 0
    responses: int = 0
    averages: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def response_rate(self) -> int:
        return round(100 * self.responses / self.invited) if self.invited else 0

    def cells(self) -> list[Decimal | None]:
        return [self.averages.get(name) for name in SURVEY_FIELDS]


@dataclass
class SurveyResults:
    year: int | None
    months: list[MonthRow]
    totals: dict[str, Decimal | None]
    responses: int
    invited: int

    @property
    def questions(self) -> list[tuple[str, object, Decimal | None]]:
        return [(name, label, self.totals.get(name)) for name, label in SURVEY_QUESTIONS]


def survey_results(*, year: int | None = None) -> SurveyResults:
    """Averages per question over all answers (of `year`, when given) and per month. Three queries."""
    responses = SurveyResponse.objects.all()
    invitations = SurveyInvitation.objects.all()
    if year is not None:
        responses = responses.filter(year=year)
        invitations = invitations.filter(year=year)
    averages = {name: Avg(name) for name in SURVEY_FIELDS}
    totals_raw = responses.aggregate(n=Count("pk"), **averages)
    rows: dict[tuple[int, int], MonthRow] = {}
    for item in invitations.order_by().values("year", "month").annotate(n=Count("pk")):
        rows[(item["year"], item["month"])] = MonthRow(item["year"], item["month"], invited=item["n"])
    for item in responses.order_by().values("year", "month").annotate(n=Count("pk"), **averages):
        row = rows.setdefault((item["year"], item["month"]), MonthRow(item["year"], item["month"]))
        row.responses = item["n"]
        found: dict[str, Any] = dict(item)
        row.averages = {name: _avg(found[name]) for name in SURVEY_FIELDS}
    months = [rows[key] for key in sorted(rows)]
    return SurveyResults(
        year=year,
        months=months,
        totals={name: _avg(totals_raw[name]) for name in SURVEY_FIELDS},
        responses=totals_raw["n"],
        invited=sum(row.invited for row in months),
    )


WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 40, 28, 12


def months_chart_svg(results: SurveyResults, *, title: str) -> SafeString:
    """Bars of the overall average (0–5 stars) per month, drawn on the server (classes from app.css)."""
    months = results.months[-24:]
    plot_height = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(len(months), 1)
    bars = []
    for index, row in enumerate(months):
        value = row.averages.get("overall") or Decimal(0)
        height = round(plot_height * float(value) / 5, 1)
        x = round(PAD_LEFT + index * slot + slot * 0.15, 1)
        y = round(PAD_TOP + plot_height - height, 1)
        bars.append((x, y, round(slot * 0.7, 1), height, f"{row.label}: {value} ({row.responses})"))
    labels = [
        (round(PAD_LEFT + index * slot + slot / 2, 1), HEIGHT - 8, row.label)
        for index, row in enumerate(months)
        if index % max(len(months) // 8, 1) == 0
    ]
    grid = [(PAD_LEFT, round(PAD_TOP + plot_height * (5 - level) / 5, 1), level) for level in range(1, 6)]
    return format_html(
        '<svg class="chart survey-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="survey-chart-title" '
        'xmlns="http://www.w3.org/2000/svg"><title id="survey-chart-title">{}</title>'
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        PAD_LEFT,
        HEIGHT - PAD_BOTTOM,
        WIDTH,
        HEIGHT - PAD_BOTTOM,
        format_html_join("", '<text class="chart-label" x="4" y="{}">{}★</text>', ((y + 4, lv) for _x, y, lv in grid)),
        format_html_join(
            "",
            '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            bars,
        ),
        format_html_join("", '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>', labels),
    )


def results_xlsx(results: SurveyResults, *, headers: list[str], total_label: str) -> bytes:
    """The results as a workbook: one row per month, then the totals."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in results.months:
        sheet.append(
            [row.label, row.invited, row.responses, *(float(v) if v is not None else None for v in row.cells())]
        )
    sheet.append(
        [
            total_label,
            results.invited,
            results.responses,
            *(float(v) if v is not None else None for v in (results.totals.get(n) for n in SURVEY_FIELDS)),
        ]
    )
    for column in "ABCDEFG":
        sheet.column_dimensions[column].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
