"""Data-rights test helpers: a company with books and an original file, a compliance officer, requests."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from accounts.models import StaffRole, User
from clients import services as books
from clients.models import ArchiveCategory, Document
from confidentiality.files import read_decrypted, store_encrypted
from confidentiality.keyscope import KeyScope
from confidentiality.models import StoredFile
from datarights import services
from datarights.models import DataRightsRequest, ExportPackage
from tests import access_cast, cast
from tests.books import ensure_chart, posted_voucher

# A file body that must never appear on disk in the clear (the package and the original are encrypted).
CANARY = "CANARY-datarights-7f3a-发票".encode()
FILE_BODY = b"%PDF-1.4\n" + CANARY + b"\n" + bytes(range(256)) * 8


@dataclass
class Books:
    world: access_cast.World
    officer: User
    document: Document


def add_document(world: access_cast.World, body: bytes = FILE_BODY, name: str = "三月发票.pdf") -> Document:
    scope = KeyScope.for_client(world.client_a.pk, 2025, category=ArchiveCategory.SOURCE_VOUCHER)
    stored = store_encrypted(
        scope, io.BytesIO(body), owner_label="clients.document", name=name, content_type="application/pdf"
    )
    return books.record_document(
        world.client_a,
        title="三月进项发票",
        fiscal_year=2025,
        archive_category=ArchiveCategory.SOURCE_VOUCHER,
        actor=world.bookkeeper_alice,
        original_name=name,
        content_type="application/pdf",
        size=len(body),
        stored_file_id=stored.pk,
    )


def build_books() -> Books:
    ensure_chart()
    world = access_cast.build_world()
    officer = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    posted_voucher(world.client_b, world.bookkeeper_bob, world.partner)
    document = add_document(world)
    return Books(world=world, officer=officer, document=document)


def access_request(books_: Books) -> DataRightsRequest:
    return services.submit_request(
        client=books_.world.client_a, kind="access", details="请提供全部数据副本", actor=books_.world.client_a_owner
    )


def package_zip(data_request: DataRightsRequest) -> zipfile.ZipFile:
    export = ExportPackage.objects.get(request=data_request)
    assert export.stored_file_id is not None
    stored = StoredFile.objects.get(pk=export.stored_file_id)
    return zipfile.ZipFile(io.BytesIO(read_decrypted(stored)))
