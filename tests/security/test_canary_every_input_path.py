"""Issue #3, end to end: a canary typed into every input path rests nowhere in plaintext.

One run drives a unique canary (`new_canary()`) through the real HTTP views, as the people who use
them: a partner creates a client, a bookkeeper enters and imports vouchers (also wrong ones), staff
and the client upload documents and exchange secure messages, the client invites a delegate, makes
data-rights requests, complains and answers the survey, an anonymous person blows the whistle, staff
report an incident that ends in a breach notice, the archivist places a hold, staff reveal a secret
field and search, a firm admin walks the console. The jobs those inputs queue then run on a real
Celery worker. Each step asserts its input really went in (read back decrypted), so a path that
silently failed cannot make the scan pass; the scan (`tests/security/canary.py`) then looks at the
database dump, Redis (or the directory broker), the log, media and temp directories — once while the
job's message is still queued, once after the worker ran it — and every session's decoded data; no
e-mail sent on the way carries the canary either.

E-mail fields cannot hold the canary (it has Chinese characters), so they carry a second, ASCII
canary that is scanned for the same way.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole, User
from clientcare.models import (
    Attachment,
    Complaint,
    ComplaintResponse,
    Message,
    SurveyInvitation,
    SurveyResponse,
    Thread,
)
from clients import documents
from clients import services as books
from clients.models import (
    AccountingPeriod,
    Client,
    ClientRole,
    Document,
    DocumentRequest,
    DocumentStatus,
    Voucher,
    VoucherLine,
    VoucherState,
)
from clients.validators import CREDIT_CODE_CHARSET, credit_code_check_character
from compliance.models import BreachNotice, Incident, WhistleblowerReport
from confidentiality.files import read_decrypted
from confidentiality.models import AssignmentRole, Delegation, StoredFile
from datarights.models import DataRightsRequest, ExportPackage, PackageState, RequestKind, RequestState
from retention.models import Hold
from tests import cast
from tests.access_cast import World, assign, build_world
from tests.books import account, ensure_chart, voucher_workbook
from tests.clientcare_helpers import pdf
from tests.datarights_cast import package_zip
from tests.security.canary import ScanReport, encodings, matches, new_canary, redis_items, scan
from tests.workers import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MARCH = "2025-03-15"
ENGLISH = {"accept-language": "en"}


@dataclass
class Sweep:
    canary: str
    email: str  # the ASCII canary, for e-mail fields
    world: World
    client: Client  # the company created through the form, named after the canary
    owner: User  # its owner in the portal
    officer: User  # the compliance desk
    archivist: User

    def http(self, user: User) -> HttpClient:
        return cast.signed_in(user)

    def text(self, what: str) -> str:
        """Realistic text around the canary, so that fields also hold other characters."""
        return f"{what}：{self.canary} 请核对"


def redirected(response: Any) -> Any:
    """A POST that was accepted answers with a redirect (a refused form renders itself again)."""
    assert response.status_code == 302, (response.status_code, response.content.decode()[-2000:])
    return response


def valid_credit_code() -> str:
    """A fresh, valid 统一社会信用代码 (GB 32100-2015): it is confidential too, so it is scanned for."""
    body = "91310115" + "".join(random.choices(CREDIT_CODE_CHARSET, k=9))
    return body + credit_code_check_character(body)


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this process and of the worker go to a directory the scan looks at."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    monkeypatch.setenv("TMPDIR", str(directory))  # the worker process inherits it
    return directory


# --- Staff: the client, the books --------------------------------------------------------------------------


def create_client_through_the_form(world: World, canary: str) -> tuple[Client, str]:
    code = valid_credit_code()
    before = set(Client.objects.values_list("pk", flat=True))
    redirected(
        cast.signed_in(world.partner).post(
            reverse("clients:create"),
            {
                "name": f"{canary} 贸易有限公司",
                "credit_code": code,
                "taxpayer_type": "general",
                "address": f"上海市浦东新区 {canary} 路1号",
                "contact_name": f"联系人 {canary}",
                "contact_phone": "13800000000",
                "bank_name": f"招商银行 {canary[-12:]} 支行",
                "bank_account": canary,
            },
        )
    )
    client = Client.objects.exclude(pk__in=before).get()
    assert client.name == f"{canary} 贸易有限公司" and client.credit_code == code
    assert client.address == f"上海市浦东新区 {canary} 路1号"
    assert client.contacts[0]["name"] == f"联系人 {canary}" and client.bank_accounts[0]["account_number"] == canary
    return client, code


def enter_and_import_vouchers(sweep: Sweep) -> None:
    world, client, canary = sweep.world, sweep.client, sweep.canary
    alice, rita, partner = (sweep.http(u) for u in (world.bookkeeper_alice, world.reviewer_rita, world.partner))
    # A counterparty (a sub-account of 应收账款): no page creates one yet, so the service does.
    counterparty = books.create_sub_account(client, parent=account("1122"), name=f"{canary} 客户", actor=world.partner)

    # Voucher entry: the 摘要 of both lines and the counterparty account.
    entry = {
        "date": MARCH,
        "attachments_count": "1",
        "account": [counterparty.code, "5001"],
        "summary": [sweep.text("收到货款"), sweep.text("销售商品")],
        "debit": ["1130.00", ""],
        "credit": ["", "1130.00"],
    }
    redirected(alice.post(reverse("clients:voucher-create", args=[client.pk]), entry))
    entered = Voucher.objects.get(client=client)
    assert [line.summary for line in entered.lines.order_by("position")] == entry["summary"]
    assert entered.lines.filter(account=counterparty).exists()

    # The same entry out of balance: shown again with the reason, nothing saved.
    unbalanced = alice.post(
        reverse("clients:voucher-create", args=[client.pk]), {**entry, "credit": ["", "1000.00"]}, headers=ENGLISH
    )
    assert unbalanced.status_code == 200 and "out of balance" in unbalanced.content.decode()
    assert Voucher.objects.filter(client=client).count() == 1

    # Import: a good workbook (its 摘要 hold the canary), then one whose bad rows hold it.
    import_url = reverse("clients:voucher-import", args=[client.pk])
    good = voucher_workbook(
        [
            [7, "2025-01-05", "1002", sweep.text("收款"), "100", None, 0],
            [7, "2025-01-05", "5001", sweep.text("收入"), None, "100", 0],
        ]
    )
    redirected(alice.post(import_url, {"file": SimpleUploadedFile(f"{canary}.xlsx", good)}))
    imported = Voucher.objects.get(client=client, number=7)
    assert {line.summary for line in imported.lines.all()} == {sweep.text("收款"), sweep.text("收入")}
    bad = voucher_workbook(
        [
            [8, "2025-01-06", canary, sweep.text("收款"), "100", None, 0],  # an account code that is the canary
            [8, "2025-01-06", "5001", sweep.text("收入"), "100", "100", 0],  # both sides
        ]
    )
    refused = alice.post(import_url, {"file": SimpleUploadedFile(f"{canary}-2.xlsx", bad)}, headers=ENGLISH)
    assert refused.status_code == 200 and "is not a postable account" in refused.content.decode()
    assert Voucher.objects.filter(client=client).count() == 2

    # Review and return the imported voucher; review, post and close March, then reopen it with a reason.
    redirected(rita.post(reverse("clients:voucher-review", args=[client.pk, imported.pk])))
    redirected(rita.post(reverse("clients:voucher-return", args=[client.pk, imported.pk])))
    assert Voucher.objects.get(pk=imported.pk).state == VoucherState.DRAFT
    redirected(rita.post(reverse("clients:voucher-review", args=[client.pk, entered.pk])))
    redirected(partner.post(reverse("clients:voucher-post", args=[client.pk, entered.pk])))
    assert Voucher.objects.get(pk=entered.pk).state == VoucherState.POSTED
    period = entered.period
    redirected(rita.post(reverse("clients:period-close", args=[client.pk, period.pk])))
    assert AccountingPeriod.objects.get(pk=period.pk).is_closed
    redirected(
        partner.post(reverse("clients:period-reopen", args=[client.pk, period.pk]), {"reason": sweep.text("补录")})
    )
    reopened = AccountingPeriod.objects.get(pk=period.pk)
    assert not reopened.is_closed and reopened.reopen_reason == sweep.text("补录")


# --- Documents: a request, uploads by staff and by the client, a rejection ----------------------------------


def exchange_documents(sweep: Sweep) -> None:
    world, client, canary = sweep.world, sweep.client, sweep.canary
    alice, owner = sweep.http(world.bookkeeper_alice), sweep.http(sweep.owner)
    year = timezone.localdate().year

    redirected(
        alice.post(
            reverse("clients:document-request-create", args=[client.pk]), {"description": sweep.text("十月对账单")}
        )
    )
    wanted = DocumentRequest.objects.get(client=client)
    assert wanted.description == sweep.text("十月对账单")

    # Larger than FILE_UPLOAD_MAX_MEMORY_SIZE: this one goes through the temporary-file upload handler.
    body = (canary.encode() + b"\n") * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE // len(canary.encode()) + 1000)
    redirected(
        alice.post(
            reverse("clients:document-upload", args=[client.pk]),
            {
                "title": sweep.text("发票"),
                "fiscal_year": year,
                "archive_category": "source_voucher",
                "file": pdf(f"{canary}.pdf", body),
            },
        )
    )
    staff_upload = Document.objects.get(client=client)
    assert staff_upload.title == sweep.text("发票") and staff_upload.original_name == f"{canary}.pdf"
    assert b"".join(documents.open_decrypted(staff_upload)) == pdf(body=body).read()

    redirected(
        owner.post(
            reverse("portal:documents-upload"),
            {
                "fiscal_year": year,
                "archive_category": "bank_statement",
                "request": str(wanted.pk),
                "file": pdf(f"{canary}-对账单.pdf", canary.encode() * 20),
            },
        )
    )
    client_upload = Document.objects.exclude(pk=staff_upload.pk).get(client=client)
    assert client_upload.original_name == f"{canary}-对账单.pdf" and client_upload.request_id == wanted.pk
    assert b"".join(documents.open_decrypted(client_upload)) == pdf(body=canary.encode() * 20).read()

    redirected(
        alice.post(
            reverse("clients:document-reject", args=[client.pk, client_upload.pk]), {"reason": sweep.text("不清晰")}
        )
    )
    rejected = Document.objects.get(pk=client_upload.pk)
    assert rejected.status == DocumentStatus.REJECTED and rejected.status_reason == sweep.text("不清晰")


# --- The client's portal: messages, delegate, data rights, complaint, survey --------------------------------


def exchange_messages(sweep: Sweep) -> None:
    canary = sweep.canary
    owner, alice = sweep.http(sweep.owner), sweep.http(sweep.world.bookkeeper_alice)
    redirected(
        owner.post(
            f"{reverse('portal:clientcare:compose')}?client={sweep.client.pk}",
            {"subject": canary, "body": sweep.text("正文"), "attachments": pdf(f"{canary}.pdf", canary.encode())},
        )
    )
    thread = Thread.objects.get(client=sweep.client)
    redirected(
        alice.post(
            reverse("staff:clientcare:reply", kwargs={"thread_id": thread.pk}),
            {"body": sweep.text("回复"), "attachments": pdf(f"回复-{canary}.pdf", canary.encode())},
        )
    )
    assert thread.subject == canary
    assert [m.body for m in Message.objects.filter(thread=thread).order_by("created_at")] == [
        sweep.text("正文"),
        sweep.text("回复"),
    ]
    attachments = Attachment.objects.filter(message__thread=thread).order_by("created_at")
    assert [a.name for a in attachments] == [f"{canary}.pdf", f"回复-{canary}.pdf"]
    for attachment in attachments:
        assert read_decrypted(StoredFile.objects.get(pk=attachment.stored_file_id)) == pdf(body=canary.encode()).read()


def act_in_the_portal(sweep: Sweep) -> None:
    owner = sweep.http(sweep.owner)
    until = local(timezone.now() + datetime.timedelta(days=30))
    redirected(owner.post(reverse("portal:delegates"), {"email": sweep.email, "scope": ["reports"], "ends_at": until}))
    assert Delegation.objects.get(client=sweep.client).email == sweep.email

    for kind in (RequestKind.ACCESS, RequestKind.CORRECTION):
        redirected(owner.post(reverse("portal:datarights"), {"kind": kind, "details": sweep.text(kind)}))
        assert DataRightsRequest.objects.get(client=sweep.client, kind=kind).details == sweep.text(kind)

    redirected(owner.post(reverse("portal:clientcare:complaints"), {"category": "access", "text": sweep.text("投诉")}))
    assert Complaint.objects.get(client=sweep.client).text == sweep.text("投诉")

    # Closing March invited the owner to the survey.
    invitation = SurveyInvitation.objects.get(client=sweep.client)
    stars = {"timeliness": "5", "quality": "4", "communication": "3", "overall": "4"}
    survey_url = reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk})
    redirected(owner.post(survey_url, {**stars, "comment": sweep.text("回访")}))
    assert SurveyResponse.objects.get(invitation=invitation).comment == sweep.text("回访")


# --- The compliance desk, the whistleblower, the archivist --------------------------------------------------


def handle_at_the_desk(sweep: Sweep) -> None:
    officer = sweep.http(sweep.officer)
    access_request = DataRightsRequest.objects.get(client=sweep.client, kind=RequestKind.ACCESS)
    redirected(officer.post(reverse("staff:datarights:acknowledge", args=[access_request.pk])))
    redirected(
        officer.post(reverse("staff:datarights:fulfil", args=[access_request.pk]), {"answer": sweep.text("答复")})
    )
    access_request.refresh_from_db()
    assert access_request.answer == sweep.text("答复")
    assert ExportPackage.objects.get(request=access_request).state == PackageState.QUEUED  # the worker builds it
    correction = DataRightsRequest.objects.get(client=sweep.client, kind=RequestKind.CORRECTION)
    redirected(officer.post(reverse("staff:datarights:refuse", args=[correction.pk]), {"reasons": sweep.text("理由")}))
    correction.refresh_from_db()
    assert correction.state == RequestState.REFUSED and correction.answer == sweep.text("理由")

    complaint = Complaint.objects.get(client=sweep.client)
    redirected(
        officer.post(
            reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk}),
            {"form": "answer", "text": sweep.text("处理结果")},
        )
    )
    assert ComplaintResponse.objects.get(complaint=complaint).text == sweep.text("处理结果")


def blow_the_whistle(sweep: Sweep) -> None:
    anonymous = HttpClient()
    form = anonymous.get("/report/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form)
    assert token is not None
    receipt = anonymous.post("/report/", {"category": "misuse", "text": sweep.text("举报"), "token": token.group(1)})
    assert receipt.status_code == 200 and 'id="receipt-code"' in receipt.content.decode()
    report = WhistleblowerReport.objects.get()  # the only one: nothing in it says who sent it
    redirected(
        sweep.http(sweep.officer).post(
            reverse("staff:compliance:whistleblowing-report", args=[report.pk]), {"text": sweep.text("答复举报")}
        )
    )
    assert [m.body for m in report.messages.order_by("seq")] == [sweep.text("举报"), sweep.text("答复举报")]


def report_an_incident_and_notify(sweep: Sweep) -> None:
    """A bookkeeper reports; the desk finds the client in the access log and publishes a breach notice."""
    world, officer = sweep.world, sweep.http(sweep.officer)
    redirected(
        sweep.http(world.bookkeeper_alice).post(
            reverse("staff:compliance:incident-report"),
            # The title stays plain by design ("must not name a client"): the canary goes in the description.
            {"title": "报表发错了收件人", "description": sweep.text("经过")},
        )
    )
    incident = Incident.objects.get(title="报表发错了收件人")
    assert incident.description == sweep.text("经过")
    base = f"/staff/compliance/incidents/{incident.pk}"
    now = timezone.now()
    window = {
        "window_start": local(now - datetime.timedelta(hours=1)),
        "window_end": local(now + datetime.timedelta(hours=1)),
    }
    redirected(officer.post(f"{base}/triage/", {"severity": "high", "suspect": world.bookkeeper_alice.pk, **window}))
    redirected(officer.post(f"{base}/compute-affected/"))
    for affected in incident.affected.all():
        decision = "include" if affected.client_ref == str(sweep.client.pk) else "exclude"
        redirected(officer.post(f"{base}/review-client/", {"affected": affected.pk, "decision": decision}))
    notice_content = {
        name: sweep.text(name)
        for name in ("data_kinds", "cause", "possible_harm", "remedies", "client_actions", "contact")
    }
    redirected(officer.post(f"{base}/notice-content/", notice_content))
    redirected(officer.post(f"{base}/compose-notices/"))
    notice = BreachNotice.objects.get(incident=incident, client_ref=str(sweep.client.pk))
    redirected(
        officer.post(
            reverse("staff:compliance:breach-notice", args=[notice.pk]),
            {"client_details": sweep.text("本客户"), "publish": "1"},
        )
    )
    notice.refresh_from_db()
    assert notice.state == "published" and notice.client_details == sweep.text("本客户")
    assert sweep.text("cause") in notice.body
    assert Incident.objects.get(pk=incident.pk).cause == sweep.text("cause")


def place_a_hold(sweep: Sweep) -> None:
    redirected(
        sweep.http(sweep.archivist).post(
            reverse("staff:retention:holds"),
            {"client": str(sweep.client.pk)[:8].upper(), "kind": "tax_audit", "reason": sweep.text("稽查")},
        )
    )
    assert Hold.objects.get(client=sweep.client).reason == sweep.text("稽查")


# --- Reads that take the canary as input: reveal, searches, the console --------------------------------------


def reveal_search_and_console(sweep: Sweep) -> None:
    canary, client = sweep.canary, sweep.client
    alice = sweep.http(sweep.world.bookkeeper_alice)
    shown = alice.post(
        f"/staff/access/reveal/clients.client/{client.pk}/bank_accounts/",
        {"purpose": "payroll", "purpose_detail": "发放工资"},
    )
    assert shown.status_code == 200 and canary in shown.content.decode()

    found = alice.get(reverse("clients:account-search", args=[client.pk]), {"account": canary})
    assert found.status_code == 200 and "112201" in found.content.decode()  # the counterparty, found by name
    assert alice.get(reverse("clients:list"), {"q": canary}).status_code == 200

    console = sweep.http(sweep.world.admin)
    assert console.get("/console/clients/client/").status_code == 200
    change = console.get(f"/console/clients/client/{client.pk}/change/")
    assert change.status_code == 200 and canary not in change.content.decode()
    assert console.get("/console/confidentiality/datakey/", {"q": canary}).status_code == 200  # its search box
    before = Client.objects.count()
    added = console.post("/console/clients/client/add/", {"name": canary, "credit_code": canary})
    assert added.status_code in (403, 404) and Client.objects.count() == before  # nothing is added here


# --- The scan ---------------------------------------------------------------------------------------------------


def scan_everywhere(canaries: list[str], temp_dir: Path) -> None:
    for canary in canaries:
        report = scan(canary, extra_dirs={"temp": temp_dir})
        assert report.findings == [], report.describe()
        assert_covered(report)
        forms = encodings(canary)
        # Sessions are stored signed and zlib-compressed, which the byte scan cannot see through.
        for session in Session.objects.all():
            decoded = json.dumps(session.get_decoded(), ensure_ascii=False).encode()
            assert not matches(decoded, forms), f"session {session.session_key}"


def assert_covered(report: ScanReport) -> None:
    places = {entry.split(" ", 1)[0] for entry in report.scanned}
    expected = {"database", "logs", "media", "temp", "redis" if settings.REDIS_URL else "broker"}
    assert expected <= places, report.describe()
    allowed_gaps = {"backups"} | (set() if settings.REDIS_URL else {"redis"})
    assert set(report.not_scanned) <= allowed_gaps, report.describe()


def queued_job_at_rest(job_id: str) -> bool:
    """The job's Celery message waits in the broker (its body base64 JSON), so the scan sees one at rest."""
    forms = encodings(job_id)
    if settings.REDIS_URL:
        return any(key == "celery" and matches(data, forms) for key, data in redis_items(settings.REDIS_URL))
    queue = Path(settings.VAR_DIR) / "broker" / "queue"
    return queue.exists() and any(matches(path.read_bytes(), forms) for path in queue.iterdir())


