"""The staff pages of a client's employees (payroll): the roster masked, adding with checked ID
numbers and bank accounts, removing a leaver, the purpose-bound reveal, who may do what, processing
locks, access events and constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from clients import services
from clients.models import ArchiveKeeper, BooksAction, Client, Employee, Engagement, EngagementState
from clients.validators import id_number_check_character, validate_bank_account, validate_id_number
from confidentiality import crypto
from confidentiality.models import AccessPurpose, AssignmentRole
from retention.models import ProcessingLock
from tests import access_cast, cast
from tests.access_cast import World

pytestmark = pytest.mark.django_db

# The example of GB 11643-1999 itself, and one checked by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2).
WANG_ID = "11010519491231002X"
LI_ID = "310101199001011234"
WANG_ACCOUNT = "6222020000000001"
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def world() -> World:
    return access_cast.build_world()


@pytest.fixture
def engagement(world: World) -> Engagement:
    return services.open_engagement(
        world.client_a,
        contract_start=dt.date(2024, 1, 1),
        scope="代理记账、代发工资",
        archive_keeper=ArchiveKeeper.FIRM,
        actor=world.partner,
    )


@pytest.fixture
def wang(world: World, engagement: Engagement) -> Employee:
    return services.record_employee(
        engagement, name="王小明", id_number=WANG_ID, bank_account=WANG_ACCOUNT, actor=world.bookkeeper_alice
    )


@pytest.fixture
def archivist(world: World) -> User:
    """An archivist reading client A through an assignment of their own (as in test_retention_locks)."""
    user = cast.make_staff("archivist_ann", StaffRole.ARCHIVIST)
    access_cast.assign(world.partner, world.client_a, user, AssignmentRole.REVIEWER)
    return user


def _list_url(client: Client) -> str:
    return reverse("clients:employees", args=[client.pk])


def _add_url(client: Client) -> str:
    return reverse("clients:employee-add", args=[client.pk])


def _remove_url(client: Client, employee: Employee) -> str:
    return reverse("clients:employee-remove", args=[client.pk, employee.pk])


def _valid_id(sequence: int) -> str:
    first17 = f"31010119900101{sequence:03d}"
    return first17 + id_number_check_character(first17)


def _lock_whole_client(client: Client) -> None:
    ProcessingLock.objects.create(client_id=client.pk, category="", fiscal_year=None, reason="engagement_ended")


# --- The roster ----------------------------------------------------------------------------------------


def test_roster_shows_names_with_id_numbers_and_accounts_masked_and_records_one_event(
    world: World, wang: Employee
) -> None:
    response = cast.signed_in(world.bookkeeper_alice).get(_list_url(world.client_a))
    body = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in body and "添加员工" in body and "身份证号码" in body  # zh-hans by default
    assert WANG_ID not in body and WANG_ACCOUNT not in body
    assert "•••• 002X" in body and "•••• 0001" in body  # the last four tell two people apart
    assert reverse("staff:access:reveal", args=["clients.employee", wang.pk, "id_number"]) in body
    assert reverse("clients:employee-remove", args=[world.client_a.pk, wang.pk]) in body
    event = AccessEvent.objects.get(object_type="clients.employee")
    assert event.action == "list" and event.object_ids == [str(wang.pk)]
    assert event.actor == world.bookkeeper_alice and event.client_ref == str(world.client_a.pk)


def test_overview_links_to_the_roster(world: World, engagement: Engagement) -> None:
    body = cast.signed_in(world.bookkeeper_alice).get(reverse("clients:overview", args=[world.client_a.pk]))
    assert _list_url(world.client_a) in body.content.decode()


def test_reviewer_reads_the_roster_but_neither_adds_removes_nor_reveals(world: World, wang: Employee) -> None:
    http = cast.signed_in(world.reviewer_rita)
    body = http.get(_list_url(world.client_a)).content.decode()
    assert "王小明" in body
    assert _add_url(world.client_a) not in body and "hx-get" not in body
    data = {"name": "赵六", "id_number": LI_ID, "bank_account": ""}
    assert http.post(_add_url(world.client_a), data).status_code == 404
    assert http.post(_remove_url(world.client_a, wang)).status_code == 404
    assert list(Employee.objects.values_list("pk", flat=True)) == [wang.pk]


def test_engagement_manager_may_add(world: World, engagement: Engagement) -> None:
    data = {"name": "赵六", "id_number": LI_ID, "bank_account": ""}
    response = cast.signed_in(world.partner).post(_add_url(world.client_a), data)
    assert response.status_code == 302
    assert Employee.objects.get().bank_account == ""


def test_bookkeeper_of_another_client_gets_404_everywhere_and_changes_nothing(world: World, wang: Employee) -> None:
    http = cast.signed_in(world.bookkeeper_bob)
    assert http.get(_list_url(world.client_a)).status_code == 404
    data = {"name": "赵六", "id_number": LI_ID, "bank_account": ""}
    assert http.post(_add_url(world.client_a), data).status_code == 404
    assert http.post(_remove_url(world.client_a, wang)).status_code == 404
    # Nor through his own client's address.
    assert http.post(_remove_url(world.client_b, wang)).status_code == 404
    reveal = reverse("staff:access:reveal", args=["clients.employee", wang.pk, "id_number"])
    assert http.post(reveal, {"purpose": AccessPurpose.PAYROLL, "purpose_detail": "x"}).status_code == 404
    assert list(Employee.objects.values_list("pk", flat=True)) == [wang.pk]
    assert AccessEvent.objects.filter(actor=world.bookkeeper_bob, action="denied").count() >= 3
    assert not AccessEvent.objects.filter(actor=world.bookkeeper_bob, action__in=["list", "reveal"]).exists()


def test_an_employee_of_one_client_cannot_be_removed_through_another(world: World, wang: Employee) -> None:
    """The partner manages both clients: the employee must still belong to the client in the address."""
    assert cast.signed_in(world.partner).post(_remove_url(world.client_b, wang)).status_code == 404
    assert Employee.objects.filter(pk=wang.pk).exists()


# --- Adding ----------------------------------------------------------------------------------------------


def test_adding_an_employee_stores_the_normalised_numbers_and_audits_ids_only(
    world: World, engagement: Engagement
) -> None:
    data = {"name": " 王小明 ", "id_number": "110105 19491231 002x", "bank_account": "6222 0200 0000 0001"}
    response = cast.signed_in(world.bookkeeper_alice).post(_add_url(world.client_a), data)
    assert response.status_code == 302 and response["Location"] == _list_url(world.client_a)
    employee = Employee.objects.get()
    assert (employee.name, employee.id_number, employee.bank_account) == ("王小明", WANG_ID, WANG_ACCOUNT)
    assert employee.engagement == engagement and employee.client == world.client_a
    event = AuditEvent.objects.get(action=BooksAction.EMPLOYEE_RECORDED)
    assert event.actor == world.bookkeeper_alice and event.target_id == str(employee.pk)
    assert "王小明" not in str(event.details) and WANG_ID not in str(event.details)


def test_a_wrong_check_digit_is_refused_in_chinese_and_nothing_is_saved(world: World, engagement: Engagement) -> None:
    data = {"name": "王小明", "id_number": "110105194912310021", "bank_account": WANG_ACCOUNT}
    response = cast.signed_in(world.bookkeeper_alice).post(_add_url(world.client_a), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "身份证号码的校验码不正确" in body
    assert 'value="王小明"' in body  # the form comes back filled in
    assert not Employee.objects.exists()
    assert not AuditEvent.objects.filter(action=BooksAction.EMPLOYEE_RECORDED).exists()


@pytest.mark.parametrize(
    ("bank_account", "message"),
    [
        ("6222O20000000001", "A bank account number has digits only"),  # a letter O for a zero
        ("1234567", "A bank account number has 8 to 30 digits; this one has 7."),
        ("1" * 31, "A bank account number has 8 to 30 digits; this one has 31."),
    ],
)
def test_a_bank_account_that_is_not_8_to_30_digits_is_refused(
    world: World, engagement: Engagement, bank_account: str, message: str
) -> None:
    data = {"name": "王小明", "id_number": WANG_ID, "bank_account": bank_account}
    response = cast.signed_in(world.bookkeeper_alice).post(_add_url(world.client_a), data, headers=ENGLISH)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Employee.objects.exists()


def test_without_an_active_engagement_nothing_is_added(world: World, engagement: Engagement) -> None:
    services.change_engagement_state(engagement, state=EngagementState.ENDING, actor=world.partner)
    data = {"name": "王小明", "id_number": WANG_ID, "bank_account": ""}
    response = cast.signed_in(world.bookkeeper_alice).post(_add_url(world.client_a), data, headers=ENGLISH)
    assert response.status_code == 400
    assert "Employees are recorded only during an active engagement." in response.content.decode()
    assert not Employee.objects.exists()


def test_the_service_checks_the_numbers_whatever_the_entry_path(world: World, engagement: Engagement) -> None:
    with pytest.raises(ValidationError) as refused:
        services.record_employee(
            engagement, name="王小明", id_number="110105194912310021", bank_account="", actor=world.partner
        )
    assert refused.value.code == "id_number_check"
    with pytest.raises(ValidationError):
        services.record_employee(engagement, name="王小明", id_number=WANG_ID, bank_account="abc", actor=world.partner)
    assert not Employee.objects.exists()


def test_id_number_validator() -> None:
    assert validate_id_number("11010519491231002x") == WANG_ID
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in WANG_ID)  # as a Chinese input method may type it
    assert validate_id_number(full_width) == WANG_ID
    assert validate_id_number(LI_ID) == LI_ID
    for bad, code in [
        ("11010519491231002", "id_number_length"),
        ("1101051949123100XX", "id_number_charset"),
        ("110105194913310021", "id_number_birth_date"),  # month 13
        ("310101199001011235", "id_number_check"),
    ]:
        with pytest.raises(ValidationError) as refused:
            validate_id_number(bad)
        assert refused.value.code == code, bad


def test_bank_account_validator() -> None:
    assert validate_bank_account("6222 0200 0000 0001") == WANG_ACCOUNT
    assert validate_bank_account("1" * 8) == "1" * 8 and validate_bank_account("1" * 30) == "1" * 30
    for bad in ("62220200-00000001", "²²²²²²²²²", "", "1" * 7):
        with pytest.raises(ValidationError):
            validate_bank_account(bad)


# --- Removing --------------------------------------------------------------------------------------------


def test_removing_an_employee_deletes_the_row_and_audits_without_plaintext(world: World, wang: Employee) -> None:
    li = services.record_employee(
        wang.engagement, name="李小红", id_number=LI_ID, bank_account="", actor=world.bookkeeper_alice
    )
    response = cast.signed_in(world.bookkeeper_alice).post(_remove_url(world.client_a, wang))
    assert response.status_code == 302
    assert list(Employee.objects.values_list("pk", flat=True)) == [li.pk]
    event = AuditEvent.objects.get(action=BooksAction.EMPLOYEE_REMOVED)
    assert event.actor == world.bookkeeper_alice
    assert event.target_type == "clients.employee" and event.target_id == str(wang.pk)
    assert event.client_ref == str(world.client_a.pk)
    assert event.details == {"engagement": str(wang.engagement_id)}
    for plaintext in ("王小明", WANG_ID, WANG_ACCOUNT):
        assert plaintext not in str(event.details)


def test_remove_is_post_only(world: World, wang: Employee) -> None:
    assert cast.signed_in(world.bookkeeper_alice).get(_remove_url(world.client_a, wang)).status_code == 405
    assert Employee.objects.filter(pk=wang.pk).exists()


def test_employees_of_an_earlier_engagement_are_shown_read_only(world: World, wang: Employee) -> None:
    services.change_engagement_state(wang.engagement, state=EngagementState.ENDING, actor=world.partner)
    services.open_engagement(
        world.client_a,
        contract_start=dt.date(2025, 1, 1),
        scope="代理记账",
        archive_keeper=ArchiveKeeper.FIRM,
        actor=world.partner,
    )
    http = cast.signed_in(world.bookkeeper_alice)
    body = http.get(_list_url(world.client_a), headers=ENGLISH).content.decode()
    assert "王小明" in body and "Engagement from 2024-01-01 (Ending), read only" in body
    assert _remove_url(world.client_a, wang) not in body
    refused = http.post(_remove_url(world.client_a, wang), follow=True, headers=ENGLISH)
    assert "kept for its handover" in refused.content.decode()
    assert Employee.objects.filter(pk=wang.pk).exists()
    assert not AuditEvent.objects.filter(action=BooksAction.EMPLOYEE_REMOVED).exists()


# --- Processing locks -------------------------------------------------------------------------------------


def test_a_locked_client_refuses_changes_and_only_the_archivist_reads(
    world: World, wang: Employee, archivist: User
) -> None:
    _lock_whole_client(world.client_a)
    data = {"name": "赵六", "id_number": LI_ID, "bank_account": ""}
    for user in (world.bookkeeper_alice, world.partner):
        http = cast.signed_in(user)
        assert http.get(_list_url(world.client_a)).status_code == 404
        assert http.post(_add_url(world.client_a), data).status_code == 404
        assert http.post(_remove_url(world.client_a, wang)).status_code == 404
    reader = cast.signed_in(archivist)
    body = reader.get(_list_url(world.client_a)).content.decode()
    assert "王小明" in body and WANG_ID not in body
    assert _add_url(world.client_a) not in body and "hx-get" not in body  # storage only: no reveal
    assert reader.post(_add_url(world.client_a), data).status_code == 404
    assert reader.post(_remove_url(world.client_a, wang)).status_code == 404
    assert list(Employee.objects.values_list("pk", flat=True)) == [wang.pk]
    assert AccessEvent.objects.filter(actor=archivist, action="list", object_type="clients.employee").count() == 1


# --- Reveal ----------------------------------------------------------------------------------------------


def test_reveal_shows_the_full_id_number_with_a_purpose_and_an_access_event(world: World, wang: Employee) -> None:
    url = reverse("staff:access:reveal", args=["clients.employee", wang.pk, "id_number"])
    http = cast.signed_in(world.bookkeeper_alice)
    form = http.get(url)
    assert form.status_code == 200 and WANG_ID not in form.content.decode()
    shown = http.post(url, {"purpose": AccessPurpose.PAYROLL, "purpose_detail": "个税申报"})
    assert shown.status_code == 200 and WANG_ID in shown.content.decode()
    event = AccessEvent.objects.get(action="reveal")
    assert event.object_type == "clients.employee.id_number" and event.object_ids == [str(wang.pk)]
    assert event.purpose == "payroll: 个税申报" and event.client_ref == str(world.client_a.pk)
    account = reverse("staff:access:reveal", args=["clients.employee", wang.pk, "bank_account"])
    shown = http.post(account, {"purpose": AccessPurpose.PAYROLL, "purpose_detail": "代发工资"})
    assert WANG_ACCOUNT in shown.content.decode()
    # The name is not a secret field: nothing to reveal there.
    assert http.get(url.replace("id_number", "name")).status_code == 404


# --- Query counts ------------------------------------------------------------------------------------------


def _add_employees(engagement: Engagement, actor: User, count: int, start: int) -> None:
    for sequence in range(start, start + count):
        services.record_employee(
            engagement, name=f"员工{sequence}", id_number=_valid_id(sequence), bank_account=WANG_ACCOUNT, actor=actor
        )


def _measure(http: HttpClient, url: str) -> int:
    assert http.get(url).status_code == 200  # the session's periodic writes happen here, not below
    crypto.reset_caches()  # cold key caches: the page fetches its keys in one query
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_roster_runs_constant_queries_at_3_and_30(world: World, engagement: Engagement) -> None:
    """Employees of the active engagement and of an earlier one still held (listed read-only)."""
    earlier = engagement
    services.change_engagement_state(earlier, state=EngagementState.ENDING, actor=world.partner)
    current = services.open_engagement(
        world.client_a,
        contract_start=dt.date(2025, 1, 1),
        scope="代理记账",
        archive_keeper=ArchiveKeeper.FIRM,
        actor=world.partner,
    )

    def add_to_earlier(count: int, start: int) -> None:
        services.change_engagement_state(earlier, state=EngagementState.ACTIVE, actor=world.partner)
        _add_employees(earlier, world.bookkeeper_alice, count, start)
        services.change_engagement_state(earlier, state=EngagementState.ENDING, actor=world.partner)

    http = cast.signed_in(world.bookkeeper_alice)
    url = _list_url(world.client_a)
    add_to_earlier(1, 1)
    _add_employees(current, world.bookkeeper_alice, 2, 2)
    at_3 = _measure(http, url)
    add_to_earlier(14, 4)
    _add_employees(current, world.bookkeeper_alice, 13, 18)
    at_30 = _measure(http, url)
    assert at_3 == at_30
    body: Any = http.get(url).content.decode()
    assert "员工30" in body and body.count("data-employee=") == 30
    assert body.count(reverse("clients:employee-add", args=[world.client_a.pk])) == 1
    assert body.count("/remove/") == 15  # only the current engagement's employees can be removed
