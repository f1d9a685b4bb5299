"""Every change to clients and their books: typed functions with an explicit actor, atomic, audited
in the same transaction. Audit details carry ids, counts and states only, never client plaintext.

Errors a user can cause raise `ValidationError` with a translated message and change nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from clients.models import (
    ZERO,
    Account,
    AccountBalance,
    AccountingPeriod,
    ArchiveCategory,
    ArchiveKeeper,
    BooksAction,
    Client,
    ClientMembership,
    ClientRole,
    Document,
    Employee,
    Engagement,
    EngagementState,
    PeriodState,
    Side,
    TaxpayerType,
    Voucher,
    VoucherKind,
    VoucherLine,
    VoucherState,
)
from clients.validators import parse_amount, validate_bank_account, validate_credit_code, validate_id_number
from confidentiality.duties import check_separation

MAX_LINES = 200
MAX_SUMMARY = 200
MAX_NAME = 200
MAX_TEXT = 2000
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_ATTACHMENTS = 9999


@dataclass(frozen=True)
class LineInput:
    """A voucher line as typed: the amount goes in exactly one of debit or credit."""

    account_id: uuid.UUID | str
    summary: str
    debit: Decimal | str | None = None
    credit: Decimal | str | None = None


@dataclass(frozen=True)
class _Line:
    account: Account
    summary: str
    side: str
    amount: Decimal


def _client_ref(client_id: uuid.UUID | str) -> str:
    return str(client_id)


def _require_text(value: str, *, label: str, max_length: int = MAX_NAME, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("%(field)s is required.") % {"field": label}, code="required")
    if len(text) > max_length:
        raise ValidationError(
            _("%(field)s is too long (at most %(max)d characters).") % {"field": label, "max": max_length},
            code="too_long",
        )
    return text


# --- Clients and engagements ----------------------------------------------------------------------

_CONTACT_KEYS = ("name", "role", "phone", "email")
_BANK_KEYS = ("bank", "account_number")


def _clean_records(records: Iterable[dict[str, Any]] | None, keys: Sequence[str], first: str) -> list[dict[str, str]]:
    cleaned = []
    for record in records or []:
        row = {key: _require_text(str(record.get(key) or ""), label=key, required=False) for key in keys}
        if any(row.values()):
            if not row[first]:
                raise ValidationError(_("Each entry needs a %(field)s.") % {"field": first}, code="required")
            cleaned.append(row)
    return cleaned


@transaction.atomic
def create_client(
    *,
    name: str,
    credit_code: str,
    taxpayer_type: str,
    address: str = "",
    contacts: Iterable[dict[str, Any]] | None = None,
    bank_accounts: Iterable[dict[str, Any]] | None = None,
    actor: Any,
) -> Client:
    """A new client with validated 统一社会信用代码; confidential fields are encrypted on save."""
    if taxpayer_type not in TaxpayerType.values:
        raise ValidationError(_("Choose a taxpayer type."), code="taxpayer_type")
    contact_rows = _clean_records(contacts, _CONTACT_KEYS, "name")
    bank_rows = _clean_records(bank_accounts, _BANK_KEYS, "account_number")
    client = Client.objects.create(
        name=_require_text(name, label=_("Company name")),
        credit_code=validate_credit_code(credit_code),
        taxpayer_type=taxpayer_type,
        address=_require_text(address, label=_("Address"), max_length=MAX_TEXT, required=False),
        contacts=contact_rows,
        bank_accounts=bank_rows,
    )
    audit.record(
        actor=actor,
        action=BooksAction.CLIENT_CREATED,
        target=client,
        client_ref=_client_ref(client.pk),
        details={"taxpayer_type": taxpayer_type, "contacts": len(contact_rows), "bank_accounts": len(bank_rows)},
    )
    return client


@transaction.atomic
def add_client_member(client: Client, *, user: Any, role: str, actor: Any) -> ClientMembership:
    if not getattr(user, "is_client_user", False):
        raise ValidationError(_("Only client users can belong to a client."), code="not_client_user")
    if role not in ClientRole.values:
        raise ValidationError(_("Choose a role."), code="role")
    membership, created = ClientMembership.objects.get_or_create(client=client, user=user, defaults={"role": role})
    if created:
        audit.record(
            actor=actor,
            action=BooksAction.CLIENT_MEMBER_ADDED,
            target=membership,
            client_ref=_client_ref(client.pk),
            details={"user_id": user.pk, "role": role},
        )
    return membership


@transaction.atomic
def open_engagement(
    client: Client,
    *,
    contract_start: datetime.date,
    contract_end: datetime.date | None = None,
    scope: str,
    archive_keeper: str,
    archive_custodian: str = "",
    manager: Any = None,
    actor: Any,
) -> Engagement:
    """The bookkeeping contract: dates, scope, who keeps the archives (代理记账管理办法)."""
    if contract_end is not None and contract_end < contract_start:
        raise ValidationError(_("The contract cannot end before it starts."), code="contract_dates")
    if archive_keeper not in ArchiveKeeper.values:
        raise ValidationError(_("Say who keeps the accounting archives."), code="archive_keeper")
    engagement = Engagement.objects.create(
        client=client,
        contract_start=contract_start,
        contract_end=contract_end,
        scope=_require_text(scope, label=_("Scope of services"), max_length=MAX_TEXT),
        archive_keeper=archive_keeper,
        archive_custodian=_require_text(archive_custodian, label=_("Archive custodian"), required=False),
        manager=manager,
    )
    audit.record(
        actor=actor,
        action=BooksAction.ENGAGEMENT_OPENED,
        target=engagement,
        client_ref=_client_ref(client.pk),
        details={"archive_keeper": archive_keeper, "state": engagement.state},
    )
    return engagement


@transaction.atomic
def change_engagement_state(engagement: Engagement, *, state: str, actor: Any) -> Engagement:
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    allowed = Engagement.ALLOWED_TRANSITIONS[EngagementState(engagement.state)]
    if state not in allowed:
        raise ValidationError(
            _("An engagement in state “%(from)s” cannot become “%(to)s”.")
            % {"from": EngagementState(engagement.state).label, "to": state},
            code="engagement_transition",
        )
    previous = engagement.state
    engagement.state = state
    engagement.state_changed_at = timezone.now()
    engagement.save(update_fields=["state", "state_changed_at"])
    audit.record(
        actor=actor,
        action=BooksAction.ENGAGEMENT_STATE_CHANGED,
        target=engagement,
        client_ref=_client_ref(engagement.client_id),
        details={"from": previous, "to": state},
    )
    return engagement


# --- Chart of accounts ----------------------------------------------------------------------------


@transaction.atomic
def create_sub_account(client: Client, *, parent: Account, name: str, actor: Any) -> Account:
    """A client's sub-account under a standard account (e.g. 应收账款 - a customer), coded parent + 2 digits."""
    if not parent.is_standard:
        raise ValidationError(_("Sub-accounts hang under a standard account."), code="parent")
    # Serialise code allocation per client.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    siblings = Account.objects.filter(client=client, parent=parent).values_list("code", flat=True)
    used = {int(code[len(parent.code) :]) for code in siblings if code[len(parent.code) :].isdigit()}
    number = next(n for n in range(1, 100) if n not in used) if len(used) < 99 else None
    if number is None:
        raise ValidationError(_("This account has no free sub-account codes left."), code="codes_exhausted")
    account = Account.objects.create(
        client=client,
        parent=parent,
        code=f"{parent.code}{number:02d}",
        sub_name=_require_text(name, label=_("Sub-account name"), max_length=100),
        category=parent.category,
        normal_side=parent.normal_side,
    )
    audit.record(
        actor=actor,
        action=BooksAction.SUB_ACCOUNT_CREATED,
        target=account,
        client_ref=_client_ref(client.pk),
        details={"code": account.code, "parent_code": parent.code},
    )
    return account


