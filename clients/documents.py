"""Documents: checking uploads, storing them encrypted, their status, sharing, and document requests.

Every state change is a service here (keyword-only, explicit actor, atomic, audited in the same
transaction; e-mail after commit). Upload checks run before anything is written: a refused file
leaves no StoredFile row and no file on disk. Audit details carry ids, sizes and states only,
never a title, a file name or what a request asks for.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from clients.models import (
    ArchiveCategory,
    BooksAction,
    Client,
    ClientMembership,
    Document,
    DocumentOrigin,
    DocumentRequest,
    DocumentRequestStatus,
    DocumentStatus,
    Voucher,
    VoucherState,
)
from confidentiality import files
from confidentiality.keyscope import KeyScope
from firmportal.mail import mail_after_commit

MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_TITLE = 200
MAX_NAME = 200
MAX_REASON = 500
MAX_REQUEST_TEXT = 500
# An .xlsx is a zip: refuse archives that inflate far beyond their size (zip bombs).
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 5000
_HEAD = 8192
_CSV_SAMPLE = 64 * 1024

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    label: str


# What the firm accepts: the content type we store and send back is ours, never the browser's claim.
ALLOWED_TYPES: dict[str, FileType] = {
    "pdf": FileType("pdf", "application/pdf", "PDF"),
    "jpg": FileType("jpg", "image/jpeg", "JPEG"),
    "jpeg": FileType("jpeg", "image/jpeg", "JPEG"),
    "png": FileType("png", "image/png", "PNG"),
    "xlsx": FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)"),
    "xls": FileType("xls", "application/vnd.ms-excel", "Excel (.xls)"),
    "csv": FileType("csv", "text/csv", "CSV"),
}
ALLOWED_EXTENSIONS = tuple(ALLOWED_TYPES)


def max_upload_bytes() -> int:
    return int(settings.FIRMPORTAL_MAX_UPLOAD_BYTES)


def max_unzipped_bytes() -> int:
    return int(settings.FIRMPORTAL_MAX_UNZIPPED_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


# --- Checking an upload ------------------------------------------------------------------------------


@dataclass
class CheckedFile:
    """An upload that passed every check: a safe base name, our content type, its bytes' source."""

    name: str
    file_type: FileType
    size: int
    source: Any  # an object with .chunks() or .read(), rewound


def clean_file_name(raw: str) -> str:
    """The client's file name, or ValidationError when it carries a path or control characters.

    The name is only ever stored encrypted (the file on disk is named by a random id), but a name
    with a path or invisible characters is a forged request or a disguise ("report\u202efdp.exe"),
    so it is refused rather than silently changed. Surrounding spaces are trimmed."""
    name = (raw or "").strip()
    if not name:
        raise ValidationError(_("The file has no name."), code="name_empty")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise ValidationError(
            _("The file name contains control or invisible characters. Rename the file and try again."),
            code="name_control",
        )
    if "/" in name or "\\" in name or name in (".", "..") or ".." in name.split("."):
        raise ValidationError(
            _("The file name must not contain a folder path. Rename the file and try again."), code="name_path"
        )
    if len(name) > MAX_NAME:
        raise ValidationError(
            _("The file name is too long (at most %(max)d characters).") % {"max": MAX_NAME}, code="name_long"
        )
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _read_up_to(source: Any, size: int) -> bytes:
    """Up to `size` bytes: a raw stream (the encrypted temp upload) may return less per read."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        data = source.read(remaining)
        if not data:
            break
        parts.append(bytes(data))
        remaining -= len(data)
    return b"".join(parts)


def _read_head(source: Any, size: int) -> bytes:
    _rewind(source)
    data = _read_up_to(source, size)
    _rewind(source)
    return data


def _rewind(source: Any) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        source.seek(0)


def _refuse_mismatch(file_type: FileType) -> ValidationError:
    return ValidationError(
        _("The file's content is not a %(kind)s file, although its name says so.") % {"kind": file_type.label},
        code="content_mismatch",
    )


def _check_ooxml(data: bytes, file_type: FileType) -> None:
    """A real Office Open XML workbook, and no zip bomb: members, total inflated size and ratio bounded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse_mismatch(file_type) from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _refuse_mismatch(file_type)
        inflated = sum(m.file_size for m in members)
        if (
            len(members) > MAX_ZIP_MEMBERS
            or inflated > max_unzipped_bytes()
            or inflated > MAX_ZIP_RATIO * max(len(data), 1)
            or any(m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1) and m.file_size > 1024 * 1024 for m in members)
        ):
            raise ValidationError(
                _("This spreadsheet expands to far more data than a workbook holds (a compressed bomb): refused."),
                code="zip_bomb",
            )
        # The sizes above are what the archive claims: inflate the parts for real, stopping at the limit.
        budget = max_unzipped_bytes()
        try:
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(64 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise ValidationError(
                                _(
                                    "This spreadsheet expands to far more data than a workbook holds "
                                    "(a compressed bomb): refused."
                                ),
                                code="zip_bomb",
                            )
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError):
            raise _refuse_mismatch(file_type) from None


