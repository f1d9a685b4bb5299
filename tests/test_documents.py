"""Document services: upload checks (each bad input refused with nothing stored), encryption at rest,
status (received → booked / rejected), linking, sharing, document requests — and the staff pages."""

from __future__ import annotations

import datetime
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, AuditEvent
from clients import documents
from clients import services as books
from clients.models import (
    ArchiveCategory,
    BooksAction,
    Document,
    DocumentOrigin,
    DocumentRequestStatus,
    DocumentStatus,
)
from confidentiality.models import StoredFile
from tests import access_cast, cast
from tests.books import ensure_chart, sale
from tests.security.uploads import zip_bomb

pytestmark = pytest.mark.django_db

CANARY = "CANARY-doc-7c41-增值税发票"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n(" + CANARY.encode() + b")\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["日期", "金额"])  # type: ignore[union-attr]
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIRMPORTAL_MAX_UPLOAD_BYTES = 64 * 1024
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world() -> access_cast.World:
    ensure_chart()
    return access_cast.build_world()


def _files_on_disk(root: Path) -> list[Path]:
    return [Path(d) / n for d, _, names in os.walk(root) for n in names] if root.exists() else []


def _upload(world: access_cast.World, upload: Any, **kwargs: Any) -> Document:
    defaults: dict[str, Any] = {
        "client": world.client_a,
        "uploaded_file": upload,
        "title": "",
        "fiscal_year": 2025,
        "archive_category": ArchiveCategory.SOURCE_VOUCHER,
        "actor": world.bookkeeper_alice,
    }
    defaults.update(kwargs)
    return documents.upload_document(**defaults)


# --- Accepted files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("发票.pdf", PDF),
        ("receipt.JPG", JPEG),
        ("stamp.png", PNG),
        ("ledger.xlsx", None),
        ("old.xls", XLS),
        ("bank.csv", "日期,金额\n2025-10-01,100.00\n".encode()),
        ("bank-gbk.csv", "日期,金额\n".encode("gb18030")),
    ],
)
def test_accepted_types_are_stored_encrypted_with_our_content_type(
    world: access_cast.World, media: Path, name: str, body: bytes | None
) -> None:
    data = body if body is not None else xlsx_bytes()
    document = _upload(world, SimpleUploadedFile(name, data, content_type="application/octet-stream"))
    assert document.status == DocumentStatus.RECEIVED and document.origin == DocumentOrigin.FIRM
    assert document.content_type == documents.ALLOWED_TYPES[name.rsplit(".", 1)[1].lower()].content_type
    assert document.original_name == name and document.size == len(data)
    assert document.stored_file_id is not None
    stored = StoredFile.objects.get(pk=document.stored_file_id)
    assert stored.owner == f"client:{world.client_a.pk}#source_voucher" and stored.year == 2025
    assert b"".join(documents.open_decrypted(document)) == data
    event = AuditEvent.objects.get(action=BooksAction.DOCUMENT_UPLOADED, target_id=str(document.pk))
    assert event.client_ref == str(world.client_a.pk) and event.details["size"] == len(data)
    assert name not in str(event.details)


def test_plaintext_never_reaches_the_media_directory_or_the_audit_trail(world: access_cast.World, media: Path) -> None:
    document = _upload(world, SimpleUploadedFile("canary.pdf", PDF), title=CANARY)
    _upload(world, SimpleUploadedFile("canary.csv", f"a,b\n{CANARY},1\n".encode()))
    on_disk = _files_on_disk(media)
    assert len(on_disk) == 2
    for path in on_disk:
        raw = path.read_bytes()
        assert CANARY.encode() not in raw and b"CANARY-doc" not in raw
    assert document.title == CANARY
    row = Document.objects.filter(pk=document.pk).values_list("title", flat=True).get()
    assert row is not None and CANARY.encode() not in bytes(row)  # type: ignore[arg-type]
    assert not any(CANARY in str(e.details) for e in AuditEvent.objects.all())


def test_the_title_defaults_to_the_file_name_without_extension(world: access_cast.World, media: Path) -> None:
    assert _upload(world, SimpleUploadedFile("十月银行对账单.pdf", PDF)).title == "十月银行对账单"


