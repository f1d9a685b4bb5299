"""The anonymous whistleblowing channel (举报渠道): receipts, passphrases, form tokens, rate limits.

Why no IP-based limits: anything keyed by the reporter's address would be a record of it. The
channel is protected instead by (1) a signed, time-limited, single-use form token (a flood must
fetch a fresh form for each post), (2) a global hourly cap on new reports and on failed follow-up
sign-ins, and (3) per-receipt-code caps on follow-up messages and on passphrase guesses.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from compliance.errors import ComplianceError
from compliance.models import (
    ComplianceAction,
    ReportCategory,
    ReportStatus,
    WhistleblowerMessage,
    WhistleblowerReport,
)

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
FORM_SALT = "compliance.whistleblowing.form"
ACCESS_SALT = "compliance.whistleblowing.access"
FORM_MAX_AGE = 4 * 3600
ACCESS_MAX_AGE = 30 * 60
MAX_TEXT = 20_000


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- Receipt code and passphrase ------------------------------------------------------------------


def _random(length: int, group: int) -> str:
    raw = "".join(secrets.choice(ALPHABET) for _i in range(length))
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def normalise_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch in ALPHABET)


def receipt_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


# --- Form and access tokens -----------------------------------------------------------------------


def new_form_token() -> str:
    """A signed nonce for a hidden field: stands in for the CSRF cookie on these cookieless pages."""
    return signing.TimestampSigner(salt=FORM_SALT).sign(secrets.token_urlsafe(16))


def use_form_token(token: str) -> None:
    """Accept a form token once, within its lifetime; refuse it otherwise."""
    try:
        signing.TimestampSigner(salt=FORM_SALT).unsign(token, max_age=FORM_MAX_AGE)
    except signing.BadSignature as error:
        raise ComplianceError(_("This form has expired. Please open the page again.")) from error
    key = "wb:form:" + hashlib.sha256(token.encode()).hexdigest()
    if not cache.add(key, 1, timeout=FORM_MAX_AGE + 60):
        raise ComplianceError(_("This form was already sent. Please open the page again."))


def access_token_for(report: WhistleblowerReport) -> str:
    return signing.TimestampSigner(salt=ACCESS_SALT).sign(str(report.pk))


def report_from_access_token(token: str) -> WhistleblowerReport:
    try:
        report_id = signing.TimestampSigner(salt=ACCESS_SALT).unsign(token, max_age=ACCESS_MAX_AGE)
        return WhistleblowerReport.objects.get(pk=report_id)
    except (signing.BadSignature, WhistleblowerReport.DoesNotExist, ValueError) as error:
        raise ComplianceError(_("Your session on this page has expired. Enter your receipt code again.")) from error


# --- Rate limits (cache counters; no address anywhere) ----------------------------------------------


def _count(key: str, *, limit: int, timeout: int) -> bool:
    """Increment the counter; True while it is within the limit."""
    cache.add(key, 0, timeout=timeout)
    try:
        value = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)
        value = 1
    return value <= limit


def _hour() -> str:
    return timezone.now().strftime("%Y%m%d%H")


def _check_global_new_reports() -> None:
    if not _count(f"wb:new:{_hour()}", limit=_limit("COMPLIANCE_WHISTLEBLOWING_HOURLY_LIMIT", 30), timeout=3700):
        raise ComplianceError(_("The channel is receiving too many reports right now. Please try again in an hour."))


# --- Services -------------------------------------------------------------------------------------


@dataclass
class Receipt:
    report: WhistleblowerReport
    code: str
    passphrase: str


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ComplianceError(_("Please describe what you want to report."))
    if len(text) > MAX_TEXT:
        raise ComplianceError(_("Please keep the text under %(n)s characters.") % {"n": MAX_TEXT})
    return text


def _add_message(
    report: WhistleblowerReport, *, text: str, from_reporter: bool, author: User | None
) -> WhistleblowerMessage:
    seq = (report.messages.aggregate(m=Max("seq"))["m"] or 0) + 1
    message = WhistleblowerMessage.objects.create(
        report=report, seq=seq, from_reporter=from_reporter, author=author, written_on=timezone.localdate(), body=text
    )
    report.last_activity_on = timezone.localdate()
    report.save(update_fields=["last_activity_on"])
    return message


@transaction.atomic
def submit_report(*, category: str, text: str, form_token: str) -> Receipt:
    """A new anonymous report. Returns the receipt code and passphrase, shown once and never stored.

    Deliberately not written to the audit trail: an audit row carries a precise time (and the
    request id), which could be matched against network logs to find the reporter. The officers'
    handling of the report is audited.
    """
    text = _clean_text(text)
    if category not in ReportCategory.values:
        raise ComplianceError(_("Choose what the report is about."))
    use_form_token(form_token)
    _check_global_new_reports()
    code = _random(12, 4)
    passphrase = _random(20, 5).lower()
    today = timezone.localdate()
    report = WhistleblowerReport.objects.create(
        receipt_digest=receipt_digest(code),
        passphrase_hash=make_password(passphrase),
        category=category,
        received_on=today,
        last_activity_on=today,
    )
    _add_message(report, text=text, from_reporter=True, author=None)
    return Receipt(report=report, code=code, passphrase=passphrase)


def open_report(*, code: str, passphrase: str) -> WhistleblowerReport:
    """The reporter's follow-up sign-in; a wrong code and a wrong passphrase answer alike."""
    wrong = ComplianceError(_("The receipt code or passphrase is not right."))
    digest = receipt_digest(code)
    attempts_key = f"wb:fail:{digest}:{_hour()}"
    if (cache.get(attempts_key) or 0) >= _limit("COMPLIANCE_WHISTLEBLOWING_GUESS_LIMIT", 5):
        raise ComplianceError(_("Too many attempts for this receipt code. Please try again in an hour."))
    if not _count(
        f"wb:fail:all:{_hour()}", limit=_limit("COMPLIANCE_WHISTLEBLOWING_GLOBAL_GUESS_LIMIT", 300), timeout=3700
    ):
        raise ComplianceError(_("Too many attempts right now. Please try again in an hour."))
    report = WhistleblowerReport.objects.filter(receipt_digest=digest).first()
    if report is None:
        # Hash anyway, so timing does not tell a known code from an unknown one.
        make_password(passphrase)
        valid = False
    else:
        valid = check_password(passphrase.strip().lower(), report.passphrase_hash)
    if report is None or not valid:
        _count(attempts_key, limit=10**6, timeout=3700)
        raise wrong
    return report


