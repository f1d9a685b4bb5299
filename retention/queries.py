"""Reads of retention state, for other slices and for the pages here."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from accounts.models import User
from retention.models import (
    AppraisalBatch,
    BatchState,
    DestructionList,
    ListState,
    ProcessingLock,
    SignOffSlot,
    SlotPurpose,
)


def is_locked(client_id: uuid.UUID | str, *, category: str = "", fiscal_year: int | None = None) -> bool:
    """Whether a client's records (or one volume) are locked under PIPL Art. 47: storage and security
    only, visible to the archivist alone. For the access layer to ask before showing them."""
    locks = ProcessingLock.objects.filter(client_id=client_id)
    whole = locks.filter(category="", fiscal_year__isnull=True)
    volume = locks.filter(
        Q(category=category) | Q(category=""), Q(fiscal_year=fiscal_year) | Q(fiscal_year__isnull=True)
    )
    return whole.exists() or (bool(category) and volume.exists())


def describe_hold_reasons(codes: list[str]) -> list[str]:
    """Why a volume is held, in words (the codes keep ids only, never plaintext)."""
    from django.utils.translation import gettext as _

    from retention.models import HoldKind

    kinds = dict(HoldKind.choices)
    account_ids = [code.split(":", 1)[1] for code in codes if code.startswith("open_balance:")]
    codes_of: dict[str, str] = {}
    if account_ids:
        from clients.models import Account

        codes_of = {str(pk): code for pk, code in Account.objects.filter(pk__in=account_ids).values_list("pk", "code")}
    described = []
    for code in codes:
        kind, _sep, rest = code.partition(":")
        if kind == "hold":
            described.append(_("Hold: %(kind)s") % {"kind": kinds.get(rest.split(":", 1)[0], rest)})
        elif kind == "open_balance":
            described.append(_("Unsettled balance on account %(code)s") % {"code": codes_of.get(rest, "?")})
        elif kind == "open_matter":
            described.append(_("Open matter flagged in the books"))
        else:
            described.append(code)
    return described


def batches_to_appraise(user: User) -> QuerySet[AppraisalBatch]:
    if not user.has_perm("accounts.manage_retention"):
        return AppraisalBatch.objects.none()
    return AppraisalBatch.objects.filter(state=BatchState.OPEN)


def lists_needing_supervisors(user: User) -> list[DestructionList]:
    from retention.services import missing_supervisors

    if not user.has_perm("accounts.manage_retention"):
        return []
    return [d for d in DestructionList.objects.filter(state=ListState.SIGNING) if missing_supervisors(d)]


def lists_to_sign(user: User) -> list[tuple[DestructionList, list[SignOffSlot]]]:
    """Lists awaiting a signature this person may give (their role, not preparer, not yet signed)."""
    from retention.services import missing_signatures

    if not user.has_perm("accounts.sign_destruction"):
        return []
    found = []
    for dlist in DestructionList.objects.filter(state=ListState.SIGNING).exclude(prepared_by=user):
        if dlist.signatures.filter(signer=user).exists():
            continue
        slots = [slot for slot in missing_signatures(dlist) if user.has_role(slot.staff_role)]
        if slots:
            found.append((dlist, slots))
    return found


def lists_to_confirm(user: User) -> QuerySet[DestructionList]:
    return DestructionList.objects.filter(
        state=ListState.EXECUTED, supervisions__supervisor=user, supervisions__confirmed_at__isnull=True
    )


def supervisor_candidates(slot: SignOffSlot) -> list[User]:
    if slot.purpose != SlotPurpose.SUPERVISE:
        return []
    return [
        u for u in User.objects.filter(kind="staff", is_active=True, groups__name=slot.staff_role).order_by("username")
    ]
