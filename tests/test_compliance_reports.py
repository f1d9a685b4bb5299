"""Compliance reports (monthly, yearly PDF with charts) and the record of processing activities."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from compliance import incidents, reports
from compliance.errors import ComplianceError
from compliance.models import ProcessingActivity
from tests import cast

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _reads(actor: User) -> None:
    for day, client in ((3, "c1"), (3, "c2"), (17, "c1")):
        AccessEvent.objects.create(
            occurred_at=datetime(2026, 5, day, 10, tzinfo=SH),
            actor=actor,
            actor_label=actor.username,
            client_ref=client,
            action="view",
            purpose="月结",
        )
    AccessEvent.objects.create(
        occurred_at=datetime(2026, 6, 1, 10, tzinfo=SH), actor=actor, client_ref="c9", action="view"
    )


def test_access_section_counts_the_period_only(bookkeeper_alice: User) -> None:
    _reads(bookkeeper_alice)
    with translation.override("en"):
        section = reports.access_section(reports.Period.month(2026, 5))
    values = {str(row[0]): row[1] for row in section.rows[1:]}
    assert values["Reads of client data"] == 3
    assert values["Clients read"] == 2
    assert values["Reads with a stated purpose"] == 3
    assert section.chart is not None
    bars = section.chart.contents[0].data[0]
    assert len(bars) == 31 and bars[2] == 2 and bars[16] == 1


def test_monthly_pdf_has_every_section_and_the_numbers(partner: User, bookkeeper_alice: User) -> None:
    _reads(bookkeeper_alice)
    incidents.report_incident(title="t", description="d", actor=bookkeeper_alice, is_drill=True)
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)
    http = cast.signed_in(head)
    response = http.post("/staff/compliance/reports/", {"kind": "month", "year": 2026, "month": 5})
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "合规报告" in text and "2026-05" in text
    for title in ("客户数据访问", "保密协议与培训状况", "事件与演练", "举报渠道", "外部合作", "奖惩", "告警及其处理"):
        assert title in text, title
    assert "尚未接入" in text  # sections of other slices say so plainly
    assert AuditEvent.objects.filter(action="compliance_report_generated", actor=head).exists()


def test_yearly_pdf(compliance_officer: User) -> None:
    data = reports.generate_compliance_report(reports.Period.year(2026), actor=compliance_officer)
    assert "2026" in _text(data)


def test_bad_period_is_refused_without_a_500(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    assert http.post("/staff/compliance/reports/", {"kind": "month", "year": 2026}).status_code == 200
    assert http.post("/staff/compliance/reports/", {"kind": "month", "year": 1800, "month": 1}).status_code == 200
    with pytest.raises(ComplianceError):
        reports.Period.month(2026, 13)


def test_reports_are_for_firm_head_and_compliance(bookkeeper_alice: User) -> None:
    http = cast.signed_in(bookkeeper_alice)
    assert http.get("/staff/compliance/reports/").status_code == 404
    assert http.post("/staff/compliance/processing-record/export.xlsx").status_code == 404


def test_processing_record_kept_as_data_and_exported(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    http.post(
        "/staff/compliance/processing-record/",
        {
            "name": "工资核算",
            "purpose": "为客户计算工资",
            "legal_basis": "受托处理",
            "data_subjects": "客户员工",
            "data_categories": "姓名、工资、银行账户",
            "sensitive_data": "on",
            "retention": "30年",
            "security_measures": "加密",
        },
    )
    activity = ProcessingActivity.objects.get(name="工资核算")
    assert activity.sensitive_data and activity.updated_by == compliance_officer
    duplicate = http.post(
        "/staff/compliance/processing-record/",
        {
            "name": "工资核算",
            "purpose": "x",
            "legal_basis": "x",
            "data_subjects": "x",
            "data_categories": "x",
            "retention": "x",
            "security_measures": "x",
        },
    )
    assert duplicate.status_code == 200 and ProcessingActivity.objects.count() == 1
    response = http.post("/staff/compliance/processing-record/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == "工资核算" and "30年" in rows[1]
    assert AuditEvent.objects.filter(action="processing_record_exported").exists()
