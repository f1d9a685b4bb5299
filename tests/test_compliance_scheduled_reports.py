"""Scheduled compliance reports: the beat makes the previous month's report on the 1st and the previous
year's on 1 January, keeps it encrypted, and e-mails the firm head a link (no content); other apps
plug their casework sections (data-rights requests, complaints) into the report through a registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from compliance import reports, tasks
from compliance.models import StoredComplianceReport
from confidentiality.files import read_decrypted
from firmportal.celery import app
from tests import cast
from tests.workers import running_worker, wait_for

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def head(db: None) -> User:
    return cast.make_staff("head_hu", StaffRole.FIRM_HEAD)


@pytest.fixture
def casework(settings: Any) -> Iterator[None]:
    """No configured sections (only what a test registers); leave the registry as found."""
    settings.FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS = []
    saved = dict(reports.CASEWORK_SECTIONS)
    yield
    reports.CASEWORK_SECTIONS.clear()
    reports.CASEWORK_SECTIONS.update(saved)


def _reads_in_october(actor: User) -> None:
    for day in (3, 17):
        AccessEvent.objects.create(
            occurred_at=datetime(2026, 10, day, 10, tzinfo=SH),
            actor=actor,
            actor_label=actor.username,
            client_ref="c1",
            action="view",
        )


def test_beat_makes_the_monthly_report_on_the_first_and_the_yearly_on_january_first() -> None:
    entries = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    monthly = entries["compliance.tasks.store_monthly_compliance_report"]
    yearly = entries["compliance.tasks.store_yearly_compliance_report"]
    assert isinstance(monthly, crontab) and isinstance(yearly, crontab)
    # The stubs do not declare crontab's expanded fields.
    assert monthly.day_of_month == {1} and len(monthly.month_of_year) == 12  # type: ignore[attr-defined]
    assert yearly.day_of_month == {1} and yearly.month_of_year == {1}  # type: ignore[attr-defined]
    # The reminders of the program are on the same schedule.
    for task in (
        "compliance.tasks.send_training_reminders",
        "compliance.tasks.send_nda_reminders",
        "compliance.tasks.send_third_party_review_reminders",
    ):
        assert task in entries
    assert {
        "compliance.tasks.store_monthly_compliance_report",
        "compliance.tasks.store_yearly_compliance_report",
    } <= set(app.tasks)


def test_the_previous_month_and_year_are_reported() -> None:
    assert reports.previous_month(date(2027, 1, 1)) == reports.Period.month(2026, 12)
    assert reports.previous_month(date(2026, 11, 1)) == reports.Period.month(2026, 10)
    assert reports.previous_year(date(2027, 1, 1)) == reports.Period.year(2026)


@pytest.mark.django_db
def test_monthly_job_stores_the_report_encrypted_and_mails_the_firm_head_a_link_once(
    head: User,
    bookkeeper_alice: User,
    compliance_officer: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _reads_in_october(bookkeeper_alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.store_previous_month_report(today=date(2026, 11, 1))
    assert (report.kind, report.period_start, report.period_end) == ("month", date(2026, 10, 1), date(2026, 10, 31))
    # Encrypted at rest under the firm's report key; the plaintext is a PDF.
    assert report.file.owner == "firm:compliance-reports"
    on_disk = (settings.MEDIA_ROOT / report.file.relative_path).read_bytes()
    assert not on_disk.startswith(b"%PDF") and b"bookkeeper_alice" not in on_disk
    assert read_decrypted(report.file).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="compliance_report_stored", target_id=str(report.pk)).exists()
    # Only the firm head is told; the mail has the link and none of the report.
    assert [m.to for m in mail.outbox] == [[head.email]]
    message = mail.outbox[0]
    assert reverse("staff:compliance:stored-report", args=[report.pk]) in message.body
    assert "2026-10" in message.subject
    assert message.attachments == [] and "bookkeeper_alice" not in message.body
    # A repeated run (a retried job) stores nothing twice and mails nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        again = reports.store_previous_month_report(today=date(2026, 11, 1))
    assert again.pk == report.pk and StoredComplianceReport.objects.count() == 1
    assert len([m for m in mail.outbox if "2026-10" in m.subject]) == 1


@pytest.mark.django_db
def test_yearly_job_stores_the_previous_year(head: User) -> None:
    report = reports.store_previous_year_report(today=date(2027, 1, 1))
    assert (report.kind, report.period_start, report.period_end) == ("year", date(2026, 1, 1), date(2026, 12, 31))
    assert report.label == "2026"


@pytest.mark.django_db
def test_the_firm_head_downloads_a_stored_report_and_others_get_404(head: User, bookkeeper_alice: User) -> None:
    report = reports.store_previous_month_report(today=date(2026, 11, 1))
    url = reverse("staff:compliance:stored-report", args=[report.pk])
    http = cast.signed_in(head)
    listing = http.get(reverse("staff:compliance:reports")).content.decode()
    assert url in listing
    response = http.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="compliance_report_downloaded", actor=head).count() == 1
    assert cast.signed_in(bookkeeper_alice).get(url).status_code == 404
    assert AccessEvent.objects.filter(actor=bookkeeper_alice, action="denied").exists()


@pytest.mark.django_db
def test_casework_sections_registered_by_other_apps_fill_the_data_rights_slot(casework: None) -> None:
    period = reports.Period.month(2026, 10)
    keys = [s.key for s in reports.build_sections(period)]
    assert "data_rights" in keys  # the placeholder says no source is connected
    placeholder = next(s for s in reports.build_sections(period) if s.key == "data_rights")
    assert placeholder.note and not placeholder.rows

    def complaints(period: reports.Period) -> reports.Section:
        return reports.Section("complaints", "Complaints", [["Measure", "Value"], ["Received", 3]])

    def requests(period: reports.Period) -> reports.Section:
        return reports.Section("data_requests", "Data-rights requests", [["Measure", "Value"], ["Answered", 2]])

    reports.register_casework_section("data_requests", requests)
    reports.register_casework_section("complaints", complaints)
    keys = [s.key for s in reports.build_sections(period)]
    assert "data_rights" not in keys
    # In the slot, in the order registered: after backups, before the whistleblowing channel.
    assert keys[keys.index("backups") + 1 : keys.index("whistleblowing")] == ["data_requests", "complaints"]
    assert reports.render_report_pdf(period, reports.build_sections(period)).startswith(b"%PDF")
    reports.unregister_casework_section("complaints")
    reports.unregister_casework_section("data_requests")
    assert "data_rights" in [s.key for s in reports.build_sections(period)]


@pytest.mark.django_db
def test_a_failing_casework_section_does_not_stop_the_report(casework: None) -> None:
    def broken(period: reports.Period) -> reports.Section:
        raise RuntimeError("source down")

    reports.register_casework_section("complaints", broken)
    sections = reports.build_sections(reports.Period.month(2026, 10))
    failed = next(s for s in sections if s.key == "complaints")
    assert failed.note and not failed.rows
    assert {"access", "incidents", "whistleblowing"} <= {s.key for s in sections}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_stores_the_monthly_report_and_mails_the_link(monkeypatch: pytest.MonkeyPatch) -> None:
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)
    # The worker is another process: have it write its mail to files we can read.
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    mail_dir = settings.VAR_DIR / "mail"
    before = set(mail_dir.glob("*")) if mail_dir.exists() else set()
    with running_worker():
        tasks.store_monthly_compliance_report.delay()
        assert wait_for(lambda: StoredComplianceReport.objects.filter(kind="month").exists(), timeout=90)
        report = StoredComplianceReport.objects.get(kind="month")

        def mailed() -> bool:
            return any(str(report.pk) in path.read_text(errors="replace") for path in set(mail_dir.glob("*")) - before)

        assert wait_for(mailed, timeout=30)
    assert read_decrypted(report.file).startswith(b"%PDF")
    new_mail = "".join(path.read_text(errors="replace") for path in set(mail_dir.glob("*")) - before)
    assert head.email in new_mail


@pytest.mark.django_db
def test_the_configured_data_rights_section_counts_requests_and_late_answers() -> None:
    from datetime import date, datetime

    from clients.models import ClientMembership, ClientRole
    from datarights import services as datarights
    from datarights.models import DataRightsRequest, RequestKind, RequestState
    from tests.access_cast import make_client

    owner = cast.make_client_user("owner_ou")
    client = make_client("上海报告测试有限公司")
    ClientMembership.objects.create(user=owner, client=client, role=ClientRole.OWNER)
    first = datarights.submit_request(client=client, kind="access", details="", actor=owner)
    datarights.submit_request(client=client, kind="deletion", details="", actor=owner)
    in_october = datetime(2026, 10, 5, 10, tzinfo=SH)
    DataRightsRequest.objects.update(submitted_at=in_october, due_on=date(2026, 10, 26))
    DataRightsRequest.objects.filter(pk=first.pk).update(
        state=RequestState.FULFILLED, closed_at=datetime(2026, 10, 28, 10, tzinfo=SH)
    )
    section = next(s for s in reports.build_sections(reports.Period.month(2026, 10)) if s.key == "data_rights")
    by_kind = {row[0]: row[1:] for row in section.rows[1:]}
    access = by_kind[str(RequestKind.ACCESS.label)]
    assert access == [1, 1, 0, "23", 1]  # received, answered, refused, median days, answered late
    assert "1" in section.note  # the deletion request is still open, and past its deadline


@pytest.mark.django_db
def test_the_configured_complaints_section_counts_complaints_and_first_answers(compliance_officer: User) -> None:
    from datetime import datetime

    from clientcare.models import Complaint, ComplaintCategory, ComplaintResponse
    from tests.access_cast import make_client

    client = make_client("上海投诉测试有限公司")
    filer = cast.make_client_user("filer_fu")
    october = datetime(2026, 10, 5, 10, tzinfo=SH)
    complaint = Complaint.objects.create(
        client=client,
        filed_by=filer,
        category=ComplaintCategory.values[0],
        text="投诉正文",
        created_at=october,
        deadline=date(2026, 10, 9),
    )
    ComplaintResponse.objects.create(
        complaint=complaint,
        client=client,
        author=compliance_officer,
        text="答复",
        created_at=datetime(2026, 10, 12, 10, tzinfo=SH),
    )
    section = next(s for s in reports.build_sections(reports.Period.month(2026, 10)) if s.key == "complaints")
    assert section.rows[1][1:] == [1, 1, "7", 1]  # received, answered, median days, answered late
    assert "投诉正文" not in str(section.rows) + section.note