def postable_accounts(client: Client | uuid.UUID) -> list[Account]:
    """Accounts a voucher of this client may use: its own sub-accounts, and standard accounts it has not split."""
    client_id = client.pk if isinstance(client, Client) else client
    accounts = list(
        Account.objects.filter(Q(client__isnull=True) | Q(client_id=client_id), is_active=True).select_related("parent")
    )
    split = {a.parent_id for a in accounts if a.client_id is not None}
    return sorted((a for a in accounts if a.pk not in split), key=lambda a: a.code)


# --- Periods --------------------------------------------------------------------------------------


def _period_for(client_id: uuid.UUID, date: datetime.date, *, lock: bool = True) -> AccountingPeriod:
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        raise ValidationError(
            _("The date must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}, code="date_range"
        )
    manager = AccountingPeriod.objects.select_for_update() if lock else AccountingPeriod.objects
    period, _created = manager.get_or_create(client_id=client_id, year=date.year, month=date.month)
    return period


def _refuse_closed(period: AccountingPeriod) -> None:
    _refuse_locked(period)
    if period.is_closed:
        raise ValidationError(
            _("The period %(period)s is closed: nothing can be entered or posted in it until a manager reopens it.")
            % {"period": str(period)},
            code="period_closed",
        )


def _refuse_locked(period: AccountingPeriod) -> None:
    """PIPL Art. 47 (retention2 slice): a locked year's vouchers are kept for storage only, never changed."""
    from retention.models import ProcessingLock

    locks = ProcessingLock.objects.filter(
        client_id=period.client_id, category__in=["", ArchiveCategory.JOURNAL_VOUCHER]
    ).filter(Q(fiscal_year__isnull=True) | Q(fiscal_year=period.year))
    if locks.exists():
        raise ValidationError(
            _("These records are kept only because the law requires it: nothing can be entered or changed."),
            code="locked",
        )


@transaction.atomic
def close_period(period: AccountingPeriod, *, actor: Any) -> AccountingPeriod:
    """结账: only when every voucher of the period is posted."""
    period = AccountingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise ValidationError(_("This period is already closed."), code="period_closed")
    pending = Voucher.objects.filter(period=period).exclude(state=VoucherState.POSTED).count()
    if pending:
        raise ValidationError(
            _("%(n)d vouchers of this period are not posted yet: post or delete them before closing.") % {"n": pending},
            code="vouchers_pending",
        )
    period.state = PeriodState.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor
    period.save(update_fields=["state", "closed_at", "closed_by"])
    audit.record(
        actor=actor,
        action=BooksAction.PERIOD_CLOSED,
        target=period,
        client_ref=_client_ref(period.client_id),
        details={"year": period.year, "month": period.month},
    )
    # clientcare: the satisfaction survey (回访) for this month, in the same transaction (mail after commit).
    from clientcare.services import invite_to_survey

    invite_to_survey(period=period, actor=actor)
    return period


@transaction.atomic
def reopen_period(period: AccountingPeriod, *, reason: str, actor: Any) -> AccountingPeriod:
    """Reopening needs the `reopen_periods` capability (a manager) and a reason; it is audited."""
    if not actor.has_perm("accounts.reopen_periods"):
        raise PermissionDenied(_("Only a manager can reopen a closed period."))
    period = AccountingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_closed:
        raise ValidationError(_("This period is open."), code="period_open")
    period.state = PeriodState.OPEN
    period.reopened_at = timezone.now()
    period.reopened_by = actor
    period.reopen_reason = _require_text(reason, label=_("Reason"), max_length=500)
    period.save(update_fields=["state", "reopened_at", "reopened_by", "reopen_reason"])
    audit.record(
        actor=actor,
        action=BooksAction.PERIOD_REOPENED,
        target=period,
        client_ref=_client_ref(period.client_id),
        details={"year": period.year, "month": period.month},
    )
    return period


# --- Vouchers -------------------------------------------------------------------------------------


def _check_one(line: LineInput, accounts: dict[str, Account]) -> tuple[_Line | None, list[tuple[str, str]]]:
    """One line against the rules: (the line, or None) and its problems as (message, code)."""
    problems: list[tuple[str, str]] = []
    account = accounts.get(str(line.account_id))
    if account is None:
        problems.append((_("choose an account of this client (a lowest-level account)."), "account"))
    summary = (line.summary or "").strip()
    if not summary:
        problems.append((_("the summary (摘要) is required."), "summary"))
    elif len(summary) > MAX_SUMMARY:
        problems.append((_("the summary is too long (at most %(max)d characters).") % {"max": MAX_SUMMARY}, "summary"))
    has_debit = line.debit not in (None, "")
    has_credit = line.credit not in (None, "")
    if has_debit and has_credit:
        problems.append((_("a line has either a debit or a credit amount, never both."), "both_sides"))
        return None, problems
    if not has_debit and not has_credit:
        problems.append((_("enter a debit or a credit amount."), "no_amount"))
        return None, problems
    side = Side.DEBIT if has_debit else Side.CREDIT
    try:
        amount = parse_amount(line.debit if has_debit else line.credit)
    except ValidationError as exc:
        problems.append((" ".join(str(m) for m in exc.messages), exc.code or "amount"))
        return None, problems
    if problems or account is None:
        return None, problems
    return _Line(account=account, summary=summary, side=side, amount=amount), problems


def check_line(client_id: uuid.UUID, line: LineInput) -> None:
    """Raise ValidationError with the problems of one line on its own (used by the import)."""
    _line, problems = _check_one(line, {str(a.pk): a for a in postable_accounts(client_id)})
    if problems:
        raise ValidationError([ValidationError(message, code=code) for message, code in problems])


def _validate_lines(client_id: uuid.UUID, lines: Sequence[LineInput]) -> list[_Line]:
    """Every rule a voucher's lines must meet, with one message per problem (all found at once)."""
    if not lines:
        raise ValidationError(_("A voucher needs at least two lines."), code="empty_voucher")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("A voucher has at most %(n)d lines.") % {"n": MAX_LINES}, code="too_many_lines")
    accounts = {str(a.pk): a for a in postable_accounts(client_id)}
    errors: list[ValidationError] = []
    result: list[_Line] = []
    for number, line in enumerate(lines, start=1):
        checked, problems = _check_one(line, accounts)
        for message, code in problems:
            errors.append(ValidationError(_("Line %(n)d: %(problem)s") % {"n": number, "problem": message}, code=code))
        if checked is not None:
            result.append(checked)
    if not errors:
        if len(result) < 2:
            errors.append(ValidationError(_("A voucher needs at least two lines."), code="empty_voucher"))
        debit = sum((line.amount for line in result if line.side == Side.DEBIT), ZERO)
        credit = sum((line.amount for line in result if line.side == Side.CREDIT), ZERO)
        if debit != credit:
            errors.append(
                ValidationError(
                    _("Debits (%(debit)s) do not equal credits (%(credit)s): the voucher is out of balance.")
                    % {"debit": f"{debit:,.2f}", "credit": f"{credit:,.2f}"},
                    code="unbalanced",
                )
            )
    if errors:
        raise ValidationError(errors)
    return result


