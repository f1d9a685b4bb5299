"""Monthly and yearly compliance reports for the firm head, and the record of processing activities.

A report is a list of sections; each section is a function `(period) -> Section`. Sections whose
data lives in other slices (alerts, retention and destruction, backups and restore drills,
data-rights requests and complaints) are registered by those slices with `register_section`, in
`SECTION_ORDER` position; until they are, the report says plainly that no source is connected.
"""

from __future__ import annotations

import calendar
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from accounts.models import User
from audit import services as audit
from audit.models import AccessEvent
from compliance import pdf
from compliance.errors import ComplianceError
from compliance.models import (
    BreachNotice,
    ComplianceAction,
    Incident,
    ProcessingActivity,
    Recognition,
    StoredComplianceReport,
    Violation,
    WhistleblowerReport,
)

logger = logging.getLogger(__name__)

PALETTE = [colors.HexColor(c) for c in ("#0b5394", "#e69138", "#6aa84f", "#cc0000", "#674ea7", "#999999")]


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "year"
    start: date
    end: date  # inclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ComplianceError(_("Choose a valid year and month."))
        return cls("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def year(cls, year: int) -> Period:
        if not 2000 <= year <= 2100:
            raise ComplianceError(_("Choose a valid year."))
        return cls("year", date(year, 1, 1), date(year, 12, 31))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.kind == "month" else f"{self.start:%Y}"

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


@dataclass
class Section:
    key: str
    title: str
    rows: list[list[Any]] = field(default_factory=list)  # first row is the header
    chart: Drawing | None = None
    note: str = ""


SectionFunction = Callable[[Period], Section]

# Where each section goes; other slices' sections take the named slots.
SECTION_ORDER = [
    "access",
    "alerts",
    "nda_training",
    "incidents",
    "retention",
    "backups",
    "data_rights",
    "whistleblowing",
    "third_parties",
    "discipline",
]
SECTIONS: dict[str, SectionFunction] = {}


def register_section(key: str, function: SectionFunction) -> None:
    """Plug a section in (e.g. `register_section("alerts", audit.reports.alerts_section)`)."""
    SECTIONS[key] = function


# --- Charts ---------------------------------------------------------------------------------------


def bar_chart(labels: list[str], values: list[int], *, width: float = 170 * mm, height: float = 60 * mm) -> Drawing:
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, width - 45, height - 35
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or ["-"]
    chart.categoryAxis.labels.fontName = pdf.cjk_font()
    chart.categoryAxis.labels.fontSize = 6 if len(labels) > 12 else 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = pdf.cjk_font()
    chart.bars[0].fillColor = PALETTE[0]
    drawing.add(chart)
    return drawing


def pie_chart(labels: list[str], values: list[int], *, size: float = 55 * mm) -> Drawing:
    drawing = Drawing(170 * mm, size)
    if not any(values):
        drawing.add(String(10, size / 2, "-", fontName=pdf.cjk_font(), fontSize=9))
        return drawing
    chart = Pie()
    chart.x, chart.y, chart.width, chart.height = 10, 5, size - 10, size - 10
    chart.data = values
    chart.labels = [f"{label} ({value})" for label, value in zip(labels, values, strict=True)]
    chart.simpleLabels = 1
    chart.sideLabels = 1
    for index in range(len(values)):
        chart.slices[index].fillColor = PALETTE[index % len(PALETTE)]
        chart.slices[index].fontName = pdf.cjk_font()
    drawing.add(chart)
    return drawing


# --- Sections with data in this installation ------------------------------------------------------


def access_section(period: Period) -> Section:
    """Reads of client data: totals, distinct clients and staff, by day (month) or month (year)."""
    reads = AccessEvent.objects.filter(occurred_at__gte=period.start_at, occurred_at__lt=period.end_at)
    totals = reads.aggregate(
        n=Count("id"),
        clients=Count("client_ref", distinct=True, filter=~Q(client_ref="")),
        actors=Count("actor", distinct=True),
        purposed=Count("id", filter=~Q(purpose="")),
    )
    bucket = TruncDay("occurred_at") if period.kind == "month" else TruncMonth("occurred_at")
    series = {
        row["b"].date() if hasattr(row["b"], "date") else row["b"]: row["n"]
        for row in reads.annotate(b=bucket).values("b").annotate(n=Count("id")).order_by("b")
    }
    if period.kind == "month":
        days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1)]
        labels, values = [f"{d.day}" for d in days], [series.get(d, 0) for d in days]
    else:
        months = [date(period.start.year, m, 1) for m in range(1, 13)]
        labels, values = [f"{m.month}" for m in months], [series.get(m, 0) for m in months]
    by_action = list(reads.values("action").annotate(n=Count("id")).order_by("-n")[:10])
    top_staff = list(reads.exclude(actor_label="").values("actor_label").annotate(n=Count("id")).order_by("-n")[:10])
    rows: list[list[Any]] = [
        [_("Measure"), _("Value")],
        [_("Reads of client data"), totals["n"]],
        [_("Clients read"), totals["clients"]],
        [_("Staff who read"), totals["actors"]],
        [_("Reads with a stated purpose"), totals["purposed"]],
    ]
    rows += [[_("Action: %(a)s") % {"a": row["action"]}, row["n"]] for row in by_action]
    rows += [[_("Most reads: %(who)s") % {"who": row["actor_label"]}, row["n"]] for row in top_staff[:5]]
    return Section("access", _("Access to client data"), rows, bar_chart(labels, values))


