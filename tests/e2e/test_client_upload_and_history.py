"""The issue's client flow in one go: a bookkeeper looks at the company's books in her browser; a
minute later the owner signs in, uploads a source document, and finds that look in "who accessed
my data"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from audit.models import AccessEvent
from clients.models import Document, DocumentOrigin, DocumentStatus
from tests.access_cast import build_world
from tests.e2e.flows import sign_in_client, sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * (64 * 1024) + b"\n%%EOF\n"


def test_owner_uploads_a_document_and_sees_the_bookkeepers_view_in_the_history(  # type: ignore[no-untyped-def]
    live_server, new_page: Callable[[], Page], settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()

    alice = new_page()
    sign_in_staff(alice, live_server.url, world.bookkeeper_alice)
    alice.goto(f"{live_server.url}/staff/clients/")
    alice.get_by_role("link", name=world.client_a.name).click()
    expect(alice.get_by_role("heading", name=world.client_a.name).first).to_be_visible()
    assert AccessEvent.objects.filter(actor=world.bookkeeper_alice, client_ref=str(world.client_a.pk)).exists()

    owner = new_page()
    sign_in_client(owner, live_server.url, world.client_a_owner)
    owner.get_by_role("link", name="资料", exact=True).click()
    owner.set_input_files(
        "form.js-upload-form input[type=file]",
        files=[FilePayload(name="十月银行对账单.pdf", mimeType="application/pdf", buffer=PDF)],
    )
    owner.locator("form.js-upload-form").get_by_role("button", name="上传").click()
    owner.wait_for_selector("form.js-upload-form.upload-finished")
    expect(owner.locator("li.upload-item.upload-done")).to_contain_text("已收到")
    document = Document.objects.get(client=world.client_a, origin=DocumentOrigin.CLIENT)
    assert document.status == DocumentStatus.RECEIVED and document.original_name == "十月银行对账单.pdf"

    owner.get_by_role("link", name="谁查看了我的数据").click()
    owner.wait_for_url("**/portal/access-history/")
    rows = owner.locator("table.access-history tbody tr", has_text="bookkeeper_alice")
    expect(rows.first).to_be_visible()
    assert "制单会计" in rows.first.inner_text()
    # The owner's own upload is in the history too, told apart from the firm's people.
    assert owner.locator("table.access-history tbody tr", has_text="client_a_owner").count() >= 1