def _write_lines(voucher: Voucher, lines: Sequence[_Line]) -> None:
    VoucherLine.objects.bulk_create(
        [
            VoucherLine(
                voucher=voucher,
                client_id=voucher.client_id,
                fiscal_year=voucher.fiscal_year,
                position=position,
                account=line.account,
                side=line.side,
                summary=line.summary,
                debit=line.amount if line.side == Side.DEBIT else None,
                credit=line.amount if line.side == Side.CREDIT else None,
            )
            for position, line in enumerate(lines, start=1)
        ]
    )


def _next_number(period: AccountingPeriod) -> int:
    return (Voucher.objects.filter(period=period).aggregate(m=Max("number"))["m"] or 0) + 1


def _check_number(period: AccountingPeriod, number: int, *, exclude: uuid.UUID | None = None) -> None:
    if number < 1 or number > 999_999:
        raise ValidationError(_("Voucher numbers run from 1 to 999999."), code="number_range")
    clash = Voucher.objects.filter(period=period, number=number)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            _("Voucher number 记-%(number)04d already exists in %(period)s.")
            % {"number": number, "period": str(period)},
            code="duplicate_number",
        )


def _check_attachments(count: int) -> int:
    if not 0 <= count <= MAX_ATTACHMENTS:
        raise ValidationError(_("The number of attachments must be between 0 and 9999."), code="attachments")
    return count


