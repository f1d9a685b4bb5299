"""Manual holds through the archivist's pages: place, list, show, release; bad input; outsiders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from retention import services
from retention.models import Decision, Hold, RetentionAction
from tests import cast
from tests import retention_helpers as books

TODAY = dt.date(2026, 3, 1)
REASON = "税务稽查通知 沪税稽[2026]17号"


@pytest.fixture
def archivist(db: None) -> User:
    return cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)


def _code(client: Any) -> str:
    return str(client.pk)[:8].upper()


def test_archivist_places_a_hold_by_archive_code_and_it_is_audited_without_the_reason(archivist: User) -> None:
    client = books.make_client()
    browser = cast.signed_in(archivist)
    response = browser.post(
        "/staff/retention/holds/",
        {"client": _code(client), "kind": "tax_audit", "reason": REASON, "fiscal_year": "2015", "category": ""},
    )
    hold = Hold.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/staff/retention/holds/{hold.pk}/")
    assert (hold.client_id, hold.kind, hold.fiscal_year, hold.category, hold.until) == (
        client.pk,
        "tax_audit",
        2015,
        "",
        None,
    )
    assert hold.placed_by == archivist and hold.reason == REASON
    event = AuditEvent.objects.get(action=RetentionAction.HOLD_PLACED)
    assert event.actor == archivist and event.client_ref == str(client.pk)
    assert "稽查" not in str(event.details)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason::text FROM retention_hold")
        assert "稽查" not in str(cursor.fetchall())  # encrypted at rest


def test_hold_page_shows_the_reason_and_records_one_access_event(archivist: User) -> None:
    client = books.make_client()
    hold = services.place_hold(client=client, kind="litigation", reason=REASON, actor=archivist)
    before = AccessEvent.objects.count()
    page = cast.signed_in(archivist).get(f"/staff/retention/holds/{hold.pk}/")
    assert page.status_code == 200
    assert REASON in page.content.decode()
    assert "上海" not in page.content.decode()  # the client's name is never shown
    assert AccessEvent.objects.count() == before + 1
    event = AccessEvent.objects.last()
    assert event is not None
    assert (event.action, event.object_type, event.object_ids, event.client_ref) == (
        "view",
        "retention.hold",
        [str(hold.pk)],
        str(client.pk),
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"until": "2020-01-01"}, "早于今天"),
        ({"reason": "   "}, "冻结原因"),
        ({"client": "ZZZZ"}, "档案编号"),
        ({"client": "00000000"}, "档案编号"),
        ({"kind": "whim"}, "选择"),
        ({"fiscal_year": "99999"}, "2200"),
        ({"category": "secret_stuff"}, "选择"),
    ],
)
def test_bad_hold_input_gets_a_clear_message_and_changes_nothing(
    archivist: User, change: dict[str, str], message: str
) -> None:
    client = books.make_client()
    data = {"client": _code(client), "kind": "tax_audit", "reason": REASON, **change}
    response = cast.signed_in(archivist).post("/staff/retention/holds/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Hold.objects.exists()
    assert not AuditEvent.objects.filter(action=RetentionAction.HOLD_PLACED).exists()


def test_release_through_the_page_is_audited_and_the_hold_moves_to_released(archivist: User) -> None:
    client = books.make_client()
    hold = services.place_hold(client=client, kind="investigation", reason=REASON, actor=archivist)
    browser = cast.signed_in(archivist)
    assert browser.post(f"/staff/retention/holds/{hold.pk}/").status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == archivist and hold.released_at is not None
    assert AuditEvent.objects.filter(action=RetentionAction.HOLD_RELEASED, actor=archivist).count() == 1
    again = browser.post(f"/staff/retention/holds/{hold.pk}/", follow=True)
    assert again.status_code == 200 and "已解除" in again.content.decode()
    assert AuditEvent.objects.filter(action=RetentionAction.HOLD_RELEASED).count() == 1
    page = browser.get("/staff/retention/holds/").content.decode()
    released = page.split('id="released-holds"')[1]
    assert _code(client) in released
    assert _code(client) not in page.split('id="active-holds"')[1].split('id="released-holds"')[0]


def test_holds_pages_are_missing_for_anyone_but_the_archivist(archivist: User) -> None:
    client = books.make_client()
    hold = services.place_hold(client=client, kind="litigation", reason=REASON, actor=archivist)
    for username, role in [("bookkeeper_bo", StaffRole.BOOKKEEPER), ("manager_mia", StaffRole.MANAGER)]:
        other = cast.signed_in(cast.make_staff(username, role))
        assert other.get("/staff/retention/holds/").status_code == 404
        assert other.get(f"/staff/retention/holds/{hold.pk}/").status_code == 404
        assert other.post(f"/staff/retention/holds/{hold.pk}/").status_code == 404
        assert (
            other.post(
                "/staff/retention/holds/", {"client": _code(client), "kind": "tax_audit", "reason": "x"}
            ).status_code
            == 404
        )
    owner = cast.make_client_user("client_owner_olga")
    assert cast.signed_in(owner).get("/staff/retention/holds/").status_code in (302, 404)
    hold.refresh_from_db()
    assert hold.released_at is None and Hold.objects.count() == 1
    assert not AccessEvent.objects.filter(object_type="retention.hold").exists()


def test_holds_list_query_count_does_not_grow_with_holds(archivist: User, django_assert_max_num_queries: Any) -> None:
    client = books.make_client()
    services.place_hold(client=client, kind="litigation", reason=REASON, actor=archivist)
    browser = cast.signed_in(archivist)
    browser.get("/staff/retention/holds/")
    with django_assert_max_num_queries(40) as few:
        assert browser.get("/staff/retention/holds/").status_code == 200
    for year in range(2000, 2012):
        hold = services.place_hold(client=client, kind="tax_audit", reason=REASON, actor=archivist, fiscal_year=year)
        if year % 2:
            services.release_hold(hold, actor=archivist)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = browser.get("/staff/retention/holds/")
    assert page.status_code == 200
    assert REASON not in page.content.decode()  # the list shows kinds and codes, never the reason


def test_a_hold_placed_during_appraisal_sets_the_volume_apart_and_release_returns_it(archivist: User) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    item = batch.items.get(fiscal_year=1995)
    services.appraise_item(item, decision=Decision.DESTROY, actor=archivist)
    browser = cast.signed_in(archivist)
    prefilled = browser.get(
        f"/staff/retention/holds/?client={client.pk}&fiscal_year=1995&category=journal_voucher"
    ).content.decode()
    assert f'value="{client.pk}"' in prefilled and 'value="1995"' in prefilled
    data = {"client": str(client.pk), "kind": "litigation", "reason": REASON, "fiscal_year": "1995"}
    browser.post("/staff/retention/holds/", {**data, "category": "journal_voucher"})
    item.refresh_from_db()
    hold = Hold.objects.get()
    assert item.decision == Decision.HELD and item.hold_reasons == [f"hold:litigation:{hold.pk}"]
    page = browser.get(f"/staff/retention/appraisals/{batch.pk}/").content.decode()
    assert "冻结：诉讼" in page  # the reason code is shown in words, never the plaintext reason
    assert REASON not in page
    services.release_hold(hold, actor=archivist)
    item.refresh_from_db()
    assert item.decision == Decision.PENDING and item.hold_reasons == []


def test_a_hold_that_ends_stops_holding(archivist: User) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    until = timezone.localdate() + dt.timedelta(days=30)
    services.place_hold(client=client, kind="tax_audit", reason=REASON, actor=archivist, until=until)
    from retention.sources import all_sources

    volume = next(v for s in all_sources() for v in s.volumes(client_id=client.pk))
    assert services.hold_reasons(volume, today=until) != []
    assert services.hold_reasons(volume, today=until + dt.timedelta(days=1)) == []