# --- Refused files: a clear message, nothing stored ------------------------------------------------------


def _refused(world: access_cast.World, media: Path, upload: SimpleUploadedFile, code: str) -> str:
    from django.utils import translation

    rows, disk, events = StoredFile.objects.count(), len(_files_on_disk(media)), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        _upload(world, upload)
    assert caught.value.code == code, caught.value
    assert StoredFile.objects.count() == rows and Document.objects.count() == 0
    assert len(_files_on_disk(media)) == disk and AuditEvent.objects.count() == events
    with translation.override("en"):
        return " ".join(str(message) for message in caught.value.messages)


def test_a_file_over_the_size_limit_is_refused(world: access_cast.World, media: Path) -> None:
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (64 * 1024))
    assert "too large" in _refused(world, media, big, "too_large")


def test_an_empty_file_is_refused(world: access_cast.World, media: Path) -> None:
    _refused(world, media, SimpleUploadedFile("empty.pdf", b""), "empty")


@pytest.mark.parametrize("name", ["logo.svg", "run.exe", "page.html", "stamp.gif", "noextension", ".htaccess"])
def test_forbidden_types_are_refused(world: access_cast.World, media: Path, name: str) -> None:
    _refused(world, media, SimpleUploadedFile(name, PDF), "forbidden_type")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.jpg", PDF),
        ("scan.png", JPEG),
        ("ledger.xlsx", b"<html>not a workbook</html>"),
        ("ledger.xlsx", b"PK\x03\x04 truncated zip"),
        ("old.xls", PDF),
        ("bank.csv", PDF),
        ("bank.csv", b"a,b\x00\x01\x02"),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(
    world: access_cast.World, media: Path, name: str, body: bytes
) -> None:
    _refused(world, media, SimpleUploadedFile(name, body), "content_mismatch")


def test_a_zip_that_is_not_a_workbook_is_refused(world: access_cast.World, media: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    _refused(world, media, SimpleUploadedFile("ledger.xlsx", buffer.getvalue()), "content_mismatch")


def test_a_zip_bomb_dressed_as_a_workbook_is_refused(world: access_cast.World, media: Path, settings: Any) -> None:
    settings.FIRMPORTAL_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    bomb = zip_bomb(expanded_bytes=256 * 1024 * 1024)
    # Make it look like a real workbook, so only the inflation gives it away.
    raw = io.BytesIO(bomb.read())
    with zipfile.ZipFile(raw, "a") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "bomb" in _refused(world, media, SimpleUploadedFile("ledger.xlsx", raw.getvalue()), "zip_bomb")


def test_a_workbook_that_lies_about_its_sizes_is_caught_while_inflating(
    world: access_cast.World, media: Path, settings: Any
) -> None:
    settings.FIRMPORTAL_MAX_UNZIPPED_BYTES = 1024 * 1024
    data = bytearray(xlsx_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("xl/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    _refused(world, media, SimpleUploadedFile("ledger.xlsx", buffer.getvalue()), "zip_bomb")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../etc/passwd.pdf", "name_path"),
        ("..\\..\\windows\\win.pdf", "name_path"),
        ("docs/report.pdf", "name_path"),
        ("invoice\x00.pdf", "name_control"),
        ("line\r\nSet-Cookie: x=1.pdf", "name_control"),
        ("tab\there.pdf", "name_control"),
        ("report\u202efdp.pdf", "name_control"),
        ("zero\u200bwidth.pdf", "name_control"),
        ("x" * 300 + ".pdf", "name_long"),
    ],
)
def test_file_names_with_paths_or_control_characters_are_refused(
    world: access_cast.World, media: Path, name: str, code: str
) -> None:
    upload = SimpleUploadedFile("placeholder.pdf", PDF)
    upload._name = name  # type: ignore[attr-defined] # the name setter would keep only the base name (Django does so for real uploads)
    _refused(world, media, upload, code)