def _save_new_voucher(voucher: Voucher) -> None:
    try:
        with transaction.atomic():
            voucher.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent voucher took the number first
        raise ValidationError(
            _("Voucher number 记-%(number)04d already exists in %(period)s.")
            % {"number": voucher.number, "period": str(voucher.period)},
            code="duplicate_number",
        ) from exc


@transaction.atomic
def create_voucher(
    client: Client,
    *,
    date: datetime.date,
    lines: Sequence[LineInput],
    actor: Any,
    attachments_count: int = 0,
    number: int | None = None,
    archive_category: str = ArchiveCategory.JOURNAL_VOUCHER,
) -> Voucher:
    """A draft voucher, numbered next in its period unless a number is given."""
    validated = _validate_lines(client.pk, lines)
    period = _period_for(client.pk, date)
    _refuse_closed(period)
    if number is None:
        number = _next_number(period)
    else:
        _check_number(period, number)
    if archive_category not in ArchiveCategory.values:
        raise ValidationError(_("Choose an archive category."), code="archive_category")
    voucher = Voucher(
        client=client,
        period=period,
        number=number,
        date=date,
        fiscal_year=date.year,
        archive_category=archive_category,
        attachments_count=_check_attachments(attachments_count),
        preparer=actor,
        total=sum((line.amount for line in validated if line.side == Side.DEBIT), ZERO),
    )
    _save_new_voucher(voucher)
    _write_lines(voucher, validated)
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_CREATED,
        target=voucher,
        client_ref=_client_ref(client.pk),
        details={"period": str(period), "number": number, "lines": len(validated), "state": voucher.state},
    )
    return voucher