def nda_training_section(period: Period) -> Section:
    from compliance.queries import GateReason, access_gate, overdue_training, staff_compliance_overview

    now = min(timezone.now(), period.end_at)
    staff = [row.user for row in staff_compliance_overview()]
    blocked_nda = blocked_training = ok = 0
    for user in staff:
        status = access_gate(user, now=now)
        ok += int(status.ok)
        blocked_nda += int(bool({GateReason.NDA_NOT_ACCEPTED, GateReason.NDA_NEW_VERSION_OVERDUE} & set(status.codes)))
        blocked_training += int(bool({GateReason.TRAINING_MISSING, GateReason.TRAINING_EXPIRED} & set(status.codes)))
    overdue = overdue_training(now=now)
    rows: list[list[Any]] = [
        [_("Measure"), _("Value")],
        [_("Active staff"), len(staff)],
        [_("Meeting the access gate"), ok],
        [_("NDA missing or overdue"), blocked_nda],
        [_("Confidentiality training missing or expired"), blocked_training],
        [_("Overdue course completions (all required courses)"), len(overdue)],
    ]
    chart = pie_chart([_("Compliant"), _("Blocked")], [ok, len(staff) - ok])
    return Section("nda_training", _("NDA and training status (at the end of the period)"), rows, chart)


def incidents_section(period: Period) -> Section:
    window = Q(reported_at__gte=period.start_at, reported_at__lt=period.end_at)
    real = Incident.objects.filter(window, is_drill=False)
    drills = Incident.objects.filter(window, is_drill=True)
    by_severity = {row["severity"] or "-": row["n"] for row in real.values("severity").annotate(n=Count("id"))}
    notices = BreachNotice.objects.filter(
        created_at__gte=period.start_at, created_at__lt=period.end_at, is_drill=False
    ).count()
    rows: list[list[Any]] = [
        [_("Measure"), _("Value")],
        [_("Incidents reported"), real.count()],
        [_("Incidents closed"), real.filter(closed_at__isnull=False).count()],
        [_("Breach notices issued"), notices],
        [_("Drills held"), drills.count()],
        [_("Drills reviewed"), drills.filter(reviewed_at__isnull=False).count()],
    ]
    labels = ["low", "medium", "high", "critical", "-"]
    chart = bar_chart(labels, [by_severity.get(label, 0) for label in labels], height=45 * mm)
    return Section("incidents", _("Incidents and drills"), rows, chart)


