"""The books slice's upload endpoint for the upload attacks: voucher import (an .xlsx, in memory only)."""

from __future__ import annotations

from django.urls import reverse

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


UPLOAD_CASES = [UploadCase("voucher import (xlsx)", _voucher_import)]