def _locked(voucher: Voucher) -> Voucher:
    return Voucher.objects.select_for_update().select_related("period").get(pk=voucher.pk)


def _refuse_posted(voucher: Voucher) -> None:
    if voucher.state == VoucherState.POSTED:
        raise ValidationError(
            _("A posted voucher is never changed: correct it with a reversing (red-ink) voucher."), code="posted"
        )


@transaction.atomic
def update_draft_voucher(
    voucher: Voucher,
    *,
    date: datetime.date,
    lines: Sequence[LineInput],
    actor: Any,
    attachments_count: int = 0,
) -> Voucher:
    """Only a draft changes, and only by its preparer (a reviewer returns it instead)."""
    voucher = _locked(voucher)
    _refuse_posted(voucher)
    if voucher.state != VoucherState.DRAFT:
        raise ValidationError(_("Only a draft can be changed: return it to draft first."), code="not_draft")
    if voucher.preparer_id != actor.pk:
        raise ValidationError(_("Only the preparer of a draft can change it."), code="not_preparer")
    if voucher.kind == VoucherKind.REVERSAL:
        raise ValidationError(_("A reversing voucher mirrors the original and cannot be edited."), code="reversal")
    _refuse_closed(voucher.period)
    validated = _validate_lines(voucher.client_id, lines)
    period = _period_for(voucher.client_id, date)
    _refuse_closed(period)
    if period.pk != voucher.period_id:
        voucher.period = period
        voucher.number = _next_number(period)
    if date.year != voucher.fiscal_year:
        # Lines are bound to the fiscal year's key: rewrite them under the new year.
        voucher.fiscal_year = date.year
    voucher.date = date
    voucher.attachments_count = _check_attachments(attachments_count)
    voucher.total = sum((line.amount for line in validated if line.side == Side.DEBIT), ZERO)
    voucher.updated_at = timezone.now()
    voucher.save()
    voucher.lines.all().delete()
    _write_lines(voucher, validated)
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_UPDATED,
        target=voucher,
        client_ref=_client_ref(voucher.client_id),
        details={"period": str(voucher.period), "number": voucher.number, "lines": len(validated)},
    )
    return voucher