def test_a_canary_typed_into_every_input_path_rests_nowhere_in_plaintext(temp_dir: Path) -> None:
    ensure_chart()
    world = build_world()
    canary = new_canary()
    client, credit_code = create_client_through_the_form(world, canary)
    assign(world.admin, client, world.partner, AssignmentRole.MANAGER)
    assign(world.partner, client, world.bookkeeper_alice, AssignmentRole.BOOKKEEPER)
    assign(world.partner, client, world.reviewer_rita, AssignmentRole.REVIEWER)
    owner = cast.make_client_user("canary_owner")
    books.add_client_member(client, user=owner, role=ClientRole.OWNER, actor=world.partner)
    sweep = Sweep(
        canary=canary,
        email=f"delegate-{uuid.uuid4().hex}@law.test",
        world=world,
        client=client,
        owner=owner,
        officer=cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER),
        archivist=cast.make_staff("archivist_ann", StaffRole.ARCHIVIST),
    )

    enter_and_import_vouchers(sweep)
    exchange_documents(sweep)
    exchange_messages(sweep)
    act_in_the_portal(sweep)
    handle_at_the_desk(sweep)
    blow_the_whistle(sweep)
    report_an_incident_and_notify(sweep)
    place_a_hold(sweep)
    reveal_search_and_console(sweep)
    assert VoucherLine.objects.filter(client=client).count() == 4

    canaries = [canary, sweep.email, credit_code]
    access_request = DataRightsRequest.objects.get(client=client, kind=RequestKind.ACCESS)
    assert queued_job_at_rest(str(access_request.pk))
    scan_everywhere(canaries, temp_dir)

    # The job the inputs queued, on a real worker; its log goes where the scan looks.
    with running_worker(log_path=Path(settings.LOG_DIR) / "worker-canary.log"):
        assert wait_for(
            lambda: ExportPackage.objects.get(request=access_request).state == PackageState.READY, timeout=120
        ), ExportPackage.objects.filter(request=access_request).values("state", "progress").first()
    package = package_zip(access_request)
    assert any(canary.encode() in package.read(name) for name in package.namelist())  # the client's data is in it

    scan_everywhere(canaries, temp_dir)
    for message in mail.outbox:
        assert canary not in f"{message.subject}\n{message.body}", message.subject
