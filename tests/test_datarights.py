"""PIPL data-rights requests: each kind, working-day deadlines, refusals with reasons, who may ask and
see, the access-and-copy package (contents, encryption at rest, expiry, the requester only), access events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, AuditEvent
from clients.models import ClientMembership, ClientRole
from confidentiality import access_services
from confidentiality.models import DelegateScope
from datarights import dates, services
from datarights.models import (
    DataRightsAction,
    DataRightsRequest,
    ExportPackage,
    PackageState,
    RequestKind,
    RequestState,
)
from retention.models import ProcessingLock
from tests import cast
from tests.datarights_cast import CANARY, FILE_BODY, Books, access_request, build_books, package_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def books() -> Books:
    return build_books()


def _submit(http: Any, kind: str, details: str = "", **extra: str) -> Any:
    return http.post(reverse("portal:datarights"), {"kind": kind, "details": details, **extra})


def _built(books: Books) -> DataRightsRequest:
    data_request = access_request(books)
    services.fulfil_request(data_request, actor=books.officer)
    services.build_package(data_request.pk)
    data_request.refresh_from_db()
    return data_request


# --- Deadlines in working days ------------------------------------------------------------------------------


def test_deadline_counts_fifteen_working_days_skipping_weekends() -> None:
    friday = dt.date(2026, 11, 27)
    assert dates.add_working_days(friday, 1) == dt.date(2026, 11, 30)  # Monday
    assert dates.answer_due(friday) == dt.date(2026, 12, 18)  # 3 weeks of 5 working days
    assert all(dates.is_working_day(d) for d in [dt.date(2026, 12, 18), dt.date(2026, 11, 30)])
    assert not dates.is_working_day(dt.date(2026, 11, 28))


@override_settings(
    FIRMPORTAL_DATARIGHTS_HOLIDAYS=["2026-10-01", "2026-10-02", "2026-10-05", "bad-date"],
    FIRMPORTAL_DATARIGHTS_MAKEUP_WORKDAYS=["2026-10-10"],
    FIRMPORTAL_DATARIGHTS_DEADLINE_WORKING_DAYS=3,
)
def test_listed_public_holidays_do_not_count_and_makeup_saturdays_do() -> None:
    # 30 Sep (Wed) + 3 working days: 1, 2 Oct holidays, 3–4 weekend, 5 holiday → 6, 7, 8 Oct.
    assert dates.answer_due(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)
    # Friday 9 Oct + 1: Saturday 10 Oct is a make-up working day (调休).
    assert dates.add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)


# --- Submitting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RequestKind.values)
def test_owner_submits_each_kind_with_a_working_day_deadline_and_the_desk_is_told(
    books: Books, kind: str, django_capture_on_commit_callbacks: Any
) -> None:
    http = cast.signed_in(books.world.client_a_owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(http, kind, "客户名称拼写错误：应为上海甲贸易有限公司")
    data_request = DataRightsRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:datarights-detail", args=[data_request.pk]
    )
    assert data_request.kind == kind and data_request.state == RequestState.SUBMITTED
    assert data_request.client_id == books.world.client_a.pk
    assert data_request.due_on == dates.add_working_days(timezone.localdate(), 15)
    assert data_request.events.get().step == "submitted"
    event = AuditEvent.objects.get(action=DataRightsAction.DATA_REQUEST_SUBMITTED)
    assert event.client_ref == str(books.world.client_a.pk) and event.actor == books.world.client_a_owner
    assert "拼写" not in json.dumps(event.details, ensure_ascii=False)
    # The compliance officer is told that there is a request, never what it says.
    assert [m.to for m in mail.outbox] == [[books.officer.email]]
    assert "拼写" not in mail.outbox[0].body and "上海" not in mail.outbox[0].body


def test_the_clients_words_are_encrypted_at_rest(books: Books) -> None:
    data_request = services.submit_request(
        client=books.world.client_a, kind="correction", details="地址错误-CANARY-地址", actor=books.world.client_a_owner
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM datarights_datarightsrequest WHERE id = %s", [data_request.pk])
        raw = bytes(cursor.fetchone()[0])
    assert b"CANARY" not in raw and "地址".encode() not in raw
    assert DataRightsRequest.objects.get().details == "地址错误-CANARY-地址"


def test_an_empty_form_gives_a_clear_chinese_error_and_stores_nothing(books: Books) -> None:
    http = cast.signed_in(books.world.client_a_owner)
    response = _submit(http, "")
    assert response.status_code == 400 and "请选择您要提出的请求" in response.content.decode()
    response = _submit(http, "robot")
    assert response.status_code == 400
    response = _submit(http, RequestKind.CORRECTION, "   ")
    assert response.status_code == 400 and "请说明哪些数据有误" in response.content.decode()
    assert not DataRightsRequest.objects.exists()


def test_a_delegate_cannot_make_or_see_requests(books: Books) -> None:
    world = books.world
    existing = access_request(books)
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email="dora@client.test",
        scope=[DelegateScope.REPORTS, DelegateScope.DOCUMENTS],
        ends_at=timezone.now() + dt.timedelta(days=30),
        actor=world.client_a_owner,
    )
    delegate = access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username="delegate_dora", password="Long-Enough-Pass-42"
    )
    http = cast.signed_in(delegate)
    assert http.get(reverse("portal:datarights")).status_code == 404
    assert _submit(http, "deletion").status_code == 404
    assert _submit(http, "deletion", client=str(world.client_a.pk)).status_code == 404
    assert http.get(reverse("portal:datarights-detail", args=[existing.pk])).status_code == 404
    assert http.get(reverse("portal:datarights-package", args=[existing.pk])).status_code == 404
    assert DataRightsRequest.objects.count() == 1
    assert AccessEvent.objects.filter(actor=delegate, action="denied").count() >= 4
    with pytest.raises(services.DataRightsRefused):
        services.submit_request(client=world.client_a, kind="deletion", details="", actor=delegate)


def test_a_finance_contact_is_not_an_owner(books: Books) -> None:
    finance = cast.make_client_user("finance_fay")
    ClientMembership.objects.create(client=books.world.client_a, user=finance, role=ClientRole.FINANCE)
    assert cast.signed_in(finance).get(reverse("portal:datarights")).status_code == 404


def test_another_company_gets_404_and_a_denied_event(books: Books) -> None:
    data_request = access_request(books)
    http = cast.signed_in(books.world.client_b_owner)
    for name in ("portal:datarights-detail", "portal:datarights-progress", "portal:datarights-package"):
        assert http.get(reverse(name, args=[data_request.pk])).status_code == 404
    assert http.get(reverse("portal:datarights"), {"client": str(books.world.client_a.pk)}).status_code == 404
    denied = AccessEvent.objects.filter(actor=books.world.client_b_owner, action="denied")
    assert denied.count() == 4 and denied.filter(client_ref=str(books.world.client_a.pk)).count() == 4
    # Company B's own list does not show A's request.
    body = http.get(reverse("portal:datarights")).content.decode()
    assert str(data_request.pk) not in body and "上海乙科技有限公司" in body


def test_portal_list_shows_status_and_deadline_with_one_access_event_and_few_queries(
    books: Books, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        access_request(books)
    http = cast.signed_in(books.world.client_a_owner)
    http.get(reverse("portal:datarights"))  # warm the session and caches
    before = AccessEvent.objects.filter(actor=books.world.client_a_owner).count()
    with django_assert_max_num_queries(30):
        body = http.get(reverse("portal:datarights")).content.decode()
    assert body.count("datarights-requests") == 1 and body.count("已提交") == 5
    assert dates.answer_due(timezone.localdate()).isoformat() in body
    assert AccessEvent.objects.filter(actor=books.world.client_a_owner).count() == before + 1


# --- The desk -----------------------------------------------------------------------------------------------


def test_desk_lists_cases_flags_overdue_and_keeps_its_query_count(
    books: Books, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        access_request(books)
    late = DataRightsRequest.objects.first()
    assert late is not None
    DataRightsRequest.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    http = cast.signed_in(books.officer)
    http.get(reverse("staff:datarights:desk"))
    with django_assert_max_num_queries(25):
        response = http.get(reverse("staff:datarights:desk"))
    body = response.content.decode()
    assert response.status_code == 200 and body.count('class="overdue"') == 1 and "已逾期" in body
    overdue = http.get(reverse("staff:datarights:desk"), {"state": "overdue"}).content.decode()
    assert str(late.pk) in overdue and overdue.count("datarights-desk") == 1
    assert "上海甲贸易有限公司" not in body  # the list shows no client data


def test_only_the_compliance_desk_reaches_the_cases(books: Books) -> None:
    data_request = access_request(books)
    for person in (books.world.bookkeeper_alice, books.world.partner):
        http = cast.signed_in(person)
        assert http.get(reverse("staff:datarights:desk")).status_code == 404
        assert http.get(reverse("staff:datarights:detail", args=[data_request.pk])).status_code == 404
        assert (
            http.post(reverse("staff:datarights:refuse", args=[data_request.pk]), {"reasons": "x"}).status_code == 404
        )
    data_request.refresh_from_db()
    assert data_request.state == RequestState.SUBMITTED
    with pytest.raises(services.DataRightsRefused):
        services.acknowledge_request(data_request, actor=books.world.partner)


def test_officer_acknowledges_then_a_refusal_needs_reasons_shown_to_the_client(
    books: Books, django_capture_on_commit_callbacks: Any
) -> None:
    data_request = services.submit_request(
        client=books.world.client_a, kind="deletion", details="请删除全部数据", actor=books.world.client_a_owner
    )
    officer = cast.signed_in(books.officer)
    detail = officer.get(reverse("staff:datarights:detail", args=[data_request.pk]))
    assert detail.status_code == 200 and "请删除全部数据" in detail.content.decode()
    assert (
        AccessEvent.objects.filter(actor=books.officer, object_ids=[str(data_request.pk)], action="view").count() == 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(reverse("staff:datarights:acknowledge", args=[data_request.pk])).status_code == 302
    data_request.refresh_from_db()
    assert data_request.state == RequestState.ACKNOWLEDGED and data_request.acknowledged_by == books.officer
    assert mail.outbox[-1].to == [books.world.client_a_owner.email] and "删除" not in mail.outbox[-1].body

    response = officer.post(reverse("staff:datarights:refuse", args=[data_request.pk]), {"reasons": "   "})
    assert response.status_code == 400 and "拒绝必须说明理由" in response.content.decode()
    data_request.refresh_from_db()
    assert data_request.state == RequestState.ACKNOWLEDGED
    with pytest.raises(services.DataRightsRefused):
        services.refuse_request(data_request, actor=books.officer, reasons="")

    reasons = "贵公司仍有未结清的税务稽查事项，相关凭证须保留。"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(reverse("staff:datarights:refuse", args=[data_request.pk]), {"reasons": reasons})
    assert response.status_code == 302
    data_request.refresh_from_db()
    assert data_request.state == RequestState.REFUSED and data_request.answer == reasons
    assert [e.step for e in data_request.events.all()] == ["submitted", "acknowledged", "refused"]
    assert AuditEvent.objects.filter(action=DataRightsAction.DATA_REQUEST_REFUSED, actor=books.officer).count() == 1
    assert "稽查" not in mail.outbox[-1].body
    page = cast.signed_in(books.world.client_a_owner).get(reverse("portal:datarights-detail", args=[data_request.pk]))
    body = page.content.decode()
    assert reasons in body and "已拒绝" in body
    # A closed case takes no more answers.
    with pytest.raises(services.DataRightsRefused):
        services.fulfil_request(data_request, actor=books.officer)


def test_correction_is_answered_with_what_was_corrected(books: Books) -> None:
    data_request = services.submit_request(
        client=books.world.client_a, kind="correction", details="注册地址应为浦东新区", actor=books.world.client_a_owner
    )
    officer = cast.signed_in(books.officer)
    response = officer.post(reverse("staff:datarights:fulfil", args=[data_request.pk]), {"answer": ""})
    assert response.status_code == 400 and "请记录更正了什么" in response.content.decode()
    response = officer.post(
        reverse("staff:datarights:fulfil", args=[data_request.pk]), {"answer": "已将注册地址更正为浦东新区示例路1号。"}
    )
    assert response.status_code == 302
    data_request.refresh_from_db()
    assert data_request.state == RequestState.FULFILLED and data_request.closed_by == books.officer
    body = cast.signed_in(books.world.client_a_owner).get(reverse("portal:datarights-detail", args=[data_request.pk]))
    assert "已将注册地址更正为浦东新区示例路1号。" in body.content.decode()


def test_deletion_is_checked_against_retention_and_says_what_is_kept_and_why(books: Books) -> None:
    books.world.client_a.contacts = [{"name": "黄先生", "role": "owner", "phone": "13800000000", "email": ""}]
    books.world.client_a.save()
    data_request = services.submit_request(
        client=books.world.client_a, kind="deletion", details="", actor=books.world.client_a_owner
    )
    services.fulfil_request(data_request, actor=books.officer)
    data_request.refresh_from_db()
    assert data_request.state == RequestState.FULFILLED
    erasure = data_request.erasure
    # No active engagement in this cast: the contact persons are erased now; FY2025 vouchers are kept 30 years.
    assert [row["what"] for row in erasure["erased"]] and erasure["scheduled"] == []
    assert any("2055-12-31" in row["why"] for row in erasure["locked"])
    assert ProcessingLock.objects.filter(client_id=books.world.client_a.pk, fiscal_year=2025).exists()
    books.world.client_a.refresh_from_db()
    assert books.world.client_a.contacts == []
    assert AuditEvent.objects.filter(action="erasure_assessed", client_ref=str(books.world.client_a.pk)).exists()
    body = (
        cast.signed_in(books.world.client_a_owner)
        .get(reverse("portal:datarights-detail", args=[data_request.pk]))
        .content.decode()
    )
    assert "2055-12-31" in body and "会计档案管理办法" in body and "已删除" in body


def test_withdrawal_of_consent_is_recorded_and_its_consequence_explained(books: Books) -> None:
    data_request = services.submit_request(
        client=books.world.client_a, kind="withdrawal", details="", actor=books.world.client_a_owner
    )
    services.fulfil_request(data_request, actor=books.officer, answer="")
    assert AuditEvent.objects.filter(action=DataRightsAction.CONSENT_WITHDRAWN, actor=books.officer).count() == 1
    body = (
        cast.signed_in(books.world.client_a_owner)
        .get(reverse("portal:datarights-detail", args=[data_request.pk]))
        .content.decode()
    )
    assert "撤回同意已记录" in body


# --- Access and copy: the package ---------------------------------------------------------------------------


def test_fulfilling_an_access_request_queues_the_package_task_with_the_id_only(
    books: Books, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datarights import tasks

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.build_export_package, "delay", lambda *args: sent.append(args))
    data_request = access_request(books)
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.signed_in(books.officer).post(reverse("staff:datarights:fulfil", args=[data_request.pk]), {})
    assert response.status_code == 302
    assert sent == [(str(data_request.pk),)]
    data_request.refresh_from_db()
    assert data_request.state == RequestState.IN_PROGRESS
    assert ExportPackage.objects.get(request=data_request).state == PackageState.QUEUED


def test_package_holds_every_record_as_json_and_csv_and_the_original_file_bytes(books: Books) -> None:
    data_request = _built(books)
    assert data_request.state == RequestState.FULFILLED
    export = ExportPackage.objects.get(request=data_request)
    assert export.state == PackageState.READY and export.progress == 100 and export.files == 1
    archive = package_zip(data_request)
    names = archive.namelist()
    data = json.loads(archive.read("data.json"))
    assert data["client"]["name"] == "上海甲贸易有限公司"
    assert [v["number"] for v in data["vouchers"]] == [1]
    lines = data["vouchers"][0]["lines"]
    assert [(line["account_code"], line["summary"], line["debit"], line["credit"]) for line in lines] == [
        ("1002", "收到货款", "1000.00", None),
        ("5001", "销售商品", None, "1000.00"),
    ]
    assert {b["account_code"] for b in data["balances"]} == {"1002", "5001"}
    assert data["documents"][0]["title"] == "三月进项发票"
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/voucher_lines.csv").decode("utf-8-sig"))))
    assert [(r["account_code"], r["summary"], r["debit"]) for r in rows] == [
        ("1002", "收到货款", "1000.00"),
        ("5001", "销售商品", ""),
    ]
    assert {"csv/client.csv", "csv/vouchers.csv", "csv/balances.csv", "csv/documents.csv", "csv/periods.csv"} <= set(
        names
    )
    file_name = data["documents"][0]["file_in_package"]
    assert file_name == f"files/{books.document.pk}/三月发票.pdf"
    assert archive.read(file_name) == FILE_BODY
    # Nothing of company B.
    assert "上海乙科技有限公司" not in archive.read("data.json").decode()
    assert AuditEvent.objects.filter(action=DataRightsAction.DATA_PACKAGE_BUILT).count() == 1
    fulfilled = AuditEvent.objects.get(action=DataRightsAction.DATA_REQUEST_FULFILLED)
    assert fulfilled.actor == books.officer and fulfilled.client_ref == str(books.world.client_a.pk)


def test_package_is_encrypted_at_rest_no_canary_in_the_media_directory(books: Books) -> None:
    _built(books)
    media = Path(settings.MEDIA_ROOT)
    files = [p for p in media.rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_bytes()
        assert CANARY not in content, path
        assert "收到货款".encode() not in content and "上海甲贸易有限公司".encode() not in content, path
    assert not list(media.rglob("*.part"))


def test_requester_downloads_the_package_and_each_download_is_an_access_event(books: Books) -> None:
    data_request = _built(books)
    http = cast.signed_in(books.world.client_a_owner)
    detail = http.get(reverse("portal:datarights-detail", args=[data_request.pk])).content.decode()
    assert reverse("portal:datarights-package", args=[data_request.pk]) in detail
    for _ in range(2):
        response = http.get(reverse("portal:datarights-package", args=[data_request.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert zipfile.ZipFile(io.BytesIO(body)).read(f"files/{books.document.pk}/三月发票.pdf") == FILE_BODY
    events = AccessEvent.objects.filter(actor=books.world.client_a_owner, action="download")
    assert events.count() == 2
    assert {e.object_type for e in events} == {"datarights.exportpackage"}
    assert {e.client_ref for e in events} == {str(books.world.client_a.pk)}


def test_another_account_of_the_same_company_gets_404_for_the_package(books: Books) -> None:
    data_request = _built(books)
    co_owner = cast.make_client_user("client_a_co_owner")
    ClientMembership.objects.create(client=books.world.client_a, user=co_owner, role=ClientRole.OWNER)
    http = cast.signed_in(co_owner)
    assert http.get(reverse("portal:datarights-detail", args=[data_request.pk])).status_code == 200
    assert http.get(reverse("portal:datarights-package", args=[data_request.pk])).status_code == 404
    assert AccessEvent.objects.filter(actor=co_owner, action="denied", object_type="datarights.exportpackage").exists()
    assert not AccessEvent.objects.filter(actor=co_owner, action="download").exists()


def test_an_expired_link_gets_a_clear_expired_page_and_no_download(books: Books) -> None:
    data_request = _built(books)
    ExportPackage.objects.filter(request=data_request).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    http = cast.signed_in(books.world.client_a_owner)
    response = http.get(reverse("portal:datarights-package", args=[data_request.pk]))
    assert response.status_code == 410 and "下载链接已过期" in response.content.decode()
    assert not AccessEvent.objects.filter(action="download").exists()
    # The hourly clean-up shreds the expired file; the page stays clear.
    assert services.purge_expired_packages() == 1
    export = ExportPackage.objects.get(request=data_request)
    assert export.state == PackageState.EXPIRED and export.stored_file_id is None
    assert http.get(reverse("portal:datarights-package", args=[data_request.pk])).status_code == 410


@override_settings(FIRMPORTAL_DATARIGHTS_PACKAGE_DAYS=3)
def test_the_link_expires_after_the_configured_days(books: Books) -> None:
    data_request = _built(books)
    export = ExportPackage.objects.get(request=data_request)
    assert export.expires_at is not None and export.finished_at is not None
    assert export.expires_at - export.finished_at == dt.timedelta(days=3)


def test_a_failed_build_is_recorded_and_the_officer_can_queue_it_again(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datarights import package

    data_request = access_request(books)
    services.fulfil_request(data_request, actor=books.officer)

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(package, "write_package", broken)
    services.build_package(data_request.pk)
    export = ExportPackage.objects.get(request=data_request)
    assert export.state == PackageState.FAILED and export.failure == "RuntimeError"
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.part"))
    monkeypatch.undo()
    data_request.refresh_from_db()
    services.fulfil_request(data_request, actor=books.officer)
    services.build_package(data_request.pk)
    export.refresh_from_db()
    assert export.state == PackageState.READY


def test_pages_switch_to_english(books: Books) -> None:
    data_request = access_request(books)
    http = cast.signed_in(books.world.client_a_owner)
    http.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    body = http.get(reverse("portal:datarights")).content.decode()
    assert "My data rights" in body and "Send the request" in body and "我的数据权利" not in body
    body = http.get(reverse("portal:datarights-detail", args=[data_request.pk])).content.decode()
    assert "Access and copy of our data" in body and "Submitted" in body


def test_desk_case_shows_the_timeline_and_the_package_progress(books: Books) -> None:
    data_request = access_request(books)
    services.fulfil_request(data_request, actor=books.officer)
    body = (
        cast.signed_in(books.officer).get(reverse("staff:datarights:detail", args=[data_request.pk])).content.decode()
    )
    assert f'hx-get="{reverse("staff:datarights:progress", args=[data_request.pk])}"' in body
    assert "已收到请求" in body and "合规专员已受理" not in body and "正在准备导出包" in body
    fragment = cast.signed_in(books.officer).get(reverse("staff:datarights:progress", args=[data_request.pk]))
    assert fragment.status_code == 200 and 'data-progress="0"' in fragment.content.decode()
