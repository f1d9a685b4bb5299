"""A client signs in through a real browser, selects two files, watches a progress bar per file reach
100% (static/js/uploads.js under the strict CSP), sees both as "received"; the staff side sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from clients.models import Document, DocumentOrigin, DocumentStatus
from tests import access_cast, cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * (600 * 1024) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 2048


def test_client_uploads_two_files_with_progress_and_staff_see_them(  # type: ignore[no-untyped-def]
    live_server, browser_page, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = access_cast.build_world()
    page = browser_page
    csp_problems: list[str] = []
    page.on("console", lambda msg: csp_problems.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("用户名").fill("client_a_owner")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="资料", exact=True).click()
    page.wait_for_url("**/portal/documents/")

    page.set_input_files(
        "form.js-upload-form input[type=file]",
        files=[
            {"name": "十月发票.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {"name": "收据.png", "mimeType": "image/png", "buffer": PNG},
        ],
    )
    page.locator("form.js-upload-form").get_by_role("button", name="上传").click()
    page.wait_for_selector("form.js-upload-form.upload-finished")
    done = page.locator("li.upload-item.upload-done")
    assert done.count() == 2
    for i in range(2):
        assert done.nth(i).locator("progress").evaluate("bar => bar.value") == 100
        assert "已收到" in done.nth(i).inner_text()

    # The list below is refreshed by the script: both files, both received.
    rows = page.locator("table.uploaded-documents tbody tr")
    rows.filter(has_text="收据.png").wait_for()
    assert rows.filter(has_text="十月发票.pdf").count() == 1
    assert "已收到" in rows.filter(has_text="收据.png").inner_text()
    assert csp_problems == []

    uploaded = Document.objects.filter(client=world.client_a, origin=DocumentOrigin.CLIENT)
    assert uploaded.count() == 2 and {d.status for d in uploaded} == {DocumentStatus.RECEIVED}
    assert {d.original_name for d in uploaded} == {"十月发票.pdf", "收据.png"}

    staff = cast.signed_in(world.bookkeeper_alice)
    body = staff.get(reverse("clients:documents", args=[world.client_a.pk])).content.decode()
    assert "十月发票.pdf" in body and "收据.png" in body


def test_the_browser_refuses_a_forbidden_type_before_sending_it(  # type: ignore[no-untyped-def]
    live_server, browser_page, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = access_cast.build_world()
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" and "upload" in r.url else None)
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("用户名").fill("client_a_owner")
    page.get_by_label("密码").fill(cast.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")
    page.goto(f"{live_server.url}/portal/documents/")
    page.set_input_files(
        "form.js-upload-form input[type=file]",
        files=[{"name": "run.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}],
    )
    page.locator("form.js-upload-form").get_by_role("button", name="上传").click()
    failed = page.locator("li.upload-item.upload-failed")
    failed.wait_for()
    assert "不是可接受的类型" in failed.inner_text()
    assert requests == [] and Document.objects.filter(client=world.client_a).count() == 0