def whistleblowing_section(period: Period) -> Section:
    received = WhistleblowerReport.objects.filter(received_on__gte=period.start, received_on__lte=period.end)
    rows: list[list[Any]] = [
        [_("Measure"), _("Value")],
        [_("Reports received"), received.count()],
        [_("Of these, closed"), received.filter(status="closed").count()],
        [_("All reports still open"), WhistleblowerReport.objects.exclude(status="closed").count()],
    ]
    return Section("whistleblowing", _("Whistleblowing channel (counts only)"), rows)


def third_parties_section(period: Period) -> Section:
    from compliance.models import ThirdParty
    from compliance.thirdparties import lapsed_third_parties

    rows: list[list[Any]] = [
        [_("Measure"), _("Value")],
        [_("Active third parties"), ThirdParty.objects.filter(is_active=True).count()],
        [_("High risk"), ThirdParty.objects.filter(is_active=True, risk_rating="high").count()],
        [_("Review or NDA lapsed"), lapsed_third_parties(today=min(timezone.localdate(), period.end)).count()],
    ]
    return Section("third_parties", _("Third parties"), rows)


def discipline_section(period: Period) -> Section:
    violations = Violation.objects.filter(decided_on__gte=period.start, decided_on__lte=period.end)
    rows: list[list[Any]] = [[_("Measure"), _("Value")], [_("Violations"), violations.count()]]
    rows += [[v["action"], v["n"]] for v in violations.values("action").annotate(n=Count("id"))]
    rows.append(
        [
            _("Recognitions"),
            Recognition.objects.filter(awarded_on__gte=period.start, awarded_on__lte=period.end).count(),
        ]
    )
    return Section("discipline", _("Violations and recognition"), rows)


def _not_connected(key: str, title: str) -> SectionFunction:
    def section(period: Period) -> Section:
        return Section(key, title, note=_("No data source is connected for this section yet."))

    return section


register_section("access", access_section)
register_section("nda_training", nda_training_section)
register_section("incidents", incidents_section)
register_section("whistleblowing", whistleblowing_section)
register_section("third_parties", third_parties_section)
register_section("discipline", discipline_section)
# Slots for other slices (they call register_section with the same key when they land).
for _key, _title in (
    ("alerts", gettext_noop("Alerts and their handling")),
    ("retention", gettext_noop("Retention and destruction")),
    ("backups", gettext_noop("Backups and restore drills")),
):
    SECTIONS.setdefault(_key, _not_connected(_key, _title))

CASEWORK_PLACEHOLDER_TITLE = gettext_noop("Data-rights requests and complaints, with response times")

# --- Other casework sections ----------------------------------------------------------------------
#
# Casework handled by other apps (data-rights requests in `datarights`, complaints in `clientcare`,
# and whatever comes later) goes into the "data_rights" slot of the report. Those apps do not exist
# here, and this app must not import them: each registers a section function instead, e.g. in its
# AppConfig.ready():
#
#     from compliance.reports import register_casework_section
#     register_casework_section("complaints", complaints.reports.complaints_section)
#
# The function takes a `Period` and returns a `Section` (counts, response times; never client text).
# Sections appear in the order registered; until one is, the slot says no source is connected.
CASEWORK_SECTIONS: dict[str, SectionFunction] = {}


def register_casework_section(key: str, function: SectionFunction) -> None:
    """Plug a casework section (data-rights requests, complaints, ...) into the compliance report."""
    CASEWORK_SECTIONS[key] = function