def test_surrounding_spaces_are_trimmed_from_a_name(world: access_cast.World, media: Path) -> None:
    upload = SimpleUploadedFile("x.pdf", PDF)
    upload.name = "  bank statement.pdf  "
    assert _upload(world, upload).original_name == "bank statement.pdf"


def test_bad_metadata_is_refused_before_the_file_is_read(world: access_cast.World, media: Path) -> None:
    with pytest.raises(ValidationError):
        _upload(world, SimpleUploadedFile("a.pdf", PDF), fiscal_year=1800)
    with pytest.raises(ValidationError):
        _upload(world, SimpleUploadedFile("a.pdf", PDF), archive_category="love_letters")
    assert StoredFile.objects.count() == 0 and _files_on_disk(media) == []


def test_several_files_are_all_or_nothing(world: access_cast.World, media: Path) -> None:
    good = SimpleUploadedFile("good.pdf", PDF)
    bad = SimpleUploadedFile("bad.pdf", b"MZ not a pdf")
    with pytest.raises(ValidationError) as caught:
        documents.upload_documents(
            client=world.client_a,
            uploaded_files=[good, bad],
            title="",
            fiscal_year=2025,
            archive_category=ArchiveCategory.SOURCE_VOUCHER,
            actor=world.bookkeeper_alice,
        )
    assert len(caught.value.messages) == 1
    assert StoredFile.objects.count() == 0 and Document.objects.count() == 0 and _files_on_disk(media) == []


# --- Status, linking, sharing ---------------------------------------------------------------------------


def test_posting_the_linked_voucher_books_its_documents(world: access_cast.World, media: Path) -> None:
    voucher = books.create_voucher(
        world.client_a, date=datetime.date(2025, 3, 15), lines=sale(), actor=world.bookkeeper_alice
    )
    document = _upload(world, SimpleUploadedFile("invoice.pdf", PDF))
    documents.link_document_to_voucher(document=document, voucher=voucher, actor=world.bookkeeper_alice)
    document.refresh_from_db()
    assert document.voucher_id == voucher.pk and document.status == DocumentStatus.RECEIVED
    books.review_voucher(voucher, actor=world.reviewer_rita)
    books.post_voucher(voucher, actor=world.partner)  # the poster is neither preparer nor reviewer
    document.refresh_from_db()
    assert document.status == DocumentStatus.BOOKED and document.status_changed_by == world.partner
    assert AuditEvent.objects.filter(action=BooksAction.DOCUMENT_BOOKED, target_id=str(document.pk)).count() == 1
    # Linking to a posted voucher books at once.
    other = _upload(world, SimpleUploadedFile("contract.pdf", PDF))
    documents.link_document_to_voucher(document=other, voucher=voucher, actor=world.bookkeeper_alice)
    other.refresh_from_db()
    assert other.status == DocumentStatus.BOOKED


def test_a_document_cannot_be_linked_to_another_clients_voucher(world: access_cast.World, media: Path) -> None:
    voucher_b = books.create_voucher(
        world.client_b, date=datetime.date(2025, 3, 15), lines=sale(), actor=world.bookkeeper_bob
    )
    document = _upload(world, SimpleUploadedFile("invoice.pdf", PDF))
    with pytest.raises(ValidationError):
        documents.link_document_to_voucher(document=document, voucher=voucher_b, actor=world.bookkeeper_alice)
    with pytest.raises(ValidationError):
        _upload(world, SimpleUploadedFile("invoice.pdf", PDF), voucher=voucher_b)


def test_mark_booked_and_reject_follow_the_states(world: access_cast.World, media: Path) -> None:
    document = _upload(world, SimpleUploadedFile("invoice.pdf", PDF))
    documents.mark_document_booked(document=document, actor=world.bookkeeper_alice)
    with pytest.raises(ValidationError):
        documents.mark_document_booked(document=document, actor=world.bookkeeper_alice)
    with pytest.raises(ValidationError):
        documents.reject_document(document=document, reason="看不清", actor=world.bookkeeper_alice)
    second = _upload(world, SimpleUploadedFile("blurred.pdf", PDF))
    with pytest.raises(ValidationError):
        documents.reject_document(document=second, reason="  ", actor=world.bookkeeper_alice)
    documents.reject_document(document=second, reason="扫描件看不清 CANARY-reason", actor=world.bookkeeper_alice)
    second.refresh_from_db()
    assert second.status == DocumentStatus.REJECTED and second.status_reason == "扫描件看不清 CANARY-reason"
    assert not AuditEvent.objects.filter(details__icontains="CANARY-reason").exists()


