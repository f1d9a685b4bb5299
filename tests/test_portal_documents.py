"""The portal's documents page: the owner uploads and sees status, delegates read only with the
documents scope, another company gets 404, downloads are logged, requests are fulfilled by uploads,
and the dashboard lists the firm's open requests."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent
from clients import documents
from clients.models import ArchiveCategory, Document, DocumentOrigin, DocumentRequestStatus, DocumentStatus
from confidentiality import access_services
from confidentiality.models import DelegateScope, StoredFile
from tests import access_cast, cast

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIRMPORTAL_MAX_UPLOAD_BYTES = 64 * 1024
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world() -> access_cast.World:
    return access_cast.build_world()


def _delegate(world: access_cast.World, scope: list[str], username: str) -> User:
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email=f"{username}@law.test",
        scope=scope,
        ends_at=timezone.now() + datetime.timedelta(days=30),
        actor=world.client_a_owner,
    )
    return access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username=username, password="Long-Enough-Pass-42"
    )


def _form(**extra: Any) -> dict[str, Any]:
    return {"fiscal_year": timezone.localdate().year, "archive_category": "source_voucher", **extra}


def _firm_document(world: access_cast.World, *, shared: bool, title: str) -> Document:
    document = documents.upload_document(
        client=world.client_a,
        uploaded_file=SimpleUploadedFile("report.pdf", PDF),
        title=title,
        fiscal_year=2025,
        archive_category=ArchiveCategory.TAX_RETURN,
        actor=world.bookkeeper_alice,
    )
    if shared:
        documents.share_document_with_client(document=document, actor=world.bookkeeper_alice)
    return document


def test_owner_uploads_two_files_and_sees_them_received(world: access_cast.World, media: Path) -> None:
    http = cast.signed_in(world.client_a_owner)
    response = http.post(
        reverse("portal:documents-upload"),
        _form(file=[SimpleUploadedFile("十月发票.pdf", PDF), SimpleUploadedFile("收据.png", PNG)]),
    )
    assert response.status_code == 302
    uploaded = Document.objects.filter(client=world.client_a)
    assert uploaded.count() == 2 and {d.origin for d in uploaded} == {DocumentOrigin.CLIENT}
    assert {d.status for d in uploaded} == {DocumentStatus.RECEIVED}
    body = http.get(reverse("portal:documents")).content.decode()
    assert "十月发票.pdf" in body and "收据.png" in body and body.count("已收到") == 2
    assert "上海甲贸易有限公司" in body and "上海乙科技有限公司" not in body
    assert "style=" not in body and "<script>" not in body


def test_the_page_writes_one_access_event_and_lists_only_what_the_client_may_see(
    world: access_cast.World, media: Path
) -> None:
    shared = _firm_document(world, shared=True, title="2025年度所得税申报表")
    working = _firm_document(world, shared=False, title="内部底稿-勿外传")
    http = cast.signed_in(world.client_a_owner)
    body = http.get(reverse("portal:documents")).content.decode()
    assert "2025年度所得税申报表" in body and "内部底稿-勿外传" not in body
    events = AccessEvent.objects.filter(actor=world.client_a_owner)
    assert events.count() == 1
    event = events.get()
    assert event.action == "view" and event.object_ids == [str(shared.pk)]
    assert event.client_ref == str(world.client_a.pk)
    # The firm's unshared working paper is as if missing, with a denied event.
    assert http.get(reverse("portal:document-download", args=[working.pk])).status_code == 404
    assert AccessEvent.objects.filter(actor=world.client_a_owner, action="denied").exists()


def test_a_working_paper_becomes_the_clients_once_it_is_a_posted_vouchers_source_document(
    world: access_cast.World, media: Path
) -> None:
    from clients import services as books_services
    from tests.books import ensure_chart, poster, sale

    ensure_chart()
    working = _firm_document(world, shared=False, title="银行回单扫描件")
    url = reverse("portal:document-download", args=[working.pk])
    http = cast.signed_in(world.client_a_owner)
    voucher = books_services.create_voucher(
        world.client_a, date=timezone.localdate().replace(day=1), lines=sale(), actor=world.bookkeeper_alice
    )
    documents.link_document_to_voucher(document=working, voucher=voucher, actor=world.bookkeeper_alice)
    assert http.get(url).status_code == 404  # a draft voucher's attachment is still the firm's
    books_services.review_voucher(voucher, actor=world.reviewer_rita)
    books_services.post_voucher(voucher, actor=poster())
    response = http.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]


def test_owner_downloads_a_shared_document_with_a_download_event(world: access_cast.World, media: Path) -> None:
    shared = _firm_document(world, shared=True, title="申报表")
    http = cast.signed_in(world.client_a_owner)
    response = http.get(reverse("portal:document-download", args=[shared.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    event = AccessEvent.objects.get(actor=world.client_a_owner, action="download")
    assert event.object_ids == [str(shared.pk)] and event.client_ref == str(world.client_a.pk)


def test_another_company_gets_404_everywhere(world: access_cast.World, media: Path) -> None:
    shared = _firm_document(world, shared=True, title="甲公司专用报表")
    http = cast.signed_in(world.client_b_owner)
    assert http.get(reverse("portal:documents"), {"client": str(world.client_a.pk)}).status_code == 404
    assert http.get(reverse("portal:document-download", args=[shared.pk])).status_code == 404
    response = http.post(
        reverse("portal:documents-upload"), _form(client=str(world.client_a.pk), file=SimpleUploadedFile("x.pdf", PDF))
    )
    assert response.status_code == 404
    assert Document.objects.filter(client=world.client_a).count() == 1
    assert AccessEvent.objects.filter(actor=world.client_b_owner, action="denied").count() >= 3
    # Their own page never shows company A's documents.
    assert "甲公司专用报表" not in http.get(reverse("portal:documents")).content.decode()


def test_a_delegate_with_the_documents_scope_reads_but_cannot_upload(world: access_cast.World, media: Path) -> None:
    shared = _firm_document(world, shared=True, title="申报表")
    lawyer = _delegate(world, [DelegateScope.DOCUMENTS], "lawyer_lu")
    http = cast.signed_in(lawyer)
    page = http.get(reverse("portal:documents"))
    body = page.content.decode()
    assert page.status_code == 200 and "申报表" in body and "portal:documents-upload" not in body
    assert 'action="/portal/documents/upload/"' not in body
    assert http.get(reverse("portal:document-download", args=[shared.pk])).status_code == 200
    response = http.post(reverse("portal:documents-upload"), _form(file=SimpleUploadedFile("x.pdf", PDF)))
    assert response.status_code == 404
    response = http.post(
        reverse("portal:documents-upload"), _form(client=str(world.client_a.pk), file=SimpleUploadedFile("x.pdf", PDF))
    )
    assert response.status_code == 404
    assert Document.objects.filter(client=world.client_a).count() == 1
    assert AccessEvent.objects.filter(actor=lawyer, action="download").count() == 1


def test_a_delegate_without_the_documents_scope_gets_404(world: access_cast.World, media: Path) -> None:
    shared = _firm_document(world, shared=True, title="申报表")
    spouse = _delegate(world, [DelegateScope.REPORTS], "spouse_su")
    http = cast.signed_in(spouse)
    assert http.get(reverse("portal:documents")).status_code == 404
    assert http.get(reverse("portal:documents"), {"client": str(world.client_a.pk)}).status_code == 404
    assert http.get(reverse("portal:document-download", args=[shared.pk])).status_code == 404


def test_bad_uploads_in_the_portal_get_chinese_errors_and_store_nothing(world: access_cast.World, media: Path) -> None:
    http = cast.signed_in(world.client_a_owner)
    url = reverse("portal:documents-upload")
    cases = [
        (SimpleUploadedFile("big.pdf", PDF + b"0" * (80 * 1024)), "太大"),
        (SimpleUploadedFile("run.exe", b"MZ"), "不接受此类型的文件"),
        (SimpleUploadedFile("fake.pdf", b"<html></html>"), "文件内容不是 PDF 文件"),
        (SimpleUploadedFile("empty.pdf", b""), "是空的"),
    ]
    for upload, message in cases:
        response = http.post(url, _form(file=upload), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        assert response.status_code == 400, upload.name
        assert message in " ".join(response.json()["errors"]), response.json()
    no_file = http.post(url, _form(), follow=True)
    assert "请至少选择一个要上传的文件" in no_file.content.decode()
    bad_year = http.post(url, _form(fiscal_year="1066", file=SimpleUploadedFile("a.pdf", PDF)), follow=True)
    assert "请选择会计年度和资料类型" in bad_year.content.decode()
    assert Document.objects.count() == 0 and StoredFile.objects.count() == 0


def test_uploading_against_a_request_fulfils_it_and_the_mail_carries_no_content(
    world: access_cast.World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = documents.create_document_request(
            client=world.client_a,
            description="请上传十月份招商银行对账单",
            due_date=timezone.localdate() + datetime.timedelta(days=5),
            actor=world.bookkeeper_alice,
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["client_a_owner@client.test"]
    assert "对账单" not in f"{message.subject} {message.body}" and "招商银行" not in message.body
    http = cast.signed_in(world.client_a_owner)
    dashboard = http.get(reverse("portal:home")).content.decode()
    assert "请上传十月份招商银行对账单" in dashboard and "事务所的资料请求" in dashboard
    page = http.get(reverse("portal:documents"), {"request": str(item.pk)}).content.decode()
    assert f'value="{item.pk}" selected' in page
    response = http.post(
        reverse("portal:documents-upload"),
        _form(request=str(item.pk), file=SimpleUploadedFile("十月对账单.pdf", PDF)),
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 200 and response.json()["documents"][0]["status_label"] == "已收到"
    item.refresh_from_db()
    assert item.status == DocumentRequestStatus.FULFILLED
    assert Document.objects.get(request=item).origin == DocumentOrigin.CLIENT
    assert "请上传十月份招商银行对账单" not in http.get(reverse("portal:home")).content.decode()


def test_another_companys_request_cannot_be_answered(world: access_cast.World, media: Path) -> None:
    item_b = documents.create_document_request(
        client=world.client_b, description="对账单", due_date=None, actor=world.bookkeeper_bob
    )
    http = cast.signed_in(world.client_a_owner)
    response = http.post(
        reverse("portal:documents-upload"), _form(request=str(item_b.pk), file=SimpleUploadedFile("a.pdf", PDF))
    )
    assert response.status_code == 404
    item_b.refresh_from_db()
    assert item_b.status == DocumentRequestStatus.OPEN and Document.objects.count() == 0


def test_staff_see_the_clients_uploads(world: access_cast.World, media: Path) -> None:
    cast.signed_in(world.client_a_owner).post(
        reverse("portal:documents-upload"), _form(file=SimpleUploadedFile("客户上传.pdf", PDF))
    )
    body = cast.signed_in(world.bookkeeper_alice).get(reverse("clients:documents", args=[world.client_a.pk]))
    assert "客户上传.pdf" in body.content.decode() and "客户上传" in body.content.decode()


def test_portal_documents_page_runs_a_constant_number_of_queries(
    world: access_cast.World, media: Path, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = cast.signed_in(world.client_a_owner)
    url = reverse("portal:documents")

    def add(n: int) -> None:
        for i in range(n):
            documents.upload_document(
                client=world.client_a,
                uploaded_file=SimpleUploadedFile(f"u{i}.pdf", PDF),
                title="",
                fiscal_year=2020 + i % 4,
                archive_category=ArchiveCategory.SOURCE_VOUCHER if i % 2 else ArchiveCategory.BANK_STATEMENT,
                actor=world.client_a_owner,
            )
            if i % 3 == 0:
                _firm_document(world, shared=True, title=f"报表{i}")
                documents.create_document_request(
                    client=world.client_a, description=f"请求{i}", due_date=None, actor=world.bookkeeper_alice
                )

    def count() -> int:
        http.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert http.get(url).status_code == 200
        return len(captured)

    add(2)
    few = count()
    add(10)
    assert count() == few
    with django_assert_max_num_queries(25):
        http.get(url)
    # The membership is read once: the access event's reader role reuses the permission check's answer.
    with CaptureQueriesContext(connection) as captured:
        http.get(url)
    alone = [q["sql"] for q in captured.captured_queries if 'FROM "clients_clientmembership" WHERE' in q["sql"]]
    assert len(alone) == 1, alone
    assert AccessEvent.objects.filter(actor=world.client_a_owner).latest("pk").actor_role != "delegate"