def configured_casework_sections() -> dict[str, SectionFunction]:
    """The casework sections named in settings.FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS (dotted paths),
    so that which apps feed the report is visible in one place, not wired at import time."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return {path: import_string(path) for path in getattr(settings, "FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS", [])}


def unregister_casework_section(key: str) -> None:
    CASEWORK_SECTIONS.pop(key, None)


def _safe(key: str, function: SectionFunction, period: Period) -> Section:
    """One section; a failing section is reported as such, and the rest of the report still comes out."""
    try:
        return function(period)
    except Exception:
        logger.exception("compliance report section %s failed", key)
        return Section(key, key, note=_("This section could not be built; see the server log."))


def build_sections(period: Period) -> list[Section]:
    sections: list[Section] = []
    for key in SECTION_ORDER:
        if key == "data_rights":
            casework = {**configured_casework_sections(), **CASEWORK_SECTIONS}
            if key in SECTIONS:
                casework = {key: SECTIONS[key], **casework}
            if not casework:
                casework = {key: _not_connected(key, CASEWORK_PLACEHOLDER_TITLE)}
            sections += [_safe(name, function, period) for name, function in casework.items()]
        elif key in SECTIONS:
            sections.append(_safe(key, SECTIONS[key], period))
    return sections


def render_report_pdf(period: Period, sections: list[Section]) -> bytes:
    kind = "月度" if period.kind == "month" else "年度"
    story: list[Flowable] = [
        pdf.para(f"{kind}合规报告 Compliance report {period.label}", "title"),
        pdf.para(f"{period.start:%Y-%m-%d} - {period.end:%Y-%m-%d}", "small"),
    ]
    for number, section in enumerate(sections, start=1):
        story.append(pdf.para(f"{number}. {_(section.title)}", "h2"))
        if section.rows:
            story.append(pdf.table(section.rows, col_widths=[120 * mm, 50 * mm]))
        if section.chart is not None:
            story.append(Spacer(1, 3 * mm))
            story.append(section.chart)
        if section.note:
            story.append(pdf.para(section.note))
    story.append(Spacer(1, 5 * mm))
    story.append(pdf.para(f"FirmPortal {pdf.local(timezone.now())}", "small"))
    return pdf.render(story, title=f"Compliance report {period.label}")


@transaction.atomic
def generate_compliance_report(period: Period, *, actor: User | None) -> bytes:
    """The PDF for the firm head; generating it is audited."""
    data = render_report_pdf(period, build_sections(period))
    audit.record(
        actor=actor,
        action=ComplianceAction.COMPLIANCE_REPORT_GENERATED,
        details={"period": period.label, "kind": period.kind},
    )
    return data


# --- Record of processing activities ------------------------------------------------------------

ROPA_FIELDS = [
    "name",
    "purpose",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "sensitive_data",
    "recipients",
    "cross_border",
    "retention",
    "security_measures",
    "controller_contact",
]


@transaction.atomic
def save_processing_activity(
    *, activity: ProcessingActivity | None, actor: User | None, **values: Any
) -> ProcessingActivity:
    activity = activity or ProcessingActivity()
    for name in ROPA_FIELDS:
        if name in values:
            setattr(activity, name, values[name])
    if not str(activity.name).strip():
        raise ComplianceError(_("Name the activity."))
    activity.updated_at = timezone.now()
    activity.updated_by = actor
    activity.save()
    audit.record(actor=actor, action=ComplianceAction.PROCESSING_ACTIVITY_SAVED, target=activity)
    return activity


def _label(name: str) -> str:
    field = ProcessingActivity._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


@transaction.atomic
def export_processing_record(*, actor: User) -> bytes:
    """The record as an xlsx workbook (one row per activity, GDPR Art. 30(1) columns)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "RoPA"
    headers = [_label(name) for name in ROPA_FIELDS] + [_label("updated_at")]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for activity in ProcessingActivity.objects.all():
        row: list[Any] = [getattr(activity, name) for name in ROPA_FIELDS]
        row[ROPA_FIELDS.index("sensitive_data")] = _("yes") if activity.sensitive_data else _("no")
        row.append(timezone.localtime(activity.updated_at).strftime("%Y-%m-%d"))
        sheet.append(row)
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = 28
        for cell in column:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(actor=actor, action=ComplianceAction.PROCESSING_RECORD_EXPORTED)
    return buffer.getvalue()


