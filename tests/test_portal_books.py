"""Books and reports in the client portal: closed periods only, posted vouchers, attached documents, downloads."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent
from clients import services as books
from clients.models import AccountingPeriod, ArchiveCategory, Document, Voucher
from confidentiality import access_services, files
from confidentiality.keyscope import KeyScope
from confidentiality.models import DelegateScope
from portal import books_views
from tests import access_cast, cast
from tests.books import ensure_chart, lines, posted_voucher

pytestmark = pytest.mark.django_db

INVOICE = b"%PDF-1.4 invoice 0042 for the March sale"


@dataclass
class Books:
    world: access_cast.World
    march: Voucher
    april: Voucher
    document: Document


def _close(world: access_cast.World, year: int, month: int) -> None:
    period = AccountingPeriod.objects.get(client=world.client_a, year=year, month=month)
    books.close_period(period, actor=world.reviewer_rita)


def _attach(world: access_cast.World, voucher: Voucher) -> Document:
    scope = KeyScope.for_client(world.client_a.pk, voucher.fiscal_year, category=ArchiveCategory.SOURCE_VOUCHER)
    stored = files.store_encrypted(
        scope, io.BytesIO(INVOICE), owner_label="clients.document", name="发票.pdf", content_type="application/pdf"
    )
    return books.record_document(
        world.client_a,
        title="三月销售发票",
        fiscal_year=voucher.fiscal_year,
        archive_category=ArchiveCategory.SOURCE_VOUCHER,
        actor=world.bookkeeper_alice,
        voucher=voucher,
        original_name="发票.pdf",
        content_type="application/pdf",
        size=len(INVOICE),
        stored_file_id=stored.pk,
    )


@pytest.fixture
def ledger() -> Books:
    """Client A: a 1,000 sale in March (closed, with its invoice attached) and a 300 expense in April (open)."""
    ensure_chart()
    world = access_cast.build_world()
    march = posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    april = posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        date=datetime.date(2025, 4, 10),
        spec=lines(("5602", "办公费", "300.00", None), ("1002", "付办公费", None, "300.00")),
    )
    document = _attach(world, march)
    _close(world, 2025, 3)
    return Books(world, march, april, document)


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


def _events(user: User, object_type: str) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(actor=user, object_type=object_type))


# --- Reports ---------------------------------------------------------------------------------------


def test_owner_sees_the_balance_sheet_of_the_latest_closed_period_with_one_access_event(ledger: Books) -> None:
    owner = ledger.world.client_a_owner
    response = cast.signed_in(owner).get(reverse("portal:books-balance-sheet"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "资产负债表" in body and "会小企01表" in body and "2025-03" in body
    assert 'data-line="1">1,000.00<' in body  # 货币资金 after the March sale
    assert "上海乙科技有限公司" not in body
    [event] = _events(owner, "clients.report.balance-sheet")
    assert (
        event.action == "view" and event.object_ids == ["2025-03"] and event.client_ref == str(ledger.world.client_a.pk)
    )


def test_open_period_is_neither_offered_nor_reported(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.client_a_owner)
    page = http.get(reverse("portal:books-income-statement")).content.decode()
    assert '<option value="2025-03"' in page and "2025-04" not in page
    response = http.get(reverse("portal:books-income-statement"), {"period": "2025-04"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请从列表中选择已结账的期间" in body and "data-line=" not in body
    for bad in ("2025-04", "garbage", "2025-13", ""):
        download = http.get(reverse("portal:books-income-statement"), {"period": bad, "format": "xlsx"})
        assert download.status_code == 200 and download["Content-Type"].startswith("text/html")
    # Refused choices show nothing: the events name no period.
    assert all(e.object_ids == [] for e in _events(ledger.world.client_a_owner, "clients.report.income-statement")[1:])


def test_income_statement_and_trial_balance_of_march(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.client_a_owner)
    income = http.get(reverse("portal:books-income-statement"), {"period": "2025-03"}).content.decode()
    assert "利润表" in income and 'data-line="1">1,000.00<' in income
    trial = http.get(reverse("portal:books-trial-balance"), {"period": "2025-03"}).content.decode()
    assert "科目余额表" in trial
    row = trial[trial.index('data-code="5001"') :]
    assert "1,000.00" in row[: row.index("</tr>")]
    assert "5602" not in trial  # April's expense is in the open period


def test_no_closed_period_yet_says_so(db: None) -> None:
    ensure_chart()
    world = access_cast.build_world()
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    body = cast.signed_in(world.client_a_owner).get(reverse("portal:books-balance-sheet")).content.decode()
    assert "尚无已结账的期间" in body and "data-line=" not in body


def test_xlsx_download_is_a_real_workbook_with_the_figures(ledger: Books) -> None:
    owner = ledger.world.client_a_owner
    response = cast.signed_in(owner).get(reverse("portal:books-balance-sheet"), {"period": "2025-03", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="balance-sheet-2025-03.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cash = [row for row in sheet.iter_rows(values_only=True) if row and str(row[0]).strip() == "货币资金"]
    assert cash and Decimal(str(cash[0][2])) == Decimal("1000.00")
    [event] = _events(owner, "clients.report.balance-sheet")
    assert event.action == "export" and event.object_ids == ["2025-03"]


def test_pdf_downloads_are_pdf_files(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.client_a_owner)
    for name in ("books-balance-sheet", "books-income-statement", "books-trial-balance"):
        response = http.get(reverse(f"portal:{name}"), {"period": "2025-03", "format": "pdf"})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert AccessEvent.objects.filter(actor=ledger.world.client_a_owner, action="export").count() == 3


# --- Who may see the books ------------------------------------------------------------------------


def test_delegate_with_the_reports_scope_sees_the_books_but_not_the_documents(ledger: Books) -> None:
    dora = _delegate(ledger.world, [DelegateScope.REPORTS], "delegate_dora")
    http = cast.signed_in(dora)
    assert http.get(reverse("portal:books-balance-sheet")).status_code == 200
    detail = http.get(reverse("portal:books-voucher-detail", args=[ledger.march.pk]))
    assert detail.status_code == 200 and "收到货款" in detail.content.decode()
    assert "三月销售发票" not in detail.content.decode()
    url = reverse("portal:voucher-document-download", args=[ledger.march.pk, ledger.document.pk])
    assert http.get(url).status_code == 404
    assert AccessEvent.objects.filter(actor=dora, action="denied", object_type="clients.document").exists()


def test_delegate_without_the_reports_scope_gets_404_everywhere_in_the_books(ledger: Books) -> None:
    lena = _delegate(ledger.world, [DelegateScope.DOCUMENTS], "delegate_lena")
    http = cast.signed_in(lena)
    client_a = str(ledger.world.client_a.pk)
    for name in ("books", "books-balance-sheet", "books-income-statement", "books-trial-balance", "books-vouchers"):
        assert http.get(reverse(f"portal:{name}")).status_code == 404
        assert http.get(reverse(f"portal:{name}"), {"client": client_a}).status_code == 404
    assert http.get(reverse("portal:books-voucher-detail", args=[ledger.march.pk])).status_code == 404
    url = reverse("portal:voucher-document-download", args=[ledger.march.pk, ledger.document.pk])
    assert http.get(url).status_code == 404
    assert AccessEvent.objects.filter(actor=lena, action="denied").count() >= 12
    assert not AccessEvent.objects.filter(actor=lena, object_type__startswith="clients.report").exists()


def test_another_companys_owner_gets_404_and_a_denied_event(ledger: Books) -> None:
    other = ledger.world.client_b_owner
    http = cast.signed_in(other)
    client_a = str(ledger.world.client_a.pk)
    assert http.get(reverse("portal:books-balance-sheet"), {"client": client_a}).status_code == 404
    assert http.get(reverse("portal:books-vouchers"), {"client": client_a}).status_code == 404
    assert http.get(reverse("portal:books-voucher-detail", args=[ledger.march.pk])).status_code == 404
    url = reverse("portal:voucher-document-download", args=[ledger.march.pk, ledger.document.pk])
    assert http.get(url).status_code == 404
    denied = AccessEvent.objects.filter(actor=other, action="denied")
    assert denied.count() == 4
    assert {e.client_ref for e in denied} == {client_a}
    # Their own (empty) books show nothing of company A.
    own = http.get(reverse("portal:books-vouchers")).content.decode()
    assert "收到货款" not in own and "记-0001" not in own


def test_staff_cannot_use_the_portal_books(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.bookkeeper_alice)
    assert http.get(reverse("portal:books-balance-sheet")).status_code == 404
    assert http.get(reverse("portal:books-voucher-detail", args=[ledger.march.pk])).status_code == 404


# --- Vouchers -------------------------------------------------------------------------------------


def test_voucher_list_shows_posted_vouchers_only_with_one_event_listing_them(ledger: Books) -> None:
    world = ledger.world
    draft = books.create_voucher(
        world.client_a,
        date=datetime.date(2025, 4, 20),
        lines=lines(("1001", "备用金", "50.00", None), ("1002", "取现", None, "50.00")),
        actor=world.bookkeeper_alice,
    )
    owner = world.client_a_owner
    body = cast.signed_in(owner).get(reverse("portal:books-vouchers")).content.decode()
    assert str(ledger.march.pk) in body and str(ledger.april.pk) in body and str(draft.pk) not in body
    assert "1,000.00" in body and "300.00" in body
    [event] = _events(owner, "clients.voucher")
    assert event.action == "view" and set(event.object_ids) == {str(ledger.march.pk), str(ledger.april.pk)}
    assert cast.signed_in(owner).get(reverse("portal:books-voucher-detail", args=[draft.pk])).status_code == 404


def _more_vouchers(world: access_cast.World, count: int) -> None:
    for day in range(count):
        posted_voucher(
            world.client_a, world.bookkeeper_alice, world.reviewer_rita, date=datetime.date(2025, 5, day + 1)
        )


def test_voucher_list_is_paged_and_its_query_count_does_not_grow_with_rows(
    ledger: Books, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(books_views, "VOUCHERS_PER_PAGE", 3)
    owner = ledger.world.client_a_owner
    http = cast.signed_in(owner)
    url = reverse("portal:books-vouchers")
    http.get(url)  # warm the per-process key cache like a running server
    with django_assert_max_num_queries(16) as few:
        http.get(url)
    _more_vouchers(ledger.world, 5)  # 7 posted vouchers: pages of 3, 3 and 1
    with django_assert_max_num_queries(16) as more:
        first = http.get(url).content.decode()
    assert len(more.captured_queries) <= len(few.captured_queries) + 1
    assert "第 1 页，共 3 页" in first
    last = http.get(url, {"page": "3"}).content.decode()
    assert str(ledger.march.pk) in last and str(ledger.march.pk) not in first
    assert http.get(url, {"page": "not-a-number"}).status_code == 200
    assert http.get(url, {"page": "999"}).status_code == 200
    shown = [e.object_ids for e in _events(owner, "clients.voucher")]
    assert [len(ids) for ids in shown[-4:]] == [3, 1, 3, 1]


def test_voucher_detail_shows_lines_and_the_attached_document_which_downloads(ledger: Books) -> None:
    owner = ledger.world.client_a_owner
    http = cast.signed_in(owner)
    body = http.get(reverse("portal:books-voucher-detail", args=[ledger.march.pk])).content.decode()
    assert "收到货款" in body and "销售商品" in body and "1,000.00" in body
    url = reverse("portal:voucher-document-download", args=[ledger.march.pk, ledger.document.pk])
    assert url in body and "三月销售发票" in body
    response = http.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == INVOICE  # type: ignore[attr-defined]
    assert response["Content-Disposition"] == f'attachment; filename="document-{str(ledger.document.pk)[:8]}.pdf"'
    [view] = _events(owner, "clients.voucher")
    assert view.object_ids == [str(ledger.march.pk)]
    [download] = _events(owner, "clients.document")
    assert download.action == "download" and download.object_ids == [str(ledger.document.pk)]


def test_a_document_is_only_reached_through_its_own_voucher(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.client_a_owner)
    wrong = reverse("portal:voucher-document-download", args=[ledger.april.pk, ledger.document.pk])
    assert http.get(wrong).status_code == 404
    paper = books.record_document(
        ledger.world.client_a,
        title="纸质收据",
        fiscal_year=2025,
        archive_category=ArchiveCategory.SOURCE_VOUCHER,
        actor=ledger.world.bookkeeper_alice,
        voucher=ledger.march,
    )
    assert http.get(reverse("portal:voucher-document-download", args=[ledger.march.pk, paper.pk])).status_code == 404


def test_books_pages_are_translated_to_english(ledger: Books) -> None:
    http = cast.signed_in(ledger.world.client_a_owner)
    http.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    body = http.get(reverse("portal:books-balance-sheet")).content.decode()
    assert "Balance sheet" in body and "Cash and cash equivalents" in body and "资产负债表" not in body
    index = http.get(reverse("portal:books")).content.decode()
    assert "Books and reports" in index and "账簿" not in index