def test_sharing_tells_the_client_without_naming_the_document(
    world: access_cast.World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    report = _upload(
        world, SimpleUploadedFile("2025年度纳税申报表.pdf", PDF), archive_category=ArchiveCategory.TAX_RETURN
    )
    with django_capture_on_commit_callbacks(execute=True):
        documents.share_document_with_client(document=report, actor=world.bookkeeper_alice)
    report.refresh_from_db()
    assert report.shared_at is not None and report.shared_by == world.bookkeeper_alice
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["client_a_owner@client.test"]
    assert "纳税申报表" not in f"{mail.outbox[0].body} {mail.outbox[0].subject}"
    with pytest.raises(ValidationError):
        documents.share_document_with_client(document=report, actor=world.bookkeeper_alice)
    own = _upload(world, SimpleUploadedFile("own.pdf", PDF), actor=world.client_a_owner)
    with pytest.raises(ValidationError):
        documents.share_document_with_client(document=own, actor=world.bookkeeper_alice)


# --- Document requests ----------------------------------------------------------------------------------


def test_a_request_mails_the_client_only_that_something_was_asked_for(
    world: access_cast.World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = documents.create_document_request(
            client=world.client_a,
            description="请上传十月份工商银行对账单",
            due_date=timezone.localdate() + datetime.timedelta(days=7),
            actor=world.bookkeeper_alice,
        )
    assert item.status == DocumentRequestStatus.OPEN
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["client_a_owner@client.test"]
    assert "对账单" not in mail.outbox[0].body and "工商银行" not in mail.outbox[0].subject
    event = AuditEvent.objects.get(action=BooksAction.DOCUMENT_REQUEST_CREATED)
    assert "对账单" not in str(event.details)


def test_a_request_needs_text_and_a_due_date_not_in_the_past(world: access_cast.World) -> None:
    for description, due in [("", None), ("x" * 501, None), ("对账单", timezone.localdate() - datetime.timedelta(1))]:
        with pytest.raises(ValidationError):
            documents.create_document_request(
                client=world.client_a, description=description, due_date=due, actor=world.bookkeeper_alice
            )
    assert not AuditEvent.objects.filter(action=BooksAction.DOCUMENT_REQUEST_CREATED).exists()


def test_uploading_against_a_request_fulfils_it_once(world: access_cast.World, media: Path) -> None:
    item = documents.create_document_request(
        client=world.client_a, description="十月对账单", due_date=None, actor=world.bookkeeper_alice
    )
    document = _upload(world, SimpleUploadedFile("oct.pdf", PDF), actor=world.client_a_owner, document_request=item)
    item.refresh_from_db()
    assert item.status == DocumentRequestStatus.FULFILLED and item.closed_by == world.client_a_owner
    assert document.request_id == item.pk and document.origin == DocumentOrigin.CLIENT
    with pytest.raises(ValidationError):
        _upload(world, SimpleUploadedFile("again.pdf", PDF), actor=world.client_a_owner, document_request=item)
    other = documents.create_document_request(
        client=world.client_b, description="对账单", due_date=None, actor=world.bookkeeper_bob
    )
    with pytest.raises(ValidationError):
        _upload(world, SimpleUploadedFile("b.pdf", PDF), actor=world.client_a_owner, document_request=other)


def test_a_cancelled_request_cannot_be_fulfilled(world: access_cast.World, media: Path) -> None:
    item = documents.create_document_request(
        client=world.client_a, description="合同", due_date=None, actor=world.bookkeeper_alice
    )
    documents.cancel_document_request(document_request=item, actor=world.bookkeeper_alice)
    item.refresh_from_db()
    assert item.status == DocumentRequestStatus.CANCELLED
    with pytest.raises(ValidationError):
        documents.cancel_document_request(document_request=item, actor=world.bookkeeper_alice)


# --- Staff pages ----------------------------------------------------------------------------------------


def test_staff_upload_several_files_and_see_them_listed(world: access_cast.World, media: Path) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:document-upload", args=[world.client_a.pk])
    response = http.post(
        url,
        {
            "fiscal_year": timezone.localdate().year,
            "archive_category": ArchiveCategory.BANK_STATEMENT,
            "file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)],
        },
    )
    assert response.status_code == 302
    assert Document.objects.filter(client=world.client_a, origin=DocumentOrigin.FIRM).count() == 2
    page = http.get(reverse("clients:documents", args=[world.client_a.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "a.pdf" in body and "b.png" in body and "已收到" in body
    event = AccessEvent.objects.filter(actor=world.bookkeeper_alice, object_type="clients.document").get()
    assert event.action == "view" and len(event.object_ids) == 2


def test_staff_upload_refusal_is_shown_in_chinese_and_stores_nothing(world: access_cast.World, media: Path) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:document-upload", args=[world.client_a.pk])
    response = http.post(
        url,
        {
            "fiscal_year": timezone.localdate().year,
            "archive_category": ArchiveCategory.SOURCE_VOUCHER,
            "file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("evil.svg", b"<svg/>")],
        },
        follow=True,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "没有上传任何文件" in body and "不接受此类型的文件" in body
    assert Document.objects.count() == 0 and StoredFile.objects.count() == 0 and _files_on_disk(media) == []


def test_staff_upload_answers_json_to_the_script(world: access_cast.World, media: Path) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:document-upload", args=[world.client_a.pk])
    data = {"fiscal_year": timezone.localdate().year, "archive_category": ArchiveCategory.SOURCE_VOUCHER}
    ok = http.post(url, {**data, "file": SimpleUploadedFile("a.pdf", PDF)}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert ok.status_code == 200 and ok.json()["ok"] is True and ok.json()["documents"][0]["status"] == "received"
    too_big = SimpleUploadedFile("big.pdf", PDF + b"0" * (80 * 1024))
    refused = http.post(url, {**data, "file": too_big}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert refused.status_code == 400 and "big.pdf" in refused.json()["errors"][0]
    assert Document.objects.count() == 1


def test_outsiders_get_404_on_staff_document_pages(world: access_cast.World, media: Path) -> None:
    document = _upload(world, SimpleUploadedFile("a.pdf", PDF))
    bob = cast.signed_in(world.bookkeeper_bob)
    for url in (
        reverse("clients:documents", args=[world.client_a.pk]),
        reverse("clients:document-download", args=[world.client_a.pk, document.pk]),
        reverse("clients:document-download", args=[world.client_b.pk, document.pk]),
    ):
        assert bob.get(url).status_code == 404
    assert bob.post(reverse("clients:document-share", args=[world.client_a.pk, document.pk])).status_code == 404
    assert AccessEvent.objects.filter(actor=world.bookkeeper_bob, action="denied").exists()
    document.refresh_from_db()
    assert document.shared_at is None


def test_staff_download_streams_the_plaintext_and_records_a_download(world: access_cast.World, media: Path) -> None:
    document = _upload(world, SimpleUploadedFile("发票 3月.pdf", PDF))
    http = cast.signed_in(world.reviewer_rita)  # reviewers read documents
    response = http.get(reverse("clients:document-download", args=[world.client_a.pk, document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    event = AccessEvent.objects.get(actor=world.reviewer_rita, action="download")
    assert event.object_ids == [str(document.pk)] and event.client_ref == str(world.client_a.pk)
    # Reviewers read, they do not manage documents.
    assert http.post(reverse("clients:document-book", args=[world.client_a.pk, document.pk])).status_code == 404


def test_staff_mark_booked_share_and_request_from_the_pages(
    world: access_cast.World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    document = _upload(world, SimpleUploadedFile("report.pdf", PDF), archive_category=ArchiveCategory.TAX_RETURN)
    http = cast.signed_in(world.bookkeeper_alice)
    assert http.post(reverse("clients:document-book", args=[world.client_a.pk, document.pk])).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        http.post(reverse("clients:document-share", args=[world.client_a.pk, document.pk]))
        response = http.post(
            reverse("clients:document-request-create", args=[world.client_a.pk]),
            {"description": "十月对账单", "due_date": ""},
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.BOOKED and document.shared_at is not None
    assert world.client_a.document_requests.filter(status=DocumentRequestStatus.OPEN).count() == 1
    assert len(mail.outbox) == 2
    empty = http.post(reverse("clients:document-request-create", args=[world.client_a.pk]), {"description": ""})
    assert empty.status_code == 302 and world.client_a.document_requests.count() == 1


def test_voucher_detail_links_an_uploaded_document(world: access_cast.World, media: Path) -> None:
    voucher = books.create_voucher(
        world.client_a, date=datetime.date(2025, 3, 15), lines=sale(), actor=world.bookkeeper_alice
    )
    document = _upload(world, SimpleUploadedFile("invoice.pdf", PDF), title="三月发票")
    http = cast.signed_in(world.bookkeeper_alice)
    detail = reverse("clients:voucher-detail", args=[world.client_a.pk, voucher.pk])
    assert "三月发票" in http.get(detail).content.decode()
    link = reverse("clients:voucher-document-link", args=[world.client_a.pk, voucher.pk])
    assert http.post(link, {"document": "not-a-uuid"}).status_code == 302
    assert http.post(link, {"document": str(document.pk)}).status_code == 302
    document.refresh_from_db()
    assert document.voucher_id == voucher.pk


def test_staff_document_list_runs_a_constant_number_of_queries(
    world: access_cast.World, media: Path, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:documents", args=[world.client_a.pk])

    def queries_with(total: int) -> int:
        while Document.objects.count() < total:
            i = Document.objects.count()
            _upload(world, SimpleUploadedFile(f"d{i}.pdf", PDF), fiscal_year=2020 + i % 5)
        http.get(url)  # warm the per-process caches (keys, content types)
        with CaptureQueriesContext(connection) as captured:
            assert http.get(url).status_code == 200
        return len(captured)

    few, many = queries_with(3), queries_with(15)
    assert few == many, (few, many)
    with django_assert_max_num_queries(30):
        http.get(url)


def test_a_large_workbook_kept_encrypted_in_a_temp_file_is_checked_whole(
    world: access_cast.World, media: Path, settings: Any
) -> None:
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE an upload arrives through the ciphertext-only temp file,
    which reads back in chunks: the workbook check must still see all of it."""
    from confidentiality.uploads import EncryptingTemporaryFileUploadHandler

    settings.FIRMPORTAL_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(media.parent / "tmp")
    source = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as book, zipfile.ZipFile(source, "w", zipfile.ZIP_STORED) as out:
        for info in book.infolist():
            out.writestr(info.filename, book.read(info))
        out.writestr("xl/media/scan.bin", os.urandom(3 * 1024 * 1024))  # incompressible: a big real workbook
    data = source.getvalue()
    handler = EncryptingTemporaryFileUploadHandler()
    handler.new_file("file", "big-ledger.xlsx", "application/octet-stream", len(data))
    for start in range(0, len(data), 64 * 1024):
        handler.receive_data_chunk(data[start : start + 64 * 1024], start)
    upload = handler.file_complete(len(data))
    document = _upload(world, upload)
    assert b"".join(documents.open_decrypted(document)) == data


def test_nothing_is_added_to_a_locked_volume(world: access_cast.World, media: Path) -> None:
    from retention.models import ProcessingLock

    year = 2025  # the year _upload files into
    ProcessingLock.objects.create(
        client_id=world.client_a.pk, category="source_voucher", fiscal_year=year, reason="erasure_request"
    )
    message = _refused(world, media, SimpleUploadedFile("invoice.pdf", PDF), "locked")
    assert "locked" in message
    # Another year of the same client still takes documents.
    assert _upload(world, SimpleUploadedFile("invoice.pdf", PDF), fiscal_year=year - 1).pk