@transaction.atomic
def delete_draft_voucher(voucher: Voucher, *, actor: Any) -> None:
    voucher = _locked(voucher)
    _refuse_posted(voucher)
    if voucher.state != VoucherState.DRAFT or voucher.preparer_id != actor.pk:
        raise ValidationError(_("Only the preparer can delete a draft."), code="not_preparer")
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_DELETED,
        target=voucher,
        client_ref=_client_ref(voucher.client_id),
        details={"period": str(voucher.period), "number": voucher.number},
    )
    voucher.delete()


@transaction.atomic
def review_voucher(voucher: Voucher, *, actor: Any) -> Voucher:
    """审核: someone other than the preparer confirms the draft."""
    voucher = _locked(voucher)
    _refuse_posted(voucher)
    if voucher.state != VoucherState.DRAFT:
        raise ValidationError(_("This voucher was already reviewed."), code="not_draft")
    if voucher.preparer_id == actor.pk:
        raise ValidationError(
            _("You prepared this voucher, so someone else must review it."), code="reviewer_is_preparer"
        )
    check_separation(preparer=voucher.preparer_id, reviewer=actor.pk)
    _refuse_closed(voucher.period)
    voucher.state = VoucherState.REVIEWED
    voucher.reviewer = actor
    voucher.reviewed_at = timezone.now()
    voucher.save(update_fields=["state", "reviewer", "reviewed_at"])
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_REVIEWED,
        target=voucher,
        client_ref=_client_ref(voucher.client_id),
        details={"number": voucher.number, "state": voucher.state},
    )
    return voucher


@transaction.atomic
def return_voucher(voucher: Voucher, *, actor: Any) -> Voucher:
    """退回: a reviewed (not yet posted) voucher goes back to draft for its preparer."""
    voucher = _locked(voucher)
    _refuse_posted(voucher)
    if voucher.state != VoucherState.REVIEWED:
        raise ValidationError(_("Only a reviewed voucher can be returned."), code="not_reviewed")
    voucher.state = VoucherState.DRAFT
    voucher.reviewer = None
    voucher.reviewed_at = None
    voucher.save(update_fields=["state", "reviewer", "reviewed_at"])
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_RETURNED,
        target=voucher,
        client_ref=_client_ref(voucher.client_id),
        details={"number": voucher.number, "state": voucher.state},
    )
    return voucher