def _check_csv(sample: bytes, file_type: FileType) -> None:
    if b"\x00" in sample or sample.startswith((b"%PDF", b"PK\x03\x04", OLE2, b"\x89PNG", b"\xff\xd8\xff")):
        raise _refuse_mismatch(file_type)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # The sample may end inside a multi-byte character: decode all but its last 3 bytes strictly.
            sample[: len(sample) - 3 if len(sample) == _CSV_SAMPLE else len(sample)].decode(encoding)
            return
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        _("The CSV file is not text in UTF-8 or GB18030 encoding."),
        code="content_mismatch",
    )


def check_upload(uploaded_file: Any) -> CheckedFile:
    """Check an uploaded file: name, size, type by extension, content by its magic bytes (and, for an
    .xlsx, a real workbook that is no zip bomb). Raises ValidationError with a message for the user."""
    name = clean_file_name(str(getattr(uploaded_file, "name", "") or ""))
    size = int(getattr(uploaded_file, "size", 0) or 0)
    if size <= 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError(
            _("The file “%(name)s” is too large (at most %(max)s).") % {"name": name, "max": _megabytes(limit)},
            code="too_large",
        )
    file_type = ALLOWED_TYPES.get(_extension(name))
    if file_type is None:
        raise ValidationError(
            _("Files of this type are not accepted. Upload PDF, JPEG, PNG, Excel (.xlsx, .xls) or CSV files."),
            code="forbidden_type",
        )
    source: Any = uploaded_file
    head = _read_head(source, _HEAD)
    if not head:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    extension = file_type.extension
    if extension == "pdf":
        if not head.startswith(b"%PDF-"):
            raise _refuse_mismatch(file_type)
    elif extension in ("jpg", "jpeg"):
        if not head.startswith(b"\xff\xd8\xff"):
            raise _refuse_mismatch(file_type)
    elif extension == "png":
        if not head.startswith(b"\x89PNG\r\n\x1a\n"):
            raise _refuse_mismatch(file_type)
    elif extension == "xls":
        if not head.startswith(OLE2):
            raise _refuse_mismatch(file_type)
    elif extension == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise _refuse_mismatch(file_type)
        # zipfile needs random access; the file is at most the upload limit, so it is read into memory
        # (never to disk) and stored from there.
        _rewind(source)
        data = _read_up_to(source, limit + 1)
        if len(data) > limit:
            raise ValidationError(
                _("The file “%(name)s” is too large (at most %(max)s).") % {"name": name, "max": _megabytes(limit)},
                code="too_large",
            )
        _check_ooxml(data, file_type)
        source = io.BytesIO(data)
    elif extension == "csv":
        _check_csv(_read_head(source, _CSV_SAMPLE), file_type)
    _rewind(source)
    return CheckedFile(name=name, file_type=file_type, size=size, source=source)


# --- Documents ---------------------------------------------------------------------------------------


def _check_year(fiscal_year: Any) -> int:
    try:
        year = int(fiscal_year)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(_("Choose a fiscal year."), code="fiscal_year")
    return year


def _check_category(archive_category: str) -> str:
    if archive_category not in ArchiveCategory.values:
        raise ValidationError(_("Choose an archive category."), code="archive_category")
    return archive_category


def _title_for(title: str, name: str) -> str:
    text = (title or "").strip() or name.rpartition(".")[0] or name
    if len(text) > MAX_TITLE:
        raise ValidationError(
            _("The title is too long (at most %(max)d characters).") % {"max": MAX_TITLE}, code="title_long"
        )
    return text