@transaction.atomic
def add_reporter_message(*, report: WhistleblowerReport, text: str, form_token: str) -> WhistleblowerMessage:
    text = _clean_text(text)
    use_form_token(form_token)
    if report.status == ReportStatus.CLOSED:
        raise ComplianceError(_("This report is closed."))
    key = f"wb:msg:{report.pk}:{timezone.localdate():%Y%m%d}"
    if not _count(key, limit=_limit("COMPLIANCE_WHISTLEBLOWING_DAILY_MESSAGES", 10), timeout=86_500):
        raise ComplianceError(_("You have sent many messages today. Please continue tomorrow."))
    return _add_message(report, text=text, from_reporter=True, author=None)


# --- The compliance desk ----------------------------------------------------------------------------


@transaction.atomic
def record_report_read(report: WhistleblowerReport, *, actor: User) -> None:
    audit.record(actor=actor, action=ComplianceAction.WHISTLEBLOWING_REPORT_READ, target=report)
    if report.status == ReportStatus.NEW:
        report.status = ReportStatus.IN_REVIEW
        report.save(update_fields=["status"])


@transaction.atomic
def reply_to_report(report: WhistleblowerReport, *, text: str, actor: User) -> WhistleblowerMessage:
    text = _clean_text(text)
    message = _add_message(report, text=text, from_reporter=False, author=actor)
    audit.record(
        actor=actor, action=ComplianceAction.WHISTLEBLOWING_REPLIED, target=report, details={"seq": message.seq}
    )
    return message


@transaction.atomic
def set_report_status(report: WhistleblowerReport, *, status: str, actor: User) -> WhistleblowerReport:
    if status not in ReportStatus.values:
        raise ComplianceError(_("Unknown status."))
    report.status = status
    report.save(update_fields=["status"])
    audit.record(
        actor=actor, action=ComplianceAction.WHISTLEBLOWING_STATUS_CHANGED, target=report, details={"status": status}
    )
    return report