def _apply_to_balances(voucher: Voucher, lines: Sequence[VoucherLine]) -> None:
    """Add the voucher's movements to its period's account balances and roll later periods forward.

    Runs inside post_voucher's transaction with the client locked, so balances never drift from
    the posted lines.
    """
    period = voucher.period
    moves: dict[uuid.UUID, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        moves[line.account_id][0 if line.side == Side.DEBIT else 1] += line.amount
    rows = {
        b.account_id: b
        for b in AccountBalance.objects.select_for_update().filter(
            client_id=voucher.client_id, period=period, account_id__in=list(moves)
        )
    }
    missing = [account_id for account_id in moves if account_id not in rows]
    previous: dict[uuid.UUID, AccountBalance] = {}
    if missing:
        for row in AccountBalance.objects.filter(
            client_id=voucher.client_id, account_id__in=missing, period_key__lt=period.key
        ).order_by("period_key"):
            previous[row.account_id] = row  # the latest earlier period wins; only its closing is decrypted
    for account_id, (debit, credit) in moves.items():
        existing = rows.get(account_id)
        if existing is not None:
            row = existing
        else:
            opening = previous[account_id].closing if account_id in previous else ZERO
            row = AccountBalance(
                client_id=voucher.client_id,
                account_id=account_id,
                period=period,
                fiscal_year=period.year,
                period_key=period.key,
                opening=opening,
                debit=ZERO,
                credit=ZERO,
                closing=opening,
            )
        row.debit = row.debit + debit
        row.credit = row.credit + credit
        row.closing = row.opening + row.debit - row.credit
        row.save()
    for row in AccountBalance.objects.select_for_update().filter(
        client_id=voucher.client_id, account_id__in=list(moves), period_key__gt=period.key
    ):
        debit, credit = moves[row.account_id]
        row.opening = row.opening + debit - credit
        row.closing = row.closing + debit - credit
        row.save(update_fields=["opening", "closing"])


@transaction.atomic
def post_voucher(voucher: Voucher, *, actor: Any) -> Voucher:
    """记账: a reviewed voucher enters the books; its period's balances change in the same transaction."""
    # Lock order: client, period, voucher. Posting and closing serialise on the period row.
    Client.objects.select_for_update().filter(pk=voucher.client_id).first()
    AccountingPeriod.objects.select_for_update().filter(pk=voucher.period_id).first()
    voucher = _locked(voucher)
    _refuse_posted(voucher)
    if voucher.state != VoucherState.REVIEWED:
        raise ValidationError(_("A voucher must be reviewed before it is posted."), code="not_reviewed")
    check_separation(preparer=voucher.preparer_id, reviewer=voucher.reviewer_id, poster=actor.pk)
    _refuse_closed(voucher.period)
    lines = list(voucher.lines.all())
    debit = sum((line.amount for line in lines if line.side == Side.DEBIT), ZERO)
    credit = sum((line.amount for line in lines if line.side == Side.CREDIT), ZERO)
    if debit != credit or len(lines) < 2:
        raise ValidationError(_("The voucher is out of balance and cannot be posted."), code="unbalanced")
    _apply_to_balances(voucher, lines)
    voucher.state = VoucherState.POSTED
    voucher.poster = actor
    voucher.posted_at = timezone.now()
    voucher.save(update_fields=["state", "poster", "posted_at"])
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_POSTED,
        target=voucher,
        client_ref=_client_ref(voucher.client_id),
        details={"period": str(voucher.period), "number": voucher.number, "lines": len(lines)},
    )
    # Its source documents are now in the books (status "booked", each audited).
    from clients.documents import book_documents_of_voucher

    book_documents_of_voucher(voucher=voucher, actor=actor)
    return voucher


@transaction.atomic
def reverse_voucher(voucher: Voucher, *, actor: Any, date: datetime.date | None = None) -> Voucher:
    """红字冲销: a draft voucher with the same accounts and sides and negated amounts.

    It goes through review and posting like any voucher; the original stays as it was.
    """
    voucher = _locked(voucher)
    if voucher.state != VoucherState.POSTED:
        raise ValidationError(
            _("Only a posted voucher is reversed; change or delete a draft instead."), code="not_posted"
        )
    if voucher.kind == VoucherKind.REVERSAL:
        raise ValidationError(_("A reversing voucher is not reversed again: enter a new voucher."), code="reversal")
    if Voucher.objects.filter(reverses=voucher).exists():
        raise ValidationError(_("This voucher has already been reversed."), code="already_reversed")
    date = date or timezone.localdate()
    period = _period_for(voucher.client_id, date)
    _refuse_closed(period)
    originals = list(voucher.lines.select_related("account"))
    reversal = Voucher(
        client_id=voucher.client_id,
        period=period,
        number=_next_number(period),
        date=date,
        fiscal_year=date.year,
        archive_category=voucher.archive_category,
        kind=VoucherKind.REVERSAL,
        reverses=voucher,
        preparer=actor,
        total=-(voucher.total or ZERO),
    )
    _save_new_voucher(reversal)
    _write_lines(
        reversal,
        [
            _Line(
                account=line.account,
                summary=f"冲销{voucher.period}记-{voucher.number:04d}:{line.summary}"[:MAX_SUMMARY],
                side=line.side,
                amount=-line.amount,
            )
            for line in originals
        ],
    )
    audit.record(
        actor=actor,
        action=BooksAction.VOUCHER_REVERSED,
        target=reversal,
        client_ref=_client_ref(voucher.client_id),
        details={"reverses": str(voucher.pk), "number": reversal.number, "lines": len(originals)},
    )
    return reversal