def _client_ref(client_id: Any) -> str:
    return str(client_id)


def _members_addresses(client: Client) -> list[str]:
    return sorted(
        {
            address
            for address in ClientMembership.objects.filter(client=client, user__is_active=True).values_list(
                "user__email", flat=True
            )
            if address
        }
    )


@transaction.atomic
def upload_document(
    *,
    client: Client,
    uploaded_file: Any,
    title: str,
    fiscal_year: int,
    archive_category: str,
    actor: Any,
    voucher: Voucher | None = None,
    document_request: DocumentRequest | None = None,
) -> Document:
    """Check and store one uploaded file encrypted under the key of (client, fiscal year, category).

    A client user's upload is the client's (listed in the portal); staff uploads are the firm's
    until shared. Uploading against an open request of the same client fulfils it. Every check
    runs before anything is written."""
    year = _check_year(fiscal_year)
    category = _check_category(archive_category)
    from retention.queries import is_locked

    if is_locked(client.pk, category=category, fiscal_year=year):
        # A locked volume (PIPL Art. 47) is storage and security only: nothing is added to it.
        raise ValidationError(
            _("The records of this fiscal year and category are locked (kept only for the legal retention period)."),
            code="locked",
        )
    if voucher is not None and voucher.client_id != client.pk:
        raise ValidationError(_("The voucher belongs to another client."), code="voucher")
    if document_request is not None:
        if document_request.client_id != client.pk:
            raise ValidationError(_("This request belongs to another company."), code="request")
        if not document_request.is_open:
            raise ValidationError(_("This request is no longer open."), code="request_closed")
    checked = check_upload(uploaded_file)
    title_text = _title_for(title, checked.name)
    scope = KeyScope.for_client(client.pk, year, category=category)
    stored = files.store_encrypted(
        scope,
        checked.source,
        owner_label="clients.document",
        name=checked.name,
        content_type=checked.file_type.content_type,
    )
    origin = DocumentOrigin.CLIENT if getattr(actor, "is_client_user", False) else DocumentOrigin.FIRM
    booked = voucher is not None and voucher.state == VoucherState.POSTED
    now = timezone.now()
    document = Document.objects.create(
        client=client,
        voucher=voucher,
        fiscal_year=year,
        archive_category=category,
        title=title_text,
        original_name=checked.name,
        content_type=checked.file_type.content_type,
        size=stored.size,
        stored_file_id=stored.pk,
        uploaded_by=actor,
        uploaded_at=now,
        origin=origin,
        status=DocumentStatus.BOOKED if booked else DocumentStatus.RECEIVED,
        status_changed_at=now if booked else None,
        status_changed_by=actor if booked else None,
        request=document_request,
    )
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_UPLOADED,
        target=document,
        client_ref=_client_ref(client.pk),
        details={
            "fiscal_year": year,
            "archive_category": category,
            "origin": origin,
            "content_type": checked.file_type.content_type,
            "size": stored.size,
            "stored_file": str(stored.pk),
            "voucher": str(voucher.pk) if voucher else "",
            "request": str(document_request.pk) if document_request else "",
        },
    )
    if document_request is not None:
        _close_request(document_request, status=DocumentRequestStatus.FULFILLED, actor=actor, document=document)
    return document


@transaction.atomic
def upload_documents(
    *,
    client: Client,
    uploaded_files: list[Any],
    title: str,
    fiscal_year: int,
    archive_category: str,
    actor: Any,
    voucher: Voucher | None = None,
    document_request: DocumentRequest | None = None,
    refused_names: list[str] | None = None,
) -> list[Document]:
    """Several files at once, all or nothing: every file is checked before any is stored.

    `refused_names` are files the upload handler already dropped for their size. Raises one
    ValidationError listing what is wrong with each refused file. The title applies to a single file;
    several files keep their own names as titles. All of them answer the request (fulfilled once)."""
    errors: list[str] = [
        _("The file “%(name)s” is too large (at most %(max)s).") % {"name": name, "max": _megabytes(max_upload_bytes())}
        for name in refused_names or []
    ]
    if not uploaded_files and not errors:
        raise ValidationError(_("Choose at least one file to upload."), code="no_file")
    _check_year(fiscal_year)
    _check_category(archive_category)
    for uploaded in uploaded_files:
        try:
            check_upload(uploaded)
        except ValidationError as exc:
            errors.extend(str(m) for m in exc.messages)
    if errors:
        raise ValidationError(errors)
    single = len(uploaded_files) == 1
    stored = [
        upload_document(
            client=client,
            uploaded_file=uploaded,
            title=title if single else "",
            fiscal_year=fiscal_year,
            archive_category=archive_category,
            voucher=voucher,
            document_request=document_request if single else None,
            actor=actor,
        )
        for uploaded in uploaded_files
    ]
    if document_request is not None and not single:
        Document.objects.filter(pk__in=[d.pk for d in stored]).update(request=document_request)
        _close_request(document_request, status=DocumentRequestStatus.FULFILLED, actor=actor, document=stored[0])
    return stored


