"""The books slice's upload endpoints for the upload attacks: voucher import (an .xlsx, in memory only) and
document uploads (staff and portal, stored encrypted)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clients.forms import MAX_IMPORT_BYTES
from tests import cast
from tests.access_cast import build_world
from tests.security.uploads import UploadCase, UploadTarget


def _voucher_import() -> UploadTarget:
    world = build_world()
    return UploadTarget(
        http=cast.signed_in(world.bookkeeper_alice),
        url=reverse("clients:voucher-import", args=[world.client_a.pk]),
        file_field="file",
        max_bytes=MAX_IMPORT_BYTES,
    )


def _staff_document_upload() -> UploadTarget:
    world = build_world()
    return UploadTarget(
        http=cast.signed_in(world.bookkeeper_alice),
        url=reverse("clients:document-upload", args=[world.client_a.pk]),
        file_field="file",
        data={"fiscal_year": str(timezone.localdate().year), "archive_category": "source_voucher"},
        max_bytes=settings.FIRMPORTAL_MAX_UPLOAD_BYTES,
    )


def _portal_document_upload() -> UploadTarget:
    world = build_world()
    return UploadTarget(
        http=cast.signed_in(world.client_a_owner),
        url=reverse("portal:documents-upload"),
        file_field="file",
        data={"fiscal_year": str(timezone.localdate().year), "archive_category": "source_voucher"},
        max_bytes=settings.FIRMPORTAL_MAX_UPLOAD_BYTES,
    )


UPLOAD_CASES = [
    UploadCase("voucher import (xlsx)", _voucher_import),
    UploadCase("staff document upload", _staff_document_upload),
    UploadCase("client document upload (portal)", _portal_document_upload),
]
