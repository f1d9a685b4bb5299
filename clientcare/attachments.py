"""Checks on message attachments: size, type (by extension AND by content), archive bombs, names.

The file name a client types is kept (encrypted) for display only; on disk the file is named by its
id, so a hostile name can never reach the file system. Names are still cleaned (no path, no control
or direction-changing characters) so that what we show and put in Content-Disposition is harmless.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext_lazy as _

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_NAME_LENGTH = 120
# An office file (xlsx, docx) is a zip archive: refuse one that inflates far beyond its size.
MAX_EXPANDED_BYTES = 100 * 1024 * 1024
MAX_EXPANSION_RATIO = 100
MAX_ARCHIVE_MEMBERS = 2000

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class FileKind:
    content_type: str
    magic: tuple[bytes, ...]  # empty: a text file, checked apart
    office: bool = False


KINDS: dict[str, FileKind] = {
    ".pdf": FileKind("application/pdf", (b"%PDF-",)),
    ".png": FileKind("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": FileKind(XLSX, (b"PK\x03\x04",), office=True),
    ".docx": FileKind(DOCX, (b"PK\x03\x04",), office=True),
    ".csv": FileKind("text/csv", ()),
    ".txt": FileKind("text/plain", ()),
}
ALLOWED_EXTENSIONS = ", ".join(sorted(KINDS))


def clean_name(raw: str) -> str:
    """The displayable base name of an uploaded file; raises ValidationError when nothing usable is left."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    stem, ext = os.path.splitext(name)
    if len(name) > MAX_NAME_LENGTH:
        name = stem[: MAX_NAME_LENGTH - len(ext)] + ext
    if not stem or name.startswith("."):
        raise ValidationError(_("This file name cannot be used: please rename the file."), code="attachment_name")
    return name


def _head(upload: Any, size: int = 8) -> bytes:
    upload.seek(0)
    data: bytes = upload.read(size)
    upload.seek(0)
    return data


def _check_office(upload: Any, compressed_size: int) -> None:
    # In memory (at most MAX_ATTACHMENT_BYTES): an upload held as ciphertext can only be rewound,
    # and a zip is read from its end.
    upload.seek(0)
    data = io.BytesIO(upload.read())
    try:
        with zipfile.ZipFile(data) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            expanded = sum(m.file_size for m in members)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ValidationError(_("This file is damaged or not an office document."), code="attachment_type") from None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        raise ValidationError(_("This file is damaged or not an office document."), code="attachment_type")
    if (
        len(members) > MAX_ARCHIVE_MEMBERS
        or expanded > MAX_EXPANDED_BYTES
        or expanded > MAX_EXPANSION_RATIO * max(compressed_size, 1)
    ):
        raise ValidationError(
            _("This file expands to far more than its size (a compressed archive bomb?) and was refused."),
            code="attachment_bomb",
        )


def _check_text(upload: Any) -> None:
    upload.seek(0)
    sample = upload.read(64 * 1024)
    upload.seek(0)
    if b"\x00" in sample:
        raise ValidationError(_("The content of this file does not match its extension."), code="attachment_type")
    # A cut in the middle of a multi-byte character at the sample's end is fine.
    text = sample if len(sample) < 64 * 1024 else sample[:-4]
    for encoding in ("utf-8", "gb18030"):
        try:
            text.decode(encoding)
        except UnicodeDecodeError:
            continue
        return
    raise ValidationError(_("The content of this file does not match its extension."), code="attachment_type")


def check_attachment(upload: Any) -> tuple[str, str]:
    """(clean name, content type to store) of an acceptable attachment; ValidationError otherwise."""
    name = clean_name(getattr(upload, "name", ""))
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("“%(name)s” is too large: attachments may be at most %(mb)d MB each."),
            code="attachment_size",
            params={"name": name, "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="attachment_empty", params={"name": name})
    kind = KINDS.get(os.path.splitext(name)[1].lower())
    if kind is None:
        raise ValidationError(
            _("“%(name)s” has a file type that cannot be sent. Allowed: %(allowed)s."),
            code="attachment_type",
            params={"name": name, "allowed": ALLOWED_EXTENSIONS},
        )
    if kind.magic:
        head = _head(upload)
        if not any(head.startswith(magic) for magic in kind.magic):
            raise ValidationError(
                _("The content of “%(name)s” does not match its extension."),
                code="attachment_type",
                params={"name": name},
            )
    else:
        _check_text(upload)
    if kind.office:
        _check_office(upload, size)
    return name, kind.content_type


class AttachmentSizeLimitHandler(FileUploadHandler):
    """First upload handler of the message forms: stops reading a file once it passes the limit, so
    an oversized file is never stored in full (not even as ciphertext), and notes it for the form."""

    def __init__(self, request: Any = None, *, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else MAX_ATTACHMENT_BYTES
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.clientcare_oversized = getattr(self.request, "clientcare_oversized", 0) + 1  # type: ignore[attr-defined]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def oversized_error() -> ValidationError:
    return ValidationError(
        _("A file is too large: attachments may be at most %(mb)d MB each. Nothing was sent."),
        code="attachment_size",
        params={"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
    )