def _locked_document(document: Document) -> Document:
    return Document.objects.select_for_update().get(pk=document.pk)


def _set_status(document: Document, *, status: str, actor: Any, reason: str | None = None) -> None:
    document.status = status
    document.status_changed_at = timezone.now()
    document.status_changed_by = actor
    fields = ["status", "status_changed_at", "status_changed_by"]
    if reason is not None:
        document.status_reason = reason
        fields.append("status_reason")
    document.save(update_fields=fields)


@transaction.atomic
def link_document_to_voucher(*, document: Document, voucher: Voucher, actor: Any) -> Document:
    """Attach a document to a voucher of the same client; a posted voucher books it."""
    document = _locked_document(document)
    if voucher.client_id != document.client_id:
        raise ValidationError(_("The voucher belongs to another client."), code="voucher")
    if document.status == DocumentStatus.REJECTED:
        raise ValidationError(_("A rejected document cannot be linked to a voucher."), code="rejected")
    if document.voucher_id == voucher.pk:
        raise ValidationError(_("The document is already linked to this voucher."), code="already_linked")
    previous = document.voucher_id
    document.voucher = voucher
    document.save(update_fields=["voucher"])
    # The caller's voucher object may predate its posting: ask the database.
    posted = Voucher.objects.filter(pk=voucher.pk, state=VoucherState.POSTED).exists()
    if posted and document.status != DocumentStatus.BOOKED:
        _set_status(document, status=DocumentStatus.BOOKED, actor=actor)
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_LINKED,
        target=document,
        client_ref=_client_ref(document.client_id),
        details={
            "voucher": str(voucher.pk),
            "previous_voucher": str(previous) if previous else "",
            "status": document.status,
        },
    )
    return document


@transaction.atomic
def mark_document_booked(*, document: Document, actor: Any) -> Document:
    """Staff mark a received document as booked (entered in the books)."""
    document = _locked_document(document)
    if document.status != DocumentStatus.RECEIVED:
        raise ValidationError(_("Only a received document can be marked booked."), code="not_received")
    _set_status(document, status=DocumentStatus.BOOKED, actor=actor)
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_BOOKED,
        target=document,
        client_ref=_client_ref(document.client_id),
        details={"voucher": str(document.voucher_id or ""), "by": "staff"},
    )
    return document


@transaction.atomic
def reject_document(*, document: Document, reason: str, actor: Any) -> Document:
    """Staff reject a received document (unreadable, wrong period...) with a reason the client sees."""
    document = _locked_document(document)
    text = (reason or "").strip()
    if not text:
        raise ValidationError(_("Give the reason for rejecting the document."), code="reason_required")
    if len(text) > MAX_REASON:
        raise ValidationError(
            _("The reason is too long (at most %(max)d characters).") % {"max": MAX_REASON}, code="reason_long"
        )
    if document.status != DocumentStatus.RECEIVED:
        raise ValidationError(_("Only a received document can be rejected."), code="not_received")
    _set_status(document, status=DocumentStatus.REJECTED, actor=actor, reason=text)
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_REJECTED,
        target=document,
        client_ref=_client_ref(document.client_id),
        details={"reason_length": len(text)},
    )
    return document


