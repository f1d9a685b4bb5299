# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""Anonymous whistleblowing: receipt flow, nothing identifying stored or logged, encryption, limits."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import StaffRole, User
from audit.models import AccessEvent, AuditEvent
from compliance import whistleblowing
from compliance.errors import ComplianceError
from compliance.models import WhistleblowerMessage, WhistleblowerReport
from tests import cast

pytestmark = pytest.mark.django_db

SECRET_TEXT = "经理王某把客户A的账簿拷贝到了私人U盘"
ADDRESS = "203.0.113.77"
BROWSER = "Mozilla/5.0 (UniqueWhistleBrowser 42.1)"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, "form token missing"
    return match.group(1)


def _field(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert match
    return match.group(1)


def _anonymous() -> Client:
    return Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=BROWSER)


def _submit(http: Client, text: str = SECRET_TEXT) -> tuple[str, str]:
    page = http.get("/report/")
    response = http.post("/report/", {"category": "misuse", "text": text, "token": _token(page.content.decode())})
    html = response.content.decode()
    return _field(html, "receipt-code"), _field(html, "receipt-passphrase")


def test_receipt_flow_end_to_end_without_cookies(compliance_officer: User) -> None:
    audit_before, access_before = AuditEvent.objects.count(), AccessEvent.objects.count()
    http = _anonymous()
    page = http.get("/report/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert page["Referrer-Policy"] == "no-referrer"
    assert "<script" not in page.content.decode()
    response = http.post(
        "/report/", {"category": "misuse", "text": SECRET_TEXT, "token": _token(page.content.decode())}
    )
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    code = _field(response.content.decode(), "receipt-code")
    passphrase = _field(response.content.decode(), "receipt-passphrase")
    assert len(whistleblowing.normalise_code(code)) == 12 and len(passphrase.replace("-", "")) == 20
    assert not http.cookies  # nothing was ever set

    # Follow up: the text is there, then add information.
    follow = http.get("/report/follow-up/")
    thread = http.post(
        "/report/follow-up/", {"code": code.lower(), "passphrase": passphrase, "token": _token(follow.content.decode())}
    )
    html = thread.content.decode()
    assert SECRET_TEXT in html
    access = re.search(r'name="access" value="([^"]+)"', html)
    assert access
    http.post(
        "/report/follow-up/add/", {"text": "补充：时间是上周五", "access": access.group(1), "token": _token(html)}
    )

    # The officer reads and replies; the reporter sees the reply.
    report = WhistleblowerReport.objects.get()
    officer = cast.signed_in(compliance_officer)
    detail = officer.get(f"/staff/compliance/whistleblowing/{report.pk}/").content.decode()
    assert SECRET_TEXT in detail and "补充：时间是上周五" in detail
    officer.post(f"/staff/compliance/whistleblowing/{report.pk}/", {"text": "请问涉及哪个客户的哪一年？"})
    follow = http.get("/report/follow-up/")
    again = http.post(
        "/report/follow-up/", {"code": code, "passphrase": passphrase, "token": _token(follow.content.decode())}
    )
    assert "请问涉及哪个客户的哪一年？" in again.content.decode()
    assert not http.cookies

    # Nothing the reporter sent was audited or logged as an access; the officer's handling was.
    assert AccessEvent.objects.count() == access_before
    new_audit = AuditEvent.objects.filter(pk__gt=0).order_by("id")[audit_before:]
    assert {e.actor_id for e in new_audit} == {compliance_officer.pk}


def test_nothing_identifying_is_stored() -> None:
    code, passphrase = _submit(_anonymous())
    report = WhistleblowerReport.objects.get()
    message = WhistleblowerMessage.objects.get()
    # Every stored value as the database holds it: no address, browser, receipt code, passphrase or text.
    report_row = WhistleblowerReport.objects.values().get()
    message_row = WhistleblowerMessage.objects.values().get()
    stored = " ".join(str(v) for v in report_row.values()) + " ".join(str(v) for v in message_row.values())
    for needle in (
        ADDRESS,
        BROWSER,
        "UniqueWhistleBrowser",
        whistleblowing.normalise_code(code),
        passphrase,
        SECRET_TEXT,
    ):
        assert needle not in stored
    assert SECRET_TEXT.encode() not in bytes(message_row["body"])  # type: ignore[arg-type]  # the column holds ciphertext
    assert report.passphrase_hash.startswith("argon2")
    # Dates only: no field holds a time of day.
    for model in (WhistleblowerReport, WhistleblowerMessage):
        assert not [f.name for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"]
    assert message.body == SECRET_TEXT


def test_wrong_passphrase_and_unknown_code_answer_alike_then_lock() -> None:
    code, passphrase = _submit(_anonymous())
    with pytest.raises(ComplianceError) as unknown:
        whistleblowing.open_report(code="AAAA-BBBB-CCCC", passphrase=passphrase)
    with pytest.raises(ComplianceError) as wrong:
        whistleblowing.open_report(code=code, passphrase="nope")
    assert str(unknown.value) == str(wrong.value)
    for _attempt in range(4):
        with pytest.raises(ComplianceError):
            whistleblowing.open_report(code=code, passphrase="nope")
    with pytest.raises(ComplianceError) as locked:
        whistleblowing.open_report(code=code, passphrase=passphrase)  # even the right one, for an hour
    assert str(locked.value) != str(wrong.value)


def test_form_token_is_single_use_and_signed() -> None:
    token = whistleblowing.new_form_token()
    whistleblowing.submit_report(category="leak", text="x", form_token=token)
    with pytest.raises(ComplianceError):
        whistleblowing.submit_report(category="leak", text="x", form_token=token)
    with pytest.raises(ComplianceError):
        whistleblowing.submit_report(category="leak", text="x", form_token="forged:token")
    assert WhistleblowerReport.objects.count() == 1


def test_replayed_form_shows_a_message_and_stores_nothing() -> None:
    http = _anonymous()
    page = http.get("/report/").content.decode()
    data = {"category": "misuse", "text": "一次", "token": _token(page)}
    http.post("/report/", data)
    again = http.post("/report/", data)
    assert again.status_code == 200
    assert WhistleblowerReport.objects.count() == 1
    assert _token(again.content.decode()) != data["token"]  # a fresh form to try again


@override_settings(COMPLIANCE_WHISTLEBLOWING_HOURLY_LIMIT=2)
def test_global_hourly_limit_on_new_reports() -> None:
    for _n in range(2):
        whistleblowing.submit_report(category="other", text="x", form_token=whistleblowing.new_form_token())
    with pytest.raises(ComplianceError):
        whistleblowing.submit_report(category="other", text="x", form_token=whistleblowing.new_form_token())
    assert WhistleblowerReport.objects.count() == 2


@override_settings(COMPLIANCE_WHISTLEBLOWING_DAILY_MESSAGES=2)
def test_per_receipt_daily_message_limit() -> None:
    receipt = whistleblowing.submit_report(category="other", text="x", form_token=whistleblowing.new_form_token())
    for _n in range(2):
        whistleblowing.add_reporter_message(
            report=receipt.report, text="more", form_token=whistleblowing.new_form_token()
        )
    with pytest.raises(ComplianceError):
        whistleblowing.add_reporter_message(
            report=receipt.report, text="more", form_token=whistleblowing.new_form_token()
        )
    assert receipt.report.messages.count() == 3


def test_empty_or_bad_input_changes_nothing() -> None:
    http = _anonymous()
    page = http.get("/report/").content.decode()
    assert http.post("/report/", {"category": "misuse", "text": "  ", "token": _token(page)}).status_code == 200
    assert http.post("/report/", {"category": "nonsense", "text": "x", "token": _token(page)}).status_code == 200
    assert http.post("/report/follow-up/add/", {"text": "x", "access": "bad", "token": "bad"}).status_code == 200
    assert WhistleblowerReport.objects.count() == 0


def test_only_compliance_officers_read_reports(bookkeeper_alice: User) -> None:
    receipt = whistleblowing.submit_report(category="other", text="x", form_token=whistleblowing.new_form_token())
    head = cast.make_staff("head_hu", StaffRole.FIRM_HEAD)
    for user in (bookkeeper_alice, head):
        http = cast.signed_in(user)
        assert http.get("/staff/compliance/whistleblowing/").status_code == 404
        assert http.get(f"/staff/compliance/whistleblowing/{receipt.report.pk}/").status_code == 404


# --- The request log of a real gunicorn ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_gunicorn_access_log_and_app_log_hold_no_reporter_address(tmp_path: Path) -> None:
    from tests.workers import ROOT, worker_env

    port = _free_port()
    access_log = tmp_path / "access.log"
    env = worker_env()
    env["FIRMPORTAL_LOG_DIR"] = str(tmp_path)
    # The production access-log format (Dockerfile, scripts/run-embedded.sh), with the user agent added.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "firmportal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss "%(a)s"',
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _n in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        headers = {"User-Agent": BROWSER}
        form = urllib.request.urlopen(urllib.request.Request(f"{base}/report/", headers=headers)).read().decode()  # noqa: S310
        body = urllib.parse.urlencode({"category": "misuse", "text": SECRET_TEXT, "token": _token(form)}).encode()
        answer = urllib.request.urlopen(urllib.request.Request(f"{base}/report/", data=body, headers=headers))  # noqa: S310
        assert answer.status == 200 and answer.headers.get("Set-Cookie") is None
        assert "receipt-code" in answer.read().decode()
        time.sleep(0.5)
    finally:
        from tests.workers import stop

        stop(process)
    lines = access_log.read_text().splitlines()
    report_lines = [line for line in lines if "/report/" in line]
    other_lines = [line for line in lines if "/accounts/login/" in line]
    assert len(report_lines) == 2 and other_lines
    assert all("127.0.0.1" in line for line in other_lines)  # the format does log addresses elsewhere
    for line in report_lines:
        assert "127.0.0.1" not in line and "UniqueWhistleBrowser" not in line
        assert not re.search(r"\d\d:\d\d:\d\d", line)  # no time of day
    app_log = tmp_path / "firmportal.log"
    app_text = app_log.read_text() if app_log.exists() else ""
    assert "127.0.0.1" not in app_text and "UniqueWhistleBrowser" not in app_text and SECRET_TEXT not in app_text
    assert WhistleblowerReport.objects.count() == 1
    _ = settings
