"""Hostile uploads, as reusable functions for every slice that accepts files.

A slice registers its upload endpoint in `tests/security/cases_<slice>.py`:

    def _document_upload() -> UploadTarget:
        owner = cast.make_client_user("client_a_owner"); ...
        return UploadTarget(http=cast.signed_in(owner), url="/portal/documents/upload/", file_field="file",
                            data={"title": "bank statement"}, max_bytes=settings.FIRMPORTAL_MAX_UPLOAD_BYTES)

    UPLOAD_CASES = [UploadCase("client document upload", _document_upload)]

and tests/security/test_uploads.py sends every attack below to it: nothing may answer 500,
nothing may be written outside MEDIA_ROOT, no stored name may carry the hostile name, an
oversized file must not be stored. Slice tests can also call the functions directly.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
SCRIPT = b"<script>alert(document.domain)</script>"

PATH_TRAVERSAL_NAMES = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "....//....//etc/cron.d/x",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "docs/../../../settings.py",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "..%c0%af..%c0%afetc/passwd",
    "../media/../../var/firmportal.sqlite3",
]
CONTROL_CHARACTER_NAMES = [
    "invoice\x00.pdf",
    "line\r\nSet-Cookie: x=1.pdf",
    "tab\there.pdf",
    "bell\x07\x1b[31m.pdf",
    "report\u202efdp.exe",  # right-to-left override: shows as "reportexe.pdf"
    "zero\u200bwidth.pdf",
    "x" * 300 + ".pdf",
    ".htaccess",
    "CON.pdf",
    " leading-and-trailing .pdf ",
]


HOSTILE_TARGETS = {"passwd", "win.ini", "hosts", "settings.py", ".htaccess"}


def named(
    name: str, content: bytes = PDF_HEAD + b"%%EOF\n", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def oversized(limit_bytes: int, *, name: str = "large-scan.pdf") -> SimpleUploadedFile:
    """One byte over the limit, with a valid PDF start (so only the size is wrong)."""
    body = PDF_HEAD + b"0" * max(0, limit_bytes + 1 - len(PDF_HEAD))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def polyglots() -> list[SimpleUploadedFile]:
    """Files that are two things at once, or claim to be what they are not."""
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + SCRIPT + b"\xff\xd9"
    gif = b"GIF89a\x01\x00\x01\x00\x00\xff\x00," + SCRIPT
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"<?php system($_GET['c']); ?>" + SCRIPT
    pdf_html = PDF_HEAD + b"<html><body>" + SCRIPT + b"</body></html>\n%%EOF\n"
    zip_in_pdf = io.BytesIO()
    with zipfile.ZipFile(zip_in_pdf, "w") as archive:
        archive.writestr("index.html", SCRIPT)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    return [
        SimpleUploadedFile("receipt.jpg", jpeg, content_type="image/jpeg"),
        SimpleUploadedFile("stamp.gif", gif, content_type="image/gif"),
        SimpleUploadedFile("scan.png", png, content_type="image/png"),
        SimpleUploadedFile("statement.pdf", pdf_html, content_type="application/pdf"),
        SimpleUploadedFile("contract.pdf", zip_in_pdf.getvalue(), content_type="application/pdf"),
        SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml"),
        SimpleUploadedFile("ledger.xlsx", b"<html>" + SCRIPT + b"</html>", content_type="text/html"),
    ]


def zip_bomb(*, expanded_bytes: int = 256 * 1024 * 1024, name: str = "ledger.xlsx") -> SimpleUploadedFile:
    """A small archive that inflates to `expanded_bytes` (by default named and shaped like an .xlsx)."""
    buffer = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            remaining = expanded_bytes
            while remaining > 0:
                member.write(chunk[: min(len(chunk), remaining)])
                remaining -= len(chunk)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def hostile_names() -> list[SimpleUploadedFile]:
    return [named(name) for name in PATH_TRAVERSAL_NAMES + CONTROL_CHARACTER_NAMES]


def all_attacks(limit_bytes: int) -> list[tuple[str, SimpleUploadedFile]]:
    attacks = [("oversized", oversized(limit_bytes)), ("zip bomb", zip_bomb())]
    attacks += [(f"polyglot {f.name}", f) for f in polyglots()]
    attacks += [(f"hostile name {f.name!r}", f) for f in hostile_names()]
    return attacks


def unsafe_names(root: Path) -> list[str]:
    """Stored paths under `root` that carry a hostile name: traversal, control or format characters."""
    found = []
    for path in root.rglob("*"):
        name = path.name
        if (
            any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
            or ".." in name
            or "\\" in name
            or name.strip() != name
            or name.lower() in HOSTILE_TARGETS
        ):
            found.append(str(path))
    return found


def snapshot(directories: list[Path]) -> set[Path]:
    """Every file under `directories` now (compare after an upload to see what it wrote)."""
    files: set[Path] = set()
    for directory in directories:
        if directory.exists():
            for dirpath, _dirs, names in os.walk(directory):
                files |= {Path(dirpath) / n for n in names}
    return files


@dataclass
class UploadTarget:
    http: HttpClient
    url: str
    file_field: str = "file"
    data: dict[str, str] = field(default_factory=dict)
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class UploadCase:
    name: str
    setup: Callable[[], UploadTarget]

    def __str__(self) -> str:
        return self.name
