"""The access matrix: every URL pattern that takes a client-scoped object, for every person in the cast.

The URL patterns are found by walking the resolver, so a new view is covered the day it is added:
a pattern with an id keyword nobody here knows fails the test until a factory (and, where the view
is not "anyone assigned to the client", its allowed set) is added below.

For each pattern and person: the allowed get 200 (GET pages) or a non-404 answer (POST-only
actions: 302 or a 400 form error); everyone else gets 404 with a denied-access event written in
that request. An offboarded person has no session any more: they are sent to sign in (302), never
shown anything. Each request runs in a savepoint that is rolled back, so actions do not leak
between people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import StaffRole, User
from audit.models import AccessEvent
from clients import services as books_services
from clients.models import Client
from confidentiality import access_services
from confidentiality.models import AccessPurpose, Assignment, AssignmentRole
from tests import cast
from tests.access_cast import World, assign, build_world

# Keyword arguments that name something other than a client-scoped object.
NOT_CLIENT_SCOPED = {
    "user_id",  # a staff member (offboarding)
    "report_id",  # a leaver report (per leaver, listed to recipients)
    "token",
    "uidb64",
    "acceptance_id",  # compliance: NDA acceptances, versions, courses, sessions, third parties
    "version_id",
    "code",
    "session_id",
    "party_id",
    # Firm-level records behind capability-gated desks (not a client's object; each slice tests its
    # own gate): audit alerts and rules, incidents and the processing register, retention batches,
    # lists and registers, backup runs, key-rotation jobs.
    "alert_id",
    "rule_id",
    "incident_id",
    "action",
    "activity_id",
    "register_id",
    "batch_id",
    "list_id",
    "run_id",
    "job_id",
    "stored_report_id",  # compliance2: the firm's scheduled compliance reports (firm head, desk)
    "hold_id",  # retention holds: firm-level, behind the archivist's capability (tests/test_retention_holds.py)
}

# How to name client A's object for each keyword (value or callable of the fixtures).
Factory = Callable[[World, dict[str, Any]], Any]
FACTORIES: dict[str, Factory] = {
    "client_id": lambda w, o: w.client_a.pk,
    "assignment_id": lambda w, o: Assignment.objects.get(client=w.client_a, user=w.bookkeeper_alice).pk,
    "grant_id": lambda w, o: o["grant"].pk,
    "delegation_id": lambda w, o: o["delegation"].pk,
    "voucher_id": lambda w, o: o["voucher"].pk,
    "period_id": lambda w, o: o["voucher"].period_id,
    "handover_id": lambda w, o: o["handover"].pk,
    "notice_id": lambda w, o: o["notice"].pk,  # compliance2: a published breach notice to client A
    "request_id": lambda w, o: o["data_request"].pk,
    # clientcare
    "thread_id": lambda w, o: o["thread"].pk,
    "attachment_id": lambda w, o: o["attachment"].pk,
    "complaint_id": lambda w, o: o["complaint"].pk,
    "invitation_id": lambda w, o: o["survey"].pk,
    "document_id": lambda w, o: o["document"].pk,
    "employee_id": lambda w, o: o["employee"].pk,
}
# Patterns whose keywords go together (a generic view over models).
PATTERN_KWARGS: dict[str, Factory] = {
    # `request_id` names a data-rights request elsewhere; here it is a document request.
    "clients:document-request-cancel": lambda w, o: {
        "client_id": w.client_a.pk,
        "request_id": o["document_request"].pk,
    },
    "staff:access:reveal": lambda w, o: {"model": "clients.client", "pk": w.client_a.pk, "field": "credit_code"},
    # The portal shows posted vouchers only, and a document through the voucher it is attached to.
    "portal:books-voucher-detail": lambda w, o: {"voucher_id": _portal_voucher(w, o)[0].pk},
    "portal:voucher-document-download": lambda w, o: {
        "voucher_id": _portal_voucher(w, o)[0].pk,
        "document_id": _portal_voucher(w, o)[1].pk,
    },
}
PATTERN_OBJECTS: dict[str, Callable[[World, dict[str, Any]], Any]] = {
    "staff:access:emergency-review": lambda w, o: o["emergency"].pk,
}

STAFF = ["partner", "alice", "rita", "bob", "otto", "eve", "cora", "ada"]
CLIENTS = ["a_owner", "b_owner"]
# Who may use each pattern on client A. Default: staff pages — everyone assigned to client A;
# portal pages — client A's owner.
DEFAULT_STAFF = {"partner", "alice", "rita"}
DEFAULT_PORTAL = {"a_owner"}
ALLOWED: dict[str, set[str]] = {
    "staff:access:client": {"partner"},  # manage_client
    "staff:access:assign": {"partner"},
    "staff:access:assignment-end": {"partner"},
    "staff:access:request-withdraw": {"bob"},  # only the requester
    "staff:access:decide": {"partner"},  # approve_access, not one's own request
    "staff:access:emergency-review": {"cora"},  # the compliance desk
    "staff:access:reveal": {"partner", "alice"},  # reveal_secret
    "portal:delegate-revoke": {"a_owner"},
    "staff:compliance:breach-notice": {"cora"},  # the compliance desk reviews notices
    # Books: separation of duties follows the role on the client. Preparing is the bookkeeper's,
    # reviewing, posting and closing the reviewer's (and the manager's); reopening the manager's.
    "clients:voucher-create": {"alice"},
    "clients:voucher-import": {"alice"},
    "clients:import-template": {"alice"},
    "clients:voucher-edit": {"alice"},
    "clients:voucher-delete": {"alice"},
    "clients:voucher-reverse": {"alice"},
    "clients:account-search": {"alice"},
    "clients:voucher-review": {"partner", "rita"},
    "clients:voucher-post": {"partner", "rita"},
    "clients:voucher-return": {"partner", "rita"},
    "clients:period-close": {"partner", "rita"},
    "clients:period-reopen": {"partner"},
    # Data-rights cases: the compliance desk answers them (portal pages: client A's owner, the default).
    "staff:datarights:detail": {"cora"},
    "staff:datarights:progress": {"cora"},
    "staff:datarights:acknowledge": {"cora"},
    "staff:datarights:fulfil": {"cora"},
    "staff:datarights:refuse": {"cora"},
    # clientcare: privacy complaints are handled by the compliance desk, not by the client's staff.
    "staff:clientcare:complaint": {"cora"},
    # Documents: everyone assigned reads them; bookkeepers and managers (upload_documents) manage them.
    "clients:document-upload": {"partner", "alice"},
    "clients:document-request-create": {"partner", "alice"},
    "clients:document-book": {"partner", "alice"},
    "clients:document-share": {"partner", "alice"},
    "clients:document-reject": {"partner", "alice"},
    "clients:document-request-cancel": {"partner", "alice"},
    "clients:voucher-document-link": {"partner", "alice"},
    # Employees (payroll): everyone assigned reads the roster; the bookkeeper who prepares the payroll
    # (prepare_vouchers) and the manager (manage_client) add and remove.
    "clients:employee-add": {"partner", "alice"},
    "clients:employee-remove": {"partner", "alice"},
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            nested = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry, prefix + str(entry.pattern), nested)
        elif entry.name:
            yield prefix + str(entry.pattern), (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def client_scoped_patterns() -> list[tuple[str, list[str]]]:
    """(url name, keyword names) of every pattern taking a client-scoped object."""
    found = []
    for route, name, entry in _walk(get_resolver()):
        keywords = sorted(entry.pattern.converters) if hasattr(entry.pattern, "converters") else []
        if not keywords or set(keywords) <= NOT_CLIENT_SCOPED:
            continue
        if route.startswith("console/"):
            continue  # the admin console: firm admins only, tested apart
        found.append((name, keywords))
    return found


def _portal_voucher(world: World, objects: dict[str, Any]) -> Any:
    """A posted voucher of client A with an encrypted document attached (made once, on first use)."""
    if "portal_voucher" not in objects:
        import datetime
        import io

        from clients.models import ArchiveCategory
        from confidentiality import files
        from confidentiality.keyscope import KeyScope
        from tests.books import posted_voucher

        voucher = posted_voucher(
            world.client_a, world.bookkeeper_alice, world.reviewer_rita, date=datetime.date(2025, 2, 10)
        )
        scope = KeyScope.for_client(world.client_a.pk, 2025, category=ArchiveCategory.SOURCE_VOUCHER)
        stored = files.store_encrypted(scope, io.BytesIO(b"%PDF-1.4 receipt"), owner_label="clients.document")
        document = books_services.record_document(
            world.client_a,
            title="收据",
            fiscal_year=2025,
            archive_category=ArchiveCategory.SOURCE_VOUCHER,
            actor=world.bookkeeper_alice,
            voucher=voucher,
            original_name="receipt.pdf",
            content_type="application/pdf",
            stored_file_id=stored.pk,
        )
        objects["portal_voucher"] = (voucher, document)
    return objects["portal_voucher"]


def _employee_for(world: World) -> Any:
    """An employee of client A, recorded for its active engagement (payroll)."""
    import datetime

    engagement = books_services.open_engagement(
        world.client_a,
        contract_start=datetime.date(2025, 1, 1),
        scope="代理记账",
        archive_keeper="firm",
        actor=world.partner,
    )
    return books_services.record_employee(
        engagement, name="王小明", id_number="11010519491231002X", bank_account="", actor=world.bookkeeper_alice
    )


def _handover_for(world: World) -> Any:
    """A handover package of client A, prepared by an archivist (the portal offers it to A only)."""
    from retention.handover import prepare_handover

    archivist = cast.make_staff("archivist_arlo", StaffRole.ARCHIVIST)
    return prepare_handover(client=world.client_a, actor=archivist, firm_keeps_archives=True)


def _breach_notice_for(world: World, officer: User) -> Any:
    """A breach notice published to client A (the portal shows it to A's own users only)."""
    from compliance import incidents
    from compliance.models import BreachNotice, NoticeState

    incident = incidents.report_incident(title="t", description="d", actor=officer)
    return BreachNotice.objects.create(
        incident=incident,
        client_ref=str(world.client_a.pk),
        state=NoticeState.PUBLISHED,
        body="正文",
        client_details="细节",
        created_at=timezone.now(),
        published_at=timezone.now(),
    )


def _data_request_for(world: World, officer: User) -> Any:
    """Client A's owner asked for a copy of the company's data; the package is built (downloadable by A's owner)."""
    from datarights import services as datarights

    data_request = datarights.submit_request(
        client=world.client_a, kind="access", details="", actor=world.client_a_owner
    )
    datarights.fulfil_request(data_request, actor=officer)
    datarights.build_package(data_request.pk)
    return data_request


def _clientcare_objects(world: World, objects: dict[str, Any]) -> None:
    """A message thread with an attachment, a privacy complaint and a survey invitation of client A."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clientcare import services as clientcare_services

    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    objects["thread"] = clientcare_services.start_thread(
        client=world.client_a,
        subject="主题",
        body="正文",
        files=[(upload, "a.pdf", "application/pdf")],
        actor=world.client_a_owner,
    )
    objects["attachment"] = objects["thread"].messages.get().attachments.get()
    objects["complaint"] = clientcare_services.file_complaint(
        client=world.client_a, category="other", text="投诉", actor=world.client_a_owner
    )
    objects["survey"] = clientcare_services.invite_to_survey(period=objects["voucher"].period, actor=world.partner)


@pytest.fixture
def matrix(db: None, monkeypatch: pytest.MonkeyPatch) -> tuple[World, dict[str, User], dict[str, Any]]:
    monkeypatch.setattr(Client, "SECRET_FIELDS", ("credit_code",), raising=False)
    world = build_world()
    cora = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    lea = cast.make_staff("leaver_lea", StaffRole.BOOKKEEPER)
    assign(world.partner, world.client_a, lea, AssignmentRole.BOOKKEEPER)
    objects: dict[str, Any] = {}
    objects["grant"] = access_services.request_access(
        client=world.client_a,
        purpose=AccessPurpose.QUALITY_REVIEW,
        purpose_detail="抽查",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=world.bookkeeper_bob,
    )
    objects["emergency"] = access_services.grant_emergency_access(
        client=world.client_b,
        purpose=AccessPurpose.INCIDENT,
        purpose_detail="紧急",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=world.partner,
    )
    # The emergency grant is on client B (partner manages both): point its pattern at client A.
    objects["emergency"].client = world.client_a
    objects["emergency"].save(update_fields=["client"])
    objects["delegation"] = access_services.invite_delegate(
        client=world.client_a,
        email="lawyer@law.test",
        scope=["documents"],
        ends_at=timezone.now() + timedelta(days=10),
        actor=world.client_a_owner,
    )
    import datetime

    from tests.books import ensure_chart, sale

    ensure_chart()
    objects["voucher"] = books_services.create_voucher(
        world.client_a, date=datetime.date(2025, 3, 15), lines=sale(), actor=world.bookkeeper_alice
    )
    objects["employee"] = _employee_for(world)
    objects["handover"] = _handover_for(world)
    objects["notice"] = _breach_notice_for(world, cora)
    objects["data_request"] = _data_request_for(world, cora)
    _clientcare_objects(world, objects)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clients import documents

    # A document the client uploaded (the portal offers it to its own users) and a firm request.
    objects["document"] = documents.upload_document(
        client=world.client_a,
        uploaded_file=SimpleUploadedFile("invoice.pdf", b"%PDF-1.4\n%%EOF\n"),
        title="",
        fiscal_year=2025,
        archive_category="source_voucher",
        actor=world.client_a_owner,
    )
    objects["document_request"] = documents.create_document_request(
        client=world.client_a, description="对账单", due_date=None, actor=world.bookkeeper_alice
    )
    people = {
        "partner": world.partner,
        "alice": world.bookkeeper_alice,
        "rita": world.reviewer_rita,
        "bob": world.bookkeeper_bob,
        "otto": world.outsider,
        "eve": world.expired_eve,
        "cora": cora,
        "ada": world.admin,
        "a_owner": world.client_a_owner,
        "b_owner": world.client_b_owner,
        "lea": lea,
    }
    return world, people, objects


def _kwargs(name: str, keywords: list[str], world: World, objects: dict[str, Any]) -> dict[str, Any]:
    if name in PATTERN_KWARGS:
        return PATTERN_KWARGS[name](world, objects)
    values = {}
    for keyword in keywords:
        if name in PATTERN_OBJECTS:
            values[keyword] = PATTERN_OBJECTS[name](world, objects)
            continue
        factory = FACTORIES.get(keyword)
        assert factory is not None, (
            f"URL {name} takes {keyword!r}: add a factory for it to tests/test_access_matrix.py "
            "(and its allowed set to ALLOWED if it is not 'anyone assigned to the client')"
        )
        values[keyword] = factory(world, objects)
    return values


def test_patterns_are_discovered(db: None) -> None:
    names = {name for name, _ in client_scoped_patterns()}
    assert {"staff:access:client", "staff:access:reveal", "portal:delegate-revoke"} <= names


def test_access_matrix(matrix: tuple[World, dict[str, User], dict[str, Any]]) -> None:
    world, people, objects = matrix
    sessions = {key: cast.signed_in(user) for key, user in people.items()}
    # lea leaves now: her session (made above) must be dead.
    access_services.offboard_staff(user=people["lea"], actor=world.admin)
    problems: list[str] = []
    checked = 0
    for name, keywords in client_scoped_patterns():
        url = reverse(name, kwargs=_kwargs(name, keywords, world, objects))
        portal = url.startswith("/portal/")
        allowed = ALLOWED.get(name, DEFAULT_PORTAL if portal else DEFAULT_STAFF)
        for key in [*STAFF, *CLIENTS, "lea"]:
            with transaction.atomic():
                before = AccessEvent.objects.filter(action="denied").count()
                response = sessions[key].get(url)
                method = "GET"
                if response.status_code == 405:
                    response = sessions[key].post(url, {})
                    method = "POST"
                denied = AccessEvent.objects.filter(action="denied").count() - before
                transaction.set_rollback(True)
            status = response.status_code
            checked += 1
            if key == "lea":
                ok = status == 302 and "/accounts/login/" in response["Location"]
                expectation = "sent to sign in"
            elif key in allowed:
                ok = status == 200 if method == "GET" else status in (200, 302, 400)
                expectation = "allowed"
            else:
                ok = status == 404 and denied >= 1
                expectation = "404 with a denied-access event"
            if not ok:
                problems.append(f"{method} {name} as {key}: got {status} (denied events {denied}), want {expectation}")
    assert checked >= 8 * 11
    assert not problems, "\n".join(problems)
