"""In a real browser: the archivist appraises and prepares a destruction list, assigns supervisors,
the six required people sign it, a real worker executes it, and a supervisor confirms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from accounts.models import User
from clients.models import Voucher
from retention import services
from retention.models import DestructionList, ListState
from tests import cast
from tests import retention_helpers as books
from tests.retention_cast import SIGN_SLOTS, make_signers
from tests.workers import running_worker, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user: User) -> None:  # type: ignore[no-untyped-def]
    """Put `user`'s signed-in (past 2FA) session into the browser."""
    session_key = cast.signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": live_server.url}])


def test_destruction_list_signed_by_the_required_people_and_executed(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    people = make_signers()
    client = books.make_client()
    books.make_voucher(client, 1995, summary="待销毁")
    batch = services.open_appraisal(today=dt.date(2026, 3, 1))
    assert batch is not None
    page = browser_page

    # The archivist appraises: destroy, then issue the opinion, which prepares the list.
    _as(page, live_server, people.preparer)
    page.goto(f"{live_server.url}/staff/retention/")
    page.get_by_role("link", name=batch.number).click()
    page.get_by_role("button", name="销毁").click()
    page.get_by_role("button", name="出具鉴定意见书").click()
    page.wait_for_url("**/staff/retention/lists/**")
    dlist = DestructionList.objects.get(batch=batch)
    for slot, person in (
        ("supervise_archives", people.archives_head),
        ("supervise_accounting", people.accounting_head),
        ("supervise_it", people.it_supervisor),
    ):
        page.locator(f"select[data-slot={slot}]").select_option(str(person.pk))
        page.locator(f"form:has(select[data-slot={slot}]) button").click()
        page.wait_for_load_state("load")
    # The preparer is offered no signature.
    assert page.locator("button[data-sign]").count() == 0

    for slot in SIGN_SLOTS:
        _as(page, live_server, people.for_slot(slot))
        page.goto(f"{live_server.url}/staff/retention/")
        page.get_by_role("link", name=dlist.number).click()
        page.locator(f"button[data-sign={slot}]").click()
        page.get_by_text("已签署。").wait_for()
    dlist.refresh_from_db()
    assert dlist.state == ListState.APPROVED  # the execution task was queued on commit

    with running_worker():
        assert wait_for(lambda: DestructionList.objects.get(pk=dlist.pk).state == ListState.EXECUTED, timeout=90)
    assert not Voucher.objects.filter(fiscal_year=1995).exists()

    _as(page, live_server, people.it_supervisor)
    page.goto(f"{live_server.url}/staff/retention/")
    page.get_by_role("link", name=dlist.number).click()
    page.get_by_role("button", name="确认销毁").click()
    page.get_by_text("已确认销毁。").wait_for()
    assert page.get_by_role("link", name=f"销毁证明 {dlist.number} (pdf)").is_visible()
