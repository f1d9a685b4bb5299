"""The client self-service portal: dashboard figures and chart, and "who accessed my data"."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from confidentiality import access_services
from confidentiality.models import AccessPurpose, DelegateScope
from tests import access_cast, cast
from tests.books import ensure_chart, lines, posted_voucher

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> access_cast.World:
    ensure_chart()
    return access_cast.build_world()


def _books(world: access_cast.World) -> None:
    posted_voucher(world.client_a, world.bookkeeper_alice, world.reviewer_rita)  # 1000 sale in March
    posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        date=datetime.date(2025, 4, 10),
        spec=lines(("5602", "办公费", "300.00", None), ("1002", "付办公费", None, "300.00")),
    )


def test_dashboard_shows_key_figures_and_an_svg_chart_of_the_own_company(world: access_cast.World) -> None:
    _books(world)
    http = cast.signed_in(world.client_a_owner)
    response = http.get(reverse("portal:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "上海甲贸易有限公司" in body and "上海乙科技有限公司" not in body
    assert 'data-figure="cash">700.00<' in body
    assert 'data-figure="revenue">1000.00<' in body
    assert 'data-figure="expenses">300.00<' in body
    assert body.count('class="chart-income"') == 12 and body.count('class="chart-expense"') == 12
    assert "style=" not in body
    event = AccessEvent.objects.get(actor=world.client_a_owner, object_type="clients.accountbalance")
    assert event.client_ref == str(world.client_a.pk)


def test_client_of_company_a_never_sees_company_b(world: access_cast.World) -> None:
    http = cast.signed_in(world.client_a_owner)
    assert http.get(reverse("portal:home"), {"client": str(world.client_b.pk)}).status_code == 404
    assert http.get(reverse("portal:home"), {"client": "not-a-uuid"}).status_code == 404
    assert http.get(reverse("portal:access-history"), {"client": str(world.client_b.pk)}).status_code == 404
    assert AccessEvent.objects.filter(actor=world.client_a_owner, action="denied").exists()


def test_staff_cannot_use_the_portal(world: access_cast.World) -> None:
    http = cast.signed_in(world.bookkeeper_alice)
    assert http.get(reverse("portal:home")).status_code in (302, 403, 404)


def test_access_history_shows_a_staff_view_made_moments_before(world: access_cast.World) -> None:
    staff = cast.signed_in(world.bookkeeper_alice)
    assert staff.get(reverse("clients:overview", args=[world.client_a.pk])).status_code == 200
    url = f"/staff/access/reveal/clients.client/{world.client_a.pk}/bank_accounts/"
    assert staff.post(url, {"purpose": AccessPurpose.TAX_FILING, "purpose_detail": "增值税申报"}).status_code == 200
    http = cast.signed_in(world.client_a_owner)
    body = http.get(reverse("portal:access-history")).content.decode()
    table = body[body.index("<table") :]
    event = AccessEvent.objects.get(actor=world.bookkeeper_alice, action="reveal")
    assert "bookkeeper_alice" in table and "制单会计" in table  # who and the role, in Chinese
    assert timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M") in table
    assert "增值税申报" in table  # the purpose
    # The client's own look is recorded too.
    assert AccessEvent.objects.filter(actor=world.client_a_owner, object_type="audit.accesshistory").count() == 1


def test_access_history_filters_and_csv(world: access_cast.World) -> None:
    cast.signed_in(world.bookkeeper_alice).get(reverse("clients:overview", args=[world.client_a.pk]))
    http = cast.signed_in(world.client_a_owner)
    only_clients = http.get(reverse("portal:access-history"), {"kind": "client"}).content.decode()
    assert "制单会计" not in only_clients
    future = http.get(reverse("portal:access-history"), {"since": "2999-01-01"}).content.decode()
    assert "制单会计" not in future
    response = http.get(reverse("portal:access-history"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("when,who,role") and "制单会计" in text
    assert AccessEvent.objects.filter(actor=world.client_a_owner, action="export").count() == 1


def test_access_history_bad_filter_gives_a_chinese_error_and_no_rows(world: access_cast.World) -> None:
    cast.signed_in(world.bookkeeper_alice).get(reverse("clients:overview", args=[world.client_a.pk]))
    http = cast.signed_in(world.client_a_owner)
    response = http.get(reverse("portal:access-history"), {"since": "2025-05-01", "until": "2025-04-01"})
    body = response.content.decode()
    assert response.status_code == 200 and "开始日期不能晚于结束日期" in body and "制单会计" not in body
    response = http.get(reverse("portal:access-history"), {"since": "yesterday", "kind": "robot"})
    assert response.status_code == 200 and "制单会计" not in response.content.decode()


def test_a_delegate_sees_the_dashboard_but_gets_404_on_the_owner_only_access_history(
    world: access_cast.World,
) -> None:
    delegation = access_services.invite_delegate(
        client=world.client_a,
        email="dora@client.test",
        scope=[DelegateScope.REPORTS],
        ends_at=timezone.now() + datetime.timedelta(days=30),
        actor=world.client_a_owner,
    )
    delegate = access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username="delegate_dora", password="Long-Enough-Pass-42"
    )
    http = cast.signed_in(delegate)
    assert "上海甲贸易有限公司" in http.get(reverse("portal:home")).content.decode()
    assert http.get(reverse("portal:access-history")).status_code == 404
    assert http.get(reverse("portal:access-history"), {"client": str(world.client_a.pk)}).status_code == 404


def test_dashboard_marks_an_open_month_and_shows_the_requests_and_messages_panels(world: access_cast.World) -> None:
    from clients import services as books
    from clients.models import AccountingPeriod

    _books(world)  # March and April 2025, both open
    http = cast.signed_in(world.client_a_owner)
    body = http.get(reverse("portal:home")).content.decode()
    assert "2025年04月关键数据" in body and 'data-period="open"' in body
    assert 'data-figure="tax_due">0.00<' in body and 'data-figure="payables">0.00<' in body
    assert "事务所目前没有向您索取资料" in body and 'data-unread="0"' in body
    for month in (3, 4):
        books.close_period(
            AccountingPeriod.objects.get(client=world.client_a, year=2025, month=month), actor=world.reviewer_rita
        )
    assert 'data-period="open"' not in http.get(reverse("portal:home")).content.decode()


def test_dashboard_figures_payables_and_tax_are_positive_amounts_owed(world: access_cast.World) -> None:
    posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        date=datetime.date(2025, 6, 5),
        spec=lines(
            ("1122", "赊销", "1130.00", None),
            ("5001", "销售商品", None, "1000.00"),
            ("2221", "销项税额", None, "130.00"),
        ),
    )
    posted_voucher(
        world.client_a,
        world.bookkeeper_alice,
        world.reviewer_rita,
        date=datetime.date(2025, 6, 8),
        spec=lines(("5602", "咨询费", "400.00", None), ("2202", "应付咨询费", None, "400.00")),
    )
    body = cast.signed_in(world.client_a_owner).get(reverse("portal:home")).content.decode()
    assert 'data-figure="receivables">1130.00<' in body
    assert 'data-figure="tax_due">130.00<' in body
    assert 'data-figure="payables">400.00<' in body
    assert 'data-figure="revenue">1000.00<' in body and 'data-figure="expenses">400.00<' in body
    assert 'data-figure="cash">0.00<' in body


def test_dashboard_is_translated_to_english(world: access_cast.World) -> None:
    _books(world)
    http = cast.signed_in(world.client_a_owner)
    http.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    body = http.get(reverse("portal:home")).content.decode()
    for text in ("Key figures for 2025-04", "Cash and bank", "Tax due", "Income and expenses by month, 2025"):
        assert text in body
    assert "The firm has not asked you for anything." in body and "0 unread messages" in body and "关键数据" not in body
