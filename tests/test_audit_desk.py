"""The compliance desk: only compliance officers; explorer, reports, exports (audited), charts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from audit import queries
from audit import services as audit
from audit.models import AccessEvent, AuditAction, AuditEvent
from tests import cast

pytestmark = pytest.mark.django_db

DESK_URLS = [
    "/staff/compliance/",
    "/staff/compliance/explorer/",
    "/staff/compliance/clients/?client=c-1",
    "/staff/compliance/leavers/",
    "/staff/compliance/alerts/",
    "/staff/compliance/rules/",
]


def read(actor: User, client: str = "c-1", *, action: str = "view", purpose: str = "", when=None) -> AccessEvent:  # type: ignore[no-untyped-def]
    return AccessEvent.objects.create(
        actor=actor,
        actor_label=actor.username,
        actor_role=",".join(sorted(actor.roles)) or actor.kind,
        occurred_at=when or timezone.now(),
        action=action,
        client_ref=client,
        object_type="clients.voucher",
        object_ids=["1", "2"],
        purpose=purpose,
    )


def test_only_compliance_officers_reach_the_desk(compliance_officer: User, bookkeeper_alice: User) -> None:
    officer, outsider = cast.signed_in(compliance_officer), cast.signed_in(bookkeeper_alice)
    for url in [*DESK_URLS, f"/staff/compliance/people/{bookkeeper_alice.pk}/"]:
        assert officer.get(url).status_code == 200, url
        assert outsider.get(url).status_code == 404, url
    assert outsider.post("/staff/compliance/explorer/export/", {"format": "csv"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_explorer_query_count_does_not_grow_with_rows(compliance_officer: User, bookkeeper_alice: User) -> None:
    http = cast.signed_in(compliance_officer)
    counts = []
    for trail in ("access", "domain", "changelog"):
        for batch in (3, 40):
            for n in range(batch):
                read(bookkeeper_alice, f"c-{n}")
                audit.record(actor=bookkeeper_alice, action=AuditAction.USER_SIGNED_IN, client_ref=f"c-{n}")
                bookkeeper_alice.first_name = f"A{n}"
                bookkeeper_alice.save()
            with CaptureQueriesContext(connection) as captured:
                assert http.get(f"/staff/compliance/explorer/?kind={trail}").status_code == 200
            counts.append((trail, len(captured)))
    assert counts[0][1] == counts[1][1], counts
    assert counts[2][1] == counts[3][1], counts
    assert counts[4][1] == counts[5][1], counts


def test_explorer_filters_by_person_client_action_and_time(
    compliance_officer: User, bookkeeper_alice: User, bookkeeper_bob: User
) -> None:
    read(bookkeeper_alice, "c-alice", purpose="month-end close")
    read(bookkeeper_bob, "c-bob", action="download")
    read(bookkeeper_bob, "c-old", when=timezone.now() - timedelta(days=40))
    http = cast.signed_in(compliance_officer)
    page = http.get("/staff/compliance/explorer/", {"person": bookkeeper_alice.pk}).content.decode()
    assert "c-alice" in page and "c-bob" not in page
    page = http.get("/staff/compliance/explorer/", {"client": "c-bob"}).content.decode()
    assert "c-bob" in page and "c-alice" not in page
    page = http.get("/staff/compliance/explorer/", {"action": "download"}).content.decode()
    assert "c-bob" in page and "c-alice" not in page
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    page = http.get("/staff/compliance/explorer/", {"since": since}).content.decode()
    assert "c-alice" in page and "c-old" not in page


def test_explorer_refuses_bad_filters_with_a_message(compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    response = http.get("/staff/compliance/explorer/", {"since": "2026-13-45", "person": "nobody"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    response = http.get("/staff/compliance/explorer/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert "开始日期" in response.content.decode()


def test_csv_export_is_audited_and_quotes_formulas(compliance_officer: User, bookkeeper_alice: User) -> None:
    read(bookkeeper_alice, "c-1", purpose="=HYPERLINK(evil)")
    http = cast.signed_in(compliance_officer)
    response = http.post("/staff/compliance/explorer/export/", {"format": "csv", "client": "c-1"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-access.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert "'=HYPERLINK(evil)" in rows[1]
    event = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert event.actor == compliance_officer
    assert event.client_ref == "c-1"
    assert event.details["rows"] == 1
    assert event.details["format"] == "csv"


def test_xlsx_export_opens_and_is_audited(compliance_officer: User, bookkeeper_alice: User) -> None:
    audit.record(actor=bookkeeper_alice, action=AuditAction.USER_SIGNED_IN)
    http = cast.signed_in(compliance_officer)
    response = http.post("/staff/compliance/explorer/export/", {"format": "xlsx", "kind": "domain"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert any("user_signed_in" in row for row in values)
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED, details__format="xlsx").exists()


def test_client_report_lists_who_accessed_and_is_itself_recorded(
    compliance_officer: User, bookkeeper_alice: User
) -> None:
    read(bookkeeper_alice, "c-7", purpose="VAT return")
    http = cast.signed_in(compliance_officer)
    page = http.get("/staff/compliance/clients/", {"client": "c-7"}).content.decode()
    assert "bookkeeper_alice" in page
    assert "VAT return" in page
    assert "<svg" in page
    assert AccessEvent.objects.filter(actor=compliance_officer, client_ref="c-7").exists()


def test_staff_report_shows_activity_and_chart(compliance_officer: User, bookkeeper_alice: User) -> None:
    read(bookkeeper_alice, "c-1")
    read(bookkeeper_alice, "c-2")
    page = cast.signed_in(compliance_officer).get(f"/staff/compliance/people/{bookkeeper_alice.pk}/")
    content = page.content.decode()
    assert 'class="chart-bar"' in content
    assert "c-2" in content


def test_leaver_report_shows_last_access_and_activity_after_leaving(
    compliance_officer: User, bookkeeper_alice: User
) -> None:
    read(bookkeeper_alice, "c-1", when=timezone.now() - timedelta(days=3))
    bookkeeper_alice.offboarded_at = timezone.now() - timedelta(days=2)
    bookkeeper_alice.is_active = False
    bookkeeper_alice.save()
    read(bookkeeper_alice, "c-2")
    http = cast.signed_in(compliance_officer)
    assert "bookkeeper_alice" in http.get("/staff/compliance/leavers/").content.decode()
    page = http.get(f"/staff/compliance/leavers/{bookkeeper_alice.pk}/").content.decode()
    assert "c-1" in page and "c-2" in page
    assert "badge-danger" in page


def test_client_access_history_shows_staff_and_delegates(
    bookkeeper_alice: User, client_a_owner: User, partner: User
) -> None:
    bookkeeper_alice.display_name = "李会计"
    bookkeeper_alice.save()
    read(bookkeeper_alice, "c-1", purpose="月末结账")
    read(client_a_owner, "c-1")
    read(bookkeeper_alice, "c-1", action="denied")
    read(bookkeeper_alice, "c-2")
    audit.record(
        actor=partner, action=AuditAction.ACCESS_EMERGENCY_GRANTED, client_ref="c-1", details={"purpose": "审计"}
    )
    rows = queries.client_access_history("c-1")
    assert [(row.who, row.changed) for row in rows] == [
        (str(partner), True),
        ("client_a_owner", False),
        ("李会计", False),
    ]
    assert rows[2].purpose == "月末结账"
    assert rows[2].role == "制单会计"
    assert rows[0].purpose == "审计"
    assert [row.who for row in queries.client_access_history("c-1", actor_kind="client")] == ["client_a_owner"]
    html = render_to_string("audit/_access_history_table.html", {"rows": rows})
    assert "李会计" in html and "delegate-row" in html


def test_access_logging_can_be_switched_off_for_benchmarks(bookkeeper_alice: User) -> None:
    request = RequestFactory().get("/")
    request.user = bookkeeper_alice
    with override_settings(FIRMPORTAL_ACCESS_LOG_ENABLED=False):
        assert audit.record_access(request=request, action="view", client_ref="c-1") is None
    assert audit.record_access(request=request, action="view", client_ref="c-1") is not None
    assert AccessEvent.objects.count() == 1


def test_rolled_back_change_leaves_no_audit_row(bookkeeper_alice: User) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=bookkeeper_alice, action=AuditAction.USER_CREATED)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(action=AuditAction.USER_CREATED).exists()