# --- Documents ------------------------------------------------------------------------------------


@transaction.atomic
def record_document(
    client: Client,
    *,
    title: str,
    fiscal_year: int,
    archive_category: str,
    actor: Any,
    voucher: Voucher | None = None,
    original_name: str = "",
    content_type: str = "",
    size: int = 0,
    stored_file_id: uuid.UUID | None = None,
) -> Document:
    """Record a document's metadata (the encrypted file is stored by confidentiality.files)."""
    if archive_category not in ArchiveCategory.values:
        raise ValidationError(_("Choose an archive category."), code="archive_category")
    if not MIN_YEAR <= fiscal_year <= MAX_YEAR:
        raise ValidationError(_("Choose a fiscal year."), code="fiscal_year")
    if voucher is not None and voucher.client_id != client.pk:
        raise ValidationError(_("The voucher belongs to another client."), code="voucher")
    document = Document.objects.create(
        client=client,
        voucher=voucher,
        fiscal_year=fiscal_year,
        archive_category=archive_category,
        title=_require_text(title, label=_("Title")),
        original_name=_require_text(original_name, label=_("File name"), required=False),
        content_type=content_type[:100],
        size=size,
        stored_file_id=stored_file_id,
        uploaded_by=actor,
    )
    audit.record(
        actor=actor,
        action=BooksAction.DOCUMENT_RECORDED,
        target=document,
        client_ref=_client_ref(client.pk),
        details={
            "fiscal_year": fiscal_year,
            "archive_category": archive_category,
            "voucher": str(voucher.pk) if voucher else "",
            "size": size,
        },
    )
    return document


# --- Employees' personal data for payroll (retention2 slice) -----------------------------------------


@transaction.atomic
def record_employee(engagement: Engagement, *, name: str, id_number: str, bank_account: str, actor: Any) -> Employee:
    """An employee of the client, held for this engagement only (encrypted under the engagement's
    employee key, which engagement end crypto-shreds unless a retention duty applies).

    The ID number must be a valid resident ID number (GB 11643 check character) and the bank
    account, if given, 8 to 30 digits; both are stored normalised (spaces removed, upper-case X).
    """
    if engagement.state != EngagementState.ACTIVE:
        raise ValidationError(_("Employees are recorded only during an active engagement."), code="engagement")
    employee = Employee(
        client_id=engagement.client_id,
        engagement=engagement,
        name=_require_text(name, label=_("Employee name")),
        id_number=validate_id_number(id_number),
        bank_account=validate_bank_account(bank_account) if (bank_account or "").strip() else "",
    )
    employee.save()
    audit.record(
        actor=actor,
        action=BooksAction.EMPLOYEE_RECORDED,
        target=employee,
        client_ref=_client_ref(engagement.client_id),
        details={"engagement": str(engagement.pk)},
    )
    return employee


@transaction.atomic
def remove_employee(employee: Employee, *, actor: Any) -> None:
    """An employee who left the client: their row is deleted, not flagged.

    PIPL Art. 19 and 47 (minimisation): once the person is off the client's payroll, the firm no
    longer needs their ID number or bank account for the engagement, so it keeps nothing of them
    (the payroll vouchers already booked are the accounting record). Copies in backups stay
    unreadable once the engagement's employee key is destroyed at its end. The audit row names
    ids only. Employees of an engagement that is no longer active are kept as they are, for its
    handover or its retention lock.
    """
    engagement = Engagement.objects.select_for_update().get(pk=employee.engagement_id)
    if engagement.state != EngagementState.ACTIVE:
        raise ValidationError(
            _("Employees of an engagement that is no longer active are kept for its handover."), code="engagement"
        )
    employee_id = employee.pk
    audit.record(
        actor=actor,
        action=BooksAction.EMPLOYEE_REMOVED,
        target=employee,
        client_ref=_client_ref(employee.client_id),
        details={"engagement": str(engagement.pk)},
    )
    Employee.objects.filter(pk=employee_id).delete()