# --- Scheduled reports (beat: monthly on the 1st, yearly on 1 January) ------------------------------

REPORTS_SCOPE_PURPOSE = "compliance-reports"


def previous_month(today: date) -> Period:
    first = today.replace(day=1) - timedelta(days=1)
    return Period.month(first.year, first.month)


def previous_year(today: date) -> Period:
    return Period.year(today.year - 1)


def firm_heads() -> QuerySet[User]:
    from accounts.models import StaffRole, UserKind

    return User.objects.filter(
        kind=UserKind.STAFF, is_active=True, offboarded_at__isnull=True, groups__name=StaffRole.FIRM_HEAD
    ).order_by("username")


def stored_report_url(report: StoredComplianceReport) -> str:
    """Where the firm head downloads it: absolute when `FIRMPORTAL_SITE_URL` is set, else the path."""
    from django.conf import settings
    from django.urls import reverse

    path = reverse("staff:compliance:stored-report", kwargs={"stored_report_id": report.pk})
    return getattr(settings, "FIRMPORTAL_SITE_URL", "").rstrip("/") + path


@transaction.atomic
def store_scheduled_report(period: Period, *, actor: User | None = None) -> StoredComplianceReport:
    """Generate the period's report, keep it encrypted, and tell the firm heads after commit (a link,
    no content). Once per period: a second run (a retried or duplicated job) returns the stored one."""
    from django.conf import settings
    from django.core.files.base import ContentFile

    from confidentiality.files import store_encrypted
    from confidentiality.keyscope import KeyScope
    from firmportal.mail import mail_after_commit

    existing = StoredComplianceReport.objects.filter(kind=period.kind, period_start=period.start).first()
    if existing is not None:
        return existing
    with translation.override(settings.LANGUAGE_CODE):
        data = render_report_pdf(period, build_sections(period))
    stored_file = store_encrypted(
        KeyScope.for_firm(REPORTS_SCOPE_PURPOSE),
        ContentFile(data),
        owner_label="compliance.storedcompliancereport",
        name=f"compliance-report-{period.label}.pdf",
        content_type="application/pdf",
    )
    try:
        with transaction.atomic():
            report = StoredComplianceReport.objects.create(
                kind=period.kind,
                period_start=period.start,
                period_end=period.end,
                file=stored_file,
                generated_at=timezone.now(),
            )
    except IntegrityError:
        # Another worker stored this period first; our file's key never committed (unreadable noise).
        return StoredComplianceReport.objects.get(kind=period.kind, period_start=period.start)
    audit.record(
        actor=actor,
        action=ComplianceAction.COMPLIANCE_REPORT_STORED,
        target=report,
        details={"period": period.label, "kind": period.kind, "size": stored_file.size},
    )
    with translation.override(settings.LANGUAGE_CODE):
        kind = _("Monthly") if period.kind == "month" else _("Yearly")
        subject = _("%(kind)s compliance report %(period)s is ready") % {"kind": kind, "period": period.label}
        body = _(
            "The %(kind)s compliance report for %(period)s has been generated. Sign in to FirmPortal to "
            "download it:\n\n%(url)s\n\nThe report itself is not attached to this e-mail."
        ) % {"kind": kind.lower(), "period": period.label, "url": stored_report_url(report)}
    mail_after_commit(subject=subject, body=body, recipients=[u.email for u in firm_heads()])
    return report


def store_previous_month_report(*, today: date | None = None) -> StoredComplianceReport:
    return store_scheduled_report(previous_month(today or timezone.localdate()))


def store_previous_year_report(*, today: date | None = None) -> StoredComplianceReport:
    return store_scheduled_report(previous_year(today or timezone.localdate()))


@transaction.atomic
def record_stored_report_download(report: StoredComplianceReport, *, actor: User) -> None:
    audit.record(
        actor=actor,
        action=ComplianceAction.COMPLIANCE_REPORT_DOWNLOADED,
        target=report,
        details={"period": report.label, "kind": report.kind},
    )