@transaction.atomic
def share_document_with_client(*, document: Document, actor: Any) -> Document:
    """Make a firm document (a report, a tax return) visible to the client for download; tell them after commit."""
    document = _locked_document(document)
    if document.shared_at is not None:
        raise ValidationError(_("The document is already shared with the client."), code="already_shared")
    if document.origin == DocumentOrigin.CLIENT:
        raise ValidationError(_("The client uploaded this document: it already sees it."), code="client_document")
    if document.stored_file_id is None:
        raise ValidationError(_("Only a document with a file can be shared."), code="no_file")
    document.shared_at = timezone.now()
    document.shared_by = actor
    document.save(update_fields=["shared_at", "shared_by"])
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_SHARED,
        target=document,
        client_ref=_client_ref(document.client_id),
        details={"fiscal_year": document.fiscal_year, "archive_category": document.archive_category},
    )
    # No title, no name: only that there is something to download.
    mail_after_commit(
        subject=_("Your accounting firm shared a document with you"),
        body=_("Your accounting firm shared a document with your company. Sign in to FirmPortal to download it."),
        recipients=_members_addresses(document.client),
    )
    return document


@transaction.atomic
def book_documents_of_voucher(*, voucher: Voucher, actor: Any) -> int:
    """When a voucher posts, its received documents become booked (called by `services.post_voucher`)."""
    documents = list(
        Document.objects.select_for_update().filter(voucher=voucher, status=DocumentStatus.RECEIVED).order_by("pk")
    )
    for document in documents:
        _set_status(document, status=DocumentStatus.BOOKED, actor=actor)
        audit.record(
            actor=actor,
            action=BooksAction.DOCUMENT_BOOKED,
            target=document,
            client_ref=_client_ref(document.client_id),
            details={"voucher": str(voucher.pk), "by": "voucher_posted"},
        )
    return len(documents)


# --- Document requests -------------------------------------------------------------------------------


@transaction.atomic
def create_document_request(
    *, client: Client, description: str, due_date: datetime.date | None, actor: Any
) -> DocumentRequest:
    """The firm asks the client for a document. The e-mail says only that something was asked for."""
    text = (description or "").strip()
    if not text:
        raise ValidationError(_("Say which document you need."), code="description_required")
    if len(text) > MAX_REQUEST_TEXT:
        raise ValidationError(
            _("The request is too long (at most %(max)d characters).") % {"max": MAX_REQUEST_TEXT},
            code="description_long",
        )
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("The due date must not be in the past."), code="due_date_past")
    document_request = DocumentRequest.objects.create(
        client=client, description=text, due_date=due_date, requested_by=actor
    )
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_REQUEST_CREATED,
        target=document_request,
        client_ref=_client_ref(client.pk),
        details={"due_date": due_date.isoformat() if due_date else ""},
    )
    mail_after_commit(
        subject=_("Your accounting firm asked you for a document"),
        body=_(
            "Your accounting firm asked your company for a document. "
            "Sign in to FirmPortal and open Documents to see the request and upload the file."
        ),
        recipients=_members_addresses(client),
    )
    return document_request


def _close_request(
    document_request: DocumentRequest, *, status: str, actor: Any, document: Document | None = None
) -> DocumentRequest:
    locked = DocumentRequest.objects.select_for_update().get(pk=document_request.pk)
    if not locked.is_open:
        raise ValidationError(_("This request is no longer open."), code="request_closed")
    locked.status = status
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(
        actor=actor,
        action=(
            BooksAction.DOCUMENT_REQUEST_FULFILLED
            if status == DocumentRequestStatus.FULFILLED
            else BooksAction.DOCUMENT_REQUEST_CANCELLED
        ),
        target=locked,
        client_ref=_client_ref(locked.client_id),
        details={"document": str(document.pk) if document else ""},
    )
    document_request.status, document_request.closed_at = locked.status, locked.closed_at
    return locked


@transaction.atomic
def cancel_document_request(*, document_request: DocumentRequest, actor: Any) -> DocumentRequest:
    """The firm withdraws a request it no longer needs."""
    return _close_request(document_request, status=DocumentRequestStatus.CANCELLED, actor=actor)


def open_decrypted(document: Document) -> Any:
    """The document's plaintext as an iterator of chunks (for a streaming download)."""
    from confidentiality.models import StoredFile

    if document.stored_file_id is None:
        raise ValidationError(_("This document has no file (a paper original)."), code="no_file")
    stored = StoredFile.objects.get(pk=document.stored_file_id)
    return files.open_decrypted(stored)
