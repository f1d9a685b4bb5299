"""The staff pages of the books: access through the access layer, access events, query counts, flows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AccessEvent, AuditEvent
from clients import services
from clients.models import AccountingPeriod, BooksAction, Client, TaxpayerType, Voucher, VoucherState
from confidentiality import crypto
from confidentiality.models import AssignmentRole
from tests import access_cast, cast
from tests.books import account, ensure_chart, lines, posted_voucher, sale, voucher_workbook

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2025, 3, 15)


@pytest.fixture
def world() -> access_cast.World:
    ensure_chart()
    return access_cast.build_world()


def _entry(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "date": "2025-03-15",
        "attachments_count": "2",
        "account": ["1002", "5001 主营业务收入", ""],
        "summary": ["收到货款", "销售商品", ""],
        "debit": ["1,130.00", "", ""],
        "credit": ["", "1130", ""],
    }
    data.update(extra)
    return data


def test_client_list_shows_only_assigned_clients_and_records_one_event(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    body = http.get(reverse("clients:list")).content.decode()
    assert "上海甲贸易有限公司" in body and "上海乙科技有限公司" not in body
    event = AccessEvent.objects.get(action="list", object_type="clients.client")
    assert event.object_ids == [str(world.client_a.pk)] and event.actor == world.bookkeeper_alice


def test_outsider_gets_404_for_client_pages_and_a_denied_event(world: access_cast.World) -> None:
    voucher = posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    http = cast.signed_in(world.bookkeeper_bob)
    for url in (
        reverse("clients:overview", args=[world.client_a.pk]),
        reverse("clients:voucher-list", args=[world.client_a.pk]),
        reverse("clients:voucher-detail", args=[world.client_a.pk, voucher.pk]),
        reverse("clients:trial-balance", args=[world.client_a.pk]) + "?format=xlsx",
    ):
        response = http.get(url)
        assert response.status_code == 404, url
        assert "上海甲" not in response.content.decode()
    assert AccessEvent.objects.filter(actor=world.bookkeeper_bob, action="denied").count() == 4
    # The voucher reached under another client's URL is missing too.
    http_alice = cast.signed_in(world.bookkeeper_alice)
    other = services.create_voucher(world.client_b, date=MARCH, lines=sale(), actor=world.bookkeeper_bob)
    assert http_alice.get(reverse("clients:voucher-detail", args=[world.client_a.pk, other.pk])).status_code == 404


def test_client_user_never_reaches_staff_books(world: access_cast.World) -> None:
    http = cast.signed_in(world.client_a_owner)
    assert http.get(reverse("clients:overview", args=[world.client_a.pk])).status_code == 404


def test_overview_masks_bank_accounts_and_records_the_view(world: access_cast.World) -> None:
    client = world.client_a
    client.bank_accounts = [{"bank": "招商银行", "account_number": "6225880012345678"}]
    client.save()
    body = cast.signed_in(world.bookkeeper_alice).get(reverse("clients:overview", args=[client.pk])).content.decode()
    assert "招商银行" in body and "5678" in body and "6225880012345678" not in body
    assert AccessEvent.objects.filter(action="view", object_ids=[str(client.pk)]).exists()


def _measure(http, url: str) -> int:  # type: ignore[no-untyped-def]
    # A first request takes the session's periodic bookkeeping writes (time-based, not row-based).
    assert http.get(url).status_code == 200
    crypto.reset_caches()  # cold key caches: the page must fetch its keys in one query
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_clients(world: access_cast.World, n: int) -> None:
    for i in range(n):
        client = Client.objects.create(name=f"公司{i}", credit_code="x", taxpayer_type=TaxpayerType.SMALL_SCALE)
        access_cast.assign(world.partner, client, world.bookkeeper_alice, AssignmentRole.BOOKKEEPER)


def test_client_list_runs_constant_queries_at_10_and_500(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:list")
    _more_clients(world, 9)
    at_10 = _measure(http, url)
    _more_clients(world, 490)
    at_500 = _measure(http, url)
    assert at_10 == at_500
    assert "公司489" in http.get(url).content.decode()


def _bulk_vouchers(client: Client, preparer: User, n: int, start: int) -> None:
    period = AccountingPeriod.objects.get_or_create(client=client, year=2025, month=3)[0]
    Voucher.objects.bulk_create(
        [
            Voucher(
                client=client,
                period=period,
                number=start + i,
                date=MARCH,
                fiscal_year=2025,
                preparer=preparer,
                total=Decimal("10.00"),
            )
            for i in range(n)
        ]
    )


def test_voucher_list_runs_constant_queries_at_10_and_500(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:voucher-list", args=[world.client_a.pk])
    _bulk_vouchers(world.client_a, world.bookkeeper_alice, 10, 1)
    at_10 = _measure(http, url)
    _bulk_vouchers(world.client_a, world.bookkeeper_alice, 490, 11)
    at_500 = _measure(http, url)
    assert at_10 == at_500
    event = AccessEvent.objects.filter(action="list", object_type="clients.voucher").last()
    assert event is not None and len(event.object_ids) == 500


def test_voucher_entry_creates_a_draft(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    response = http.post(reverse("clients:voucher-create", args=[world.client_a.pk]), _entry())
    voucher = Voucher.objects.get(client=world.client_a)
    assert response.status_code == 302 and response["Location"].endswith(f"{voucher.pk}/")
    assert voucher.total == Decimal("1130.00") and voucher.attachments_count == 2
    assert [line.summary for line in voucher.lines.all()] == ["收到货款", "销售商品"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"credit": ["", "1000", ""]}, "借贷不平"),
        ({"account": ["", "", ""], "summary": ["", "", ""], "debit": ["", "", ""], "credit": ["", "", ""]}, "至少"),
        ({"debit": ["1130", "1130", ""]}, "不能同时"),
        ({"debit": ["1130.001", "", ""], "credit": ["", "1130.001", ""]}, "两位小数"),
        ({"debit": ["99999999999999", "", ""], "credit": ["", "99999999999999", ""]}, "太大"),
        ({"account": ["9999", "5001", ""]}, "科目"),
        ({"date": "2025-02-30"}, "日期"),
    ],
)
def test_bad_voucher_input_shows_a_chinese_error_and_saves_nothing(
    world: access_cast.World, changes: dict[str, object], message: str
) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    response = http.post(reverse("clients:voucher-create", args=[world.client_a.pk]), _entry(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Voucher.objects.exists()
    assert not AuditEvent.objects.filter(action=BooksAction.VOUCHER_CREATED).exists()


def test_reviewer_without_prepare_permission_cannot_enter_vouchers(world: access_cast.World) -> None:
    http = cast.signed_in(world.reviewer_rita)
    assert http.post(reverse("clients:voucher-create", args=[world.client_a.pk]), _entry()).status_code == 404
    assert not Voucher.objects.exists()


def test_review_post_and_reverse_through_the_pages(world: access_cast.World) -> None:
    voucher = services.create_voucher(world.client_a, date=MARCH, lines=sale(), actor=world.bookkeeper_alice)
    alice, rita = cast.signed_in(world.bookkeeper_alice), cast.signed_in(world.reviewer_rita)
    # The preparer is refused (and no review button is offered to her).
    page = alice.get(reverse("clients:voucher-detail", args=[world.client_a.pk, voucher.pk])).content.decode()
    assert reverse("clients:voucher-review", args=[world.client_a.pk, voucher.pk]) not in page
    alice.post(reverse("clients:voucher-review", args=[world.client_a.pk, voucher.pk]))
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.DRAFT
    queue = rita.get(reverse("clients:review-queue")).content.decode()
    assert voucher.label in queue
    rita.post(reverse("clients:voucher-review", args=[world.client_a.pk, voucher.pk]))
    # Rita reviewed it, so she is offered no post button and is refused with a message.
    detail = reverse("clients:voucher-detail", args=[world.client_a.pk, voucher.pk])
    post_url = reverse("clients:voucher-post", args=[world.client_a.pk, voucher.pk])
    assert post_url not in rita.get(detail).content.decode()
    assert voucher.label not in rita.get(reverse("clients:review-queue")).content.decode()
    refused = rita.post(post_url, follow=True).content.decode()
    assert "此凭证由您审核，须由他人记账" in refused, refused[-1500:]
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.REVIEWED
    # The engagement manager, a third person, posts it.
    partner = cast.signed_in(world.partner)
    assert post_url in partner.get(detail).content.decode()
    assert voucher.label in partner.get(reverse("clients:review-queue")).content.decode()
    partner.post(post_url)
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.POSTED
    assert Voucher.objects.get(pk=voucher.pk).poster == world.partner
    response = alice.post(reverse("clients:voucher-reverse", args=[world.client_a.pk, voucher.pk]))
    reversal = Voucher.objects.get(reverses=voucher)
    assert response["Location"].endswith(f"{reversal.pk}/")


def test_closing_and_reopening_a_period(world: access_cast.World) -> None:
    voucher = posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)
    period = voucher.period
    rita, alice = cast.signed_in(world.reviewer_rita), cast.signed_in(world.bookkeeper_alice)
    rita.post(reverse("clients:period-close", args=[world.client_a.pk, period.pk]))
    assert AccountingPeriod.objects.get(pk=period.pk).is_closed
    # Posting into the closed period through the page is refused with the reason.
    response = alice.post(reverse("clients:voucher-create", args=[world.client_a.pk]), _entry(), follow=True)
    assert "已结账" in response.content.decode()
    # A bookkeeper cannot reopen; the partner (manager) can, with a reason.
    assert (
        alice.post(reverse("clients:period-reopen", args=[world.client_a.pk, period.pk]), {"reason": "x"}).status_code
        == 404
    )
    partner = cast.signed_in(world.partner)
    partner.post(reverse("clients:period-reopen", args=[world.client_a.pk, period.pk]), {"reason": "补录"})
    assert not AccountingPeriod.objects.get(pk=period.pk).is_closed
    assert AuditEvent.objects.filter(action=BooksAction.PERIOD_REOPENED, actor=world.partner).exists()


def test_account_search_finds_by_code_and_name(world: access_cast.World) -> None:
    services.create_sub_account(world.client_a, parent=account("1122"), name="客户甲", actor=world.partner)
    http = cast.signed_in(world.bookkeeper_alice)
    url = reverse("clients:account-search", args=[world.client_a.pk])
    assert "银行存款" in http.get(url, {"account": "1002"}).content.decode()
    body = http.get(url, {"account": "客户甲"}).content.decode()
    assert "112201" in body and "1002" not in body
    assert AccessEvent.objects.filter(action="search").exists()


def test_reports_render_and_download(world: access_cast.World) -> None:
    posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        spec=lines(("1002", "投资", "5000", None), ("3001", "实收资本", None, "5000")),
    )
    http = cast.signed_in(world.reviewer_rita)
    query: dict[str, str | int] = {"year": 2025, "month_from": 1, "month_to": 3, "month": 3}
    for name in ("trial-balance", "general-ledger", "subsidiary-ledger", "balance-sheet", "income-statement"):
        url = reverse(f"clients:{name}", args=[world.client_a.pk])
        page = http.get(url, query)
        assert page.status_code == 200, name
        xlsx = http.get(url, {**query, "format": "xlsx"})
        assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats"), name
        assert "上海甲" not in xlsx["Content-Disposition"]
        pdf = http.get(url, {**query, "format": "pdf"})
        assert pdf.content.startswith(b"%PDF"), name
    assert "5,000.00" in http.get(reverse("clients:trial-balance", args=[world.client_a.pk]), query).content.decode()
    assert AccessEvent.objects.filter(action="export").count() == 10


def test_report_with_nonsense_parameters_still_answers(world: access_cast.World) -> None:
    http = cast.signed_in(world.reviewer_rita)
    url = reverse("clients:trial-balance", args=[world.client_a.pk])
    assert http.get(url, {"year": "abc", "month_from": "13", "format": "exe"}).status_code == 200
    assert (
        http.get(reverse("clients:subsidiary-ledger", args=[world.client_a.pk]), {"account": "<x>"}).status_code == 200
    )


def _upload(http, client: Client, data: bytes, name: str = "v.xlsx"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return http.post(
        reverse("clients:voucher-import", args=[client.pk]), {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def test_import_template_downloads_and_a_good_file_imports(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    template = http.get(reverse("clients:import-template", args=[world.client_a.pk]))
    assert template.status_code == 200
    response = _upload(http, world.client_a, template.content)  # the template's example rows import
    assert "1" in response.content.decode()
    voucher = Voucher.objects.get(client=world.client_a)
    assert (voucher.number, voucher.total, voucher.attachments_count) == (1, Decimal("1130.00"), 1)
    assert AuditEvent.objects.filter(action=BooksAction.VOUCHERS_IMPORTED).exists()


def test_import_with_bad_rows_reports_each_row_and_saves_nothing(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    data = voucher_workbook(
        [
            [1, "2025-01-05", "1002", "收款", "100", None, 0],
            [1, "2025-01-05", "5001", "收入", None, "100", 0],  # a good voucher
            [2, "2025-01-06", "1002", "收款", "50", "50", 0],  # both sides
            [2, "2025-01-06", "9999", "收入", None, "50", 0],  # unknown account
            [3, "2025-13-01", "1002", "x", "1.001", None, 0],  # bad date and decimals
            [4, "2025-01-07", "1002", "x", "10", None, 0],  # out of balance
            [4, "2025-01-07", "5001", "x", None, "9", 0],
        ]
    )
    body = _upload(http, world.client_a, data).content.decode()
    for fragment in ("不能同时", "9999", "YYYY-MM-DD", "两位小数"):
        assert fragment in body, fragment
    assert "<td>4</td>" in body and "<td>5</td>" in body
    assert not Voucher.objects.exists()
    # Once rows 4-6 are right, the unbalanced voucher 4 is reported (voucher-level check) and still nothing saved.
    data = voucher_workbook(
        [
            [1, "2025-01-05", "1002", "收款", "100", None, 0],
            [1, "2025-01-05", "5001", "收入", None, "100", 0],
            [4, "2025-01-07", "1002", "x", "10", None, 0],
            [4, "2025-01-07", "5001", "x", None, "9", 0],
        ]
    )
    assert "借贷不平" in _upload(http, world.client_a, data).content.decode()
    assert not Voucher.objects.exists()


def test_import_duplicate_number_and_corrupt_files_are_refused(world: access_cast.World) -> None:
    services.create_voucher(world.client_a, date=datetime.date(2025, 1, 3), lines=sale(), actor=world.bookkeeper_alice)
    http = cast.signed_in(world.bookkeeper_alice)
    data = voucher_workbook(
        [[1, "2025-01-05", "1002", "收款", "100", None, 0], [1, "2025-01-05", "5001", "收入", None, "100", 0]]
    )
    assert "已存在" in _upload(http, world.client_a, data).content.decode()
    assert "不是可读取的" in _upload(http, world.client_a, b"PK\x03\x04garbage").content.decode()
    assert ".xlsx" in _upload(http, world.client_a, b"a,b", name="v.csv").content.decode()
    assert Voucher.objects.count() == 1


def test_import_upload_never_touches_disk_and_oversize_is_refused(world: access_cast.World, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django's default handler would spill this upload to disk
    http = cast.signed_in(world.bookkeeper_alice)
    data = voucher_workbook(
        [[1, "2025-01-05", "1002", "收款", "100", None, 0], [1, "2025-01-05", "5001", "收入", None, "100", 0]]
    )
    _upload(http, world.client_a, data)
    assert Voucher.objects.count() == 1
    assert list(tmp_path.iterdir()) == []
    big = _upload(http, world.client_a, b"x" * (2 * 1024 * 1024 + 10))
    assert "文件太大" in big.content.decode()
    assert list(tmp_path.iterdir()) == []


def test_import_without_csrf_token_is_refused(world: access_cast.World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client as HttpClient

    http = cast.signed_in(world.bookkeeper_alice)
    strict = HttpClient(enforce_csrf_checks=True)
    strict.cookies = http.cookies
    response = strict.post(
        reverse("clients:voucher-import", args=[world.client_a.pk]), {"file": SimpleUploadedFile("v.xlsx", b"x")}
    )
    assert response.status_code == 403


def test_client_create_refuses_an_invalid_credit_code_in_chinese(world: access_cast.World) -> None:
    http = cast.signed_in(world.partner)
    before = Client.objects.count()
    form = {"name": "上海新客户有限公司", "credit_code": "91350100M000100Y44", "taxpayer_type": "general"}
    response = http.post(reverse("clients:create"), form)
    assert response.status_code == 200 and "校验码不正确" in response.content.decode()
    assert Client.objects.count() == before
    response = http.post(reverse("clients:create"), {**form, "credit_code": "91350100M000100Y43"})
    assert response.status_code == 302 and Client.objects.count() == before + 1
    # A bookkeeper has no capability to create clients.
    assert cast.signed_in(world.bookkeeper_alice).get(reverse("clients:create")).status_code == 404
