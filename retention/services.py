"""Every state change of retention: schedule, holds, appraisal, sign-off, execution, confirmation."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from confidentiality.keyscope import KeyScope
from retention import shredding
from retention.models import (
    AppraisalBatch,
    AppraisalItem,
    BatchState,
    Decision,
    DestructionList,
    DestructionRun,
    Extension,
    FixedAsset,
    Hold,
    HoldKind,
    ListState,
    OpenMatter,
    RetentionAction,
    RetentionRule,
    RunState,
    Signature,
    SignOffSlot,
    SlotPurpose,
    Supervision,
    VolumeProgress,
)
from retention.schedule import Category, RetentionError, check_period, legal_minimum, retention_end
from retention.sources import OPEN_MATTER_CHECKS, Volume, all_sources, source_named

logger = logging.getLogger(__name__)


class RetentionRefused(ValidationError):  # noqa: N818 - reads as what happened to the request
    """A request the procedure does not allow; the message says why, in the user's language."""


# --- The schedule -------------------------------------------------------------------------------


def period_years(category: str) -> int | None:
    """The firm's period for `category` (None = permanent): its rule, else the legal minimum."""
    rule = RetentionRule.objects.filter(category=category).first()
    if rule is not None:
        return rule.years
    return legal_minimum(category).years


@transaction.atomic
def set_retention_period(*, category: str, years: int | None, actor: User) -> RetentionRule:
    """Lengthen (or restore) the firm's period; never below the legal minimum."""
    try:
        check_period(category, years)
    except RetentionError as exc:
        minimum = legal_minimum(category).years if category in _known() else None
        raise RetentionRefused(
            _("The period cannot be shorter than the legal minimum (%(min)s).")
            % {"min": _("permanent") if minimum is None else _("%(n)d years") % {"n": minimum}}
        ) from exc
    rule, _created = RetentionRule.objects.select_for_update().get_or_create(category=category)
    before = rule.years
    rule.years = years
    rule.changed_by = actor
    rule.changed_at = timezone.now()
    rule.save()
    audit.record(
        actor=actor,
        action=RetentionAction.PERIOD_CHANGED,
        target=rule,
        details={"category": category, "before": before, "after": years},
    )
    return rule


def _known() -> set[str]:
    from retention.schedule import LEGAL_MINIMUM

    return set(LEGAL_MINIMUM)


def volume_end(volume: Volume) -> dt.date | None:
    """When a volume may be appraised for destruction: its period, or a longer appraisal extension."""
    end = retention_end(
        volume.category, volume.fiscal_year, scrapped_on=volume.scrapped_on, years=period_years(volume.category)
    )
    if end is None:
        return None
    extension = (
        Extension.objects.filter(scope_owner=volume.scope.owner, scope_year=volume.scope.year)
        .order_by("-keep_until")
        .first()
    )
    if extension is not None and extension.keep_until > end:
        return extension.keep_until
    return end


# --- Holds --------------------------------------------------------------------------------------


@transaction.atomic
def place_hold(
    *,
    client: Any,
    kind: str,
    reason: str,
    actor: User,
    until: dt.date | None = None,
    fiscal_year: int | None = None,
    category: str = "",
) -> Hold:
    if kind not in HoldKind.values:
        raise RetentionRefused(_("Choose the kind of hold."))
    if not reason.strip():
        raise RetentionRefused(_("Say why the records are held."))
    if until is not None and until < timezone.localdate():
        raise RetentionRefused(_("A hold cannot end in the past."))
    if fiscal_year is not None and not 1900 <= fiscal_year <= 2200:
        raise RetentionRefused(_("Give a fiscal year between 1900 and 2200, or none for every year."))
    if category and category not in Category.values:
        raise RetentionRefused(_("Choose an archive category from the list, or none for every category."))
    hold = Hold(
        client=client,
        kind=kind,
        reason=reason.strip(),
        until=until,
        fiscal_year=fiscal_year,
        category=category,
        placed_by=actor,
    )
    hold.save()
    audit.record(
        actor=actor,
        action=RetentionAction.HOLD_PLACED,
        target=hold,
        client_ref=str(client.pk),
        details={"kind": kind, "fiscal_year": fiscal_year, "category": category, "until": str(until or "")},
    )
    regroup_open_appraisals(client_id=client.pk)
    return hold


@transaction.atomic
def release_hold(hold: Hold, *, actor: User) -> Hold:
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.save(update_fields=["released_at", "released_by"])
        audit.record(actor=actor, action=RetentionAction.HOLD_RELEASED, target=hold, client_ref=str(hold.client_id))
        regroup_open_appraisals(client_id=hold.client_id)
    return hold


def regroup_open_appraisals(*, client_id: Any, today: dt.date | None = None) -> int:
    """After a hold or an open matter changes: a client's volumes in appraisals still open move to
    `held` (listed apart, never destroyed) or back to `pending` (to be decided again). Returns how
    many items moved. Volumes already on a destruction list are checked again at execution."""
    today = today or timezone.localdate()
    moved = 0
    items = AppraisalItem.objects.select_for_update().filter(client_id=client_id, batch__state=BatchState.OPEN)
    for item in items:
        volume = Volume(item.source, item.client_id, item.category, item.fiscal_year, item.scope, item.record_count)
        reasons = hold_reasons(volume, today=today)
        if reasons and (item.decision != Decision.HELD or item.hold_reasons != reasons):
            item.decision, item.hold_reasons, item.new_period_years = Decision.HELD, reasons, None
        elif not reasons and item.decision == Decision.HELD:
            item.decision, item.hold_reasons = Decision.PENDING, []
        else:
            continue
        item.save(update_fields=["decision", "hold_reasons", "new_period_years"])
        moved += 1
    return moved


@transaction.atomic
def flag_open_matter(*, client: Any, fiscal_year: int, note: str, actor: User, voucher: Any = None) -> OpenMatter:
    """未了事项: staff flag a voucher (or a whole fiscal year) as not settled; its records are held
    until the matter is closed. The note is encrypted; the audit keeps only ids and the year."""
    if voucher is not None:
        if voucher.client_id != client.pk:
            raise RetentionRefused(_("This voucher belongs to another client."))
        fiscal_year = voucher.fiscal_year
    if not 1900 <= fiscal_year <= 2200:
        raise RetentionRefused(_("Give a fiscal year between 1900 and 2200."))
    if not note.strip():
        raise RetentionRefused(_("Say what is still open."))
    matter = OpenMatter(
        client=client,
        fiscal_year=fiscal_year,
        voucher_id=voucher.pk if voucher is not None else None,
        note=note.strip()[:2000],
        flagged_by=actor,
    )
    matter.save()
    audit.record(
        actor=actor,
        action=RetentionAction.OPEN_MATTER_FLAGGED,
        target=matter,
        client_ref=str(client.pk),
        details={"fiscal_year": fiscal_year, "voucher": str(matter.voucher_id or "")},
    )
    regroup_open_appraisals(client_id=client.pk)
    return matter


@transaction.atomic
def close_open_matter(matter: OpenMatter, *, actor: User) -> OpenMatter:
    """The matter is settled: its records follow their retention period again. Idempotent."""
    matter = OpenMatter.objects.select_for_update().get(pk=matter.pk)
    if matter.closed_at is None:
        matter.closed_at = timezone.now()
        matter.closed_by = actor
        matter.save(update_fields=["closed_at", "closed_by"])
        audit.record(
            actor=actor,
            action=RetentionAction.OPEN_MATTER_CLOSED,
            target=matter,
            client_ref=str(matter.client_id),
            details={"fiscal_year": matter.fiscal_year},
        )
        regroup_open_appraisals(client_id=matter.client_id)
    return matter


def hold_reasons(volume: Volume, *, today: dt.date) -> list[str]:
    """Why a volume must not be destroyed now (codes, never plaintext); empty when it may be."""
    reasons: list[str] = []
    manual = Hold.objects.filter(client_id=volume.client_id, released_at__isnull=True).only(
        "id", "fiscal_year", "category", "until", "kind"
    )
    for hold in manual:
        if hold.until is not None and hold.until < today:
            continue
        if hold.fiscal_year is not None and hold.fiscal_year != volume.fiscal_year:
            continue
        if hold.category and hold.category != volume.category:
            continue
        reasons.append(f"hold:{hold.kind}:{hold.pk}")
    for check in OPEN_MATTER_CHECKS:
        reasons.extend(check(volume, today=today))
    return reasons


# --- Appraisal ----------------------------------------------------------------------------------


def expired_volumes(*, today: dt.date) -> list[tuple[Volume, dt.date]]:
    """Volumes past their retention (and extensions) whose keys still exist."""
    from retention.models import Handover, HandoverState

    # The firm's copy of archives handed over to a client who keeps them goes after the grace period.
    handed_over = dict(
        Handover.objects.filter(
            state=HandoverState.RECEIVED, firm_keeps_archives=False, delete_after__lt=today
        ).values_list("client_id", "delete_after")
    )
    found = []
    for source in all_sources():
        for volume in source.volumes():
            end = volume_end(volume)
            if volume.client_id in handed_over:
                end = handed_over[volume.client_id]
            if end is not None and today > end:
                found.append((volume, end))
    return found


def _in_flight(scope: KeyScope) -> bool:
    """A volume already in a batch still open, or on a list not yet executed."""
    items = AppraisalItem.objects.filter(scope_owner=scope.owner, scope_year=scope.year)
    if items.filter(batch__state=BatchState.OPEN).exists():
        return True
    return items.filter(
        decision=Decision.DESTROY,
        batch__destruction_list__state__in=[ListState.SIGNING, ListState.APPROVED, ListState.EXECUTING],
    ).exists()


def _next_number(prefix: str, model: Any, today: dt.date) -> str:
    stem = f"{prefix}-{today:%Y%m%d}-"
    taken = model.objects.filter(number__startswith=stem).count()
    return f"{stem}{taken + 1:03d}"


@transaction.atomic
def open_appraisal(*, today: dt.date | None = None, actor: User | None = None) -> AppraisalBatch | None:
    """The daily job: gather volumes past retention into a new appraisal batch (None if there are none).

    Held volumes join the batch set apart (decision `held`), so the opinion lists them.
    """
    today = today or timezone.localdate()
    candidates = [(v, end) for v, end in expired_volumes(today=today) if not _in_flight(v.scope)]
    if not candidates:
        return None
    batch = AppraisalBatch.objects.create(number=_next_number("JD", AppraisalBatch, today), as_of=today)
    for volume, end in candidates:
        reasons = hold_reasons(volume, today=today)
        AppraisalItem.objects.create(
            batch=batch,
            client_id=volume.client_id,
            category=volume.category,
            fiscal_year=volume.fiscal_year,
            scope_owner=volume.scope.owner,
            scope_year=volume.scope.year,
            source=volume.source,
            record_count=volume.record_count,
            period_years=period_years(volume.category) or 0,
            retention_end=end,
            decision=Decision.HELD if reasons else Decision.PENDING,
            hold_reasons=reasons,
        )
    audit.record(
        actor=actor,
        action=RetentionAction.APPRAISAL_OPENED,
        target=batch,
        details={"volumes": len(candidates), "held": batch.items.filter(decision=Decision.HELD).count()},
    )
    return batch


@transaction.atomic
def appraise_item(item: AppraisalItem, *, decision: str, actor: User, new_period_years: int | None = None) -> None:
    """The archivist's decision on one volume: destroy, or keep with a new (longer) period."""
    item = AppraisalItem.objects.select_for_update().select_related("batch").get(pk=item.pk)
    if item.batch.state != BatchState.OPEN:
        raise RetentionRefused(_("This appraisal is already closed."))
    if item.decision == Decision.HELD:
        raise RetentionRefused(_("Held records are never destroyed; release the hold first."))
    if decision == Decision.DESTROY:
        item.new_period_years = None
    elif decision == Decision.EXTEND:
        if new_period_years is None or new_period_years <= item.period_years:
            raise RetentionRefused(_("A new period must be longer than the current one."))
        if new_period_years > 200:
            raise RetentionRefused(_("Give a period of at most 200 years."))
        item.new_period_years = new_period_years
    else:
        raise RetentionRefused(_("Choose destroy or keep longer."))
    item.decision = decision
    item.save(update_fields=["decision", "new_period_years"])
    audit.record(
        actor=actor,
        action=RetentionAction.ITEM_APPRAISED,
        target=item,
        client_ref=str(item.client_id),
        details={"batch": str(item.batch_id), "decision": decision, "new_period_years": new_period_years},
    )


@transaction.atomic
def issue_appraisal_opinion(batch: AppraisalBatch, *, actor: User, electronic: bool = True) -> DestructionList | None:
    """Close the appraisal: the 鉴定意见书 is issued, extensions take effect, and the volumes to
    destroy form a destruction list prepared by `actor` (who therefore may not sign it)."""
    from retention import registers

    batch = AppraisalBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != BatchState.OPEN:
        raise RetentionRefused(_("This appraisal is already closed."))
    if not actor.has_perm("accounts.manage_retention"):
        raise RetentionRefused(_("Only the archivist issues the appraisal opinion."))
    items = list(batch.items.all())
    if any(item.decision == Decision.PENDING for item in items):
        raise RetentionRefused(_("Decide every item before issuing the opinion."))
    for item in items:
        if item.decision == Decision.EXTEND:
            assert item.new_period_years is not None
            Extension.objects.create(
                scope_owner=item.scope_owner,
                scope_year=item.scope_year,
                keep_until=dt.date(item.retention_end.year - item.period_years + item.new_period_years, 12, 31),
                item=item,
            )
    batch.state = BatchState.APPRAISED
    batch.appraised_by = actor
    batch.appraised_at = timezone.now()
    batch.save(update_fields=["state", "appraised_by", "appraised_at"])
    registers.issue_appraisal_opinion(batch, actor=actor)
    audit.record(actor=actor, action=RetentionAction.APPRAISAL_ISSUED, target=batch)
    to_destroy = [item for item in items if item.decision == Decision.DESTROY]
    if not to_destroy:
        return None
    if not SignOffSlot.objects.filter(purpose=SlotPurpose.SIGN, active=True).exists() or not (
        SignOffSlot.objects.filter(purpose=SlotPurpose.SUPERVISE, active=True).exists()
    ):
        # Without configured signers a list would approve itself: refuse instead.
        raise RetentionRefused(_("No sign-off roles are configured for destruction lists."))
    for number, item in enumerate(sorted(to_destroy, key=lambda i: (i.fiscal_year, i.category)), start=1):
        item.volume_no = number
        item.save(update_fields=["volume_no"])
    dlist = DestructionList.objects.create(
        batch=batch,
        number=_next_number("XH", DestructionList, timezone.localdate()),
        electronic=electronic,
        prepared_by=actor,
    )
    audit.record(actor=actor, action=RetentionAction.LIST_PREPARED, target=dlist, details={"volumes": len(to_destroy)})
    return dlist


# --- Sign-off -----------------------------------------------------------------------------------


def required_slots(dlist: DestructionList, purpose: str) -> list[SignOffSlot]:
    slots = SignOffSlot.objects.filter(purpose=purpose, active=True)
    return [slot for slot in slots if dlist.electronic or not slot.electronic_only]


def missing_signatures(dlist: DestructionList) -> list[SignOffSlot]:
    signed = set(dlist.signatures.values_list("slot_id", flat=True))
    return [slot for slot in required_slots(dlist, SlotPurpose.SIGN) if slot.code not in signed]


def missing_supervisors(dlist: DestructionList) -> list[SignOffSlot]:
    assigned = set(dlist.supervisions.values_list("slot_id", flat=True))
    return [slot for slot in required_slots(dlist, SlotPurpose.SUPERVISE) if slot.code not in assigned]


def _slot(dlist: DestructionList, code: str, purpose: str) -> SignOffSlot:
    for slot in required_slots(dlist, purpose):
        if slot.code == code:
            return slot
    raise RetentionRefused(_("This list needs no such signature."))


@transaction.atomic
def sign_destruction_list(dlist: DestructionList, *, slot_code: str, actor: User) -> Signature:
    """Sign one slot. Each slot by a distinct person holding its role, never the list's preparer."""
    dlist = DestructionList.objects.select_for_update().get(pk=dlist.pk)
    if dlist.state != ListState.SIGNING:
        raise RetentionRefused(_("This list is no longer awaiting signatures."))
    slot = _slot(dlist, slot_code, SlotPurpose.SIGN)
    if actor.pk == dlist.prepared_by_id:
        raise RetentionRefused(_("The preparer of the list may not sign it."))
    if not actor.has_role(slot.staff_role) or not actor.has_perm("accounts.sign_destruction"):
        raise RetentionRefused(_("You do not hold the role this signature needs."))
    if dlist.signatures.filter(signer=actor).exists():
        raise RetentionRefused(_("You have already signed this list; each signature needs a different person."))
    if dlist.signatures.filter(slot=slot).exists():
        raise RetentionRefused(_("This signature has already been given."))
    signature = Signature.objects.create(destruction_list=dlist, slot=slot, signer=actor)
    audit.record(actor=actor, action=RetentionAction.LIST_SIGNED, target=dlist, details={"slot": slot.code})
    _approve_if_complete(dlist, actor=actor)
    return signature


@transaction.atomic
def assign_supervisor(dlist: DestructionList, *, slot_code: str, supervisor: User, actor: User) -> Supervision:
    """Assign a 监销人: a distinct person of the slot's role, not the list's preparer."""
    dlist = DestructionList.objects.select_for_update().get(pk=dlist.pk)
    if dlist.state != ListState.SIGNING:
        raise RetentionRefused(_("Supervisors are assigned before the list is approved."))
    if not actor.has_perm("accounts.manage_retention"):
        raise RetentionRefused(_("Only the archivist assigns supervisors."))
    slot = _slot(dlist, slot_code, SlotPurpose.SUPERVISE)
    if supervisor.pk == dlist.prepared_by_id:
        raise RetentionRefused(_("The preparer of the list may not supervise it."))
    if not supervisor.has_role(slot.staff_role):
        raise RetentionRefused(_("That person does not hold the role this supervision needs."))
    if dlist.supervisions.filter(supervisor=supervisor).exists():
        raise RetentionRefused(_("Each supervisor must be a different person."))
    Supervision.objects.filter(destruction_list=dlist, slot=slot).delete()
    supervision = Supervision.objects.create(
        destruction_list=dlist, slot=slot, supervisor=supervisor, assigned_by=actor
    )
    audit.record(
        actor=actor,
        action=RetentionAction.SUPERVISOR_ASSIGNED,
        target=dlist,
        details={"slot": slot.code, "supervisor": supervisor.pk},
    )
    _approve_if_complete(dlist, actor=actor)
    return supervision


def _approve_if_complete(dlist: DestructionList, *, actor: User) -> None:
    if missing_signatures(dlist) or missing_supervisors(dlist):
        return
    dlist.state = ListState.APPROVED
    dlist.approved_at = timezone.now()
    dlist.save(update_fields=["state", "approved_at"])
    audit.record(actor=actor, action=RetentionAction.LIST_APPROVED, target=dlist)
    list_id = str(dlist.pk)
    transaction.on_commit(lambda: _enqueue_execution(list_id))


def _enqueue_execution(list_id: str) -> None:
    from retention.tasks import execute_destruction_list

    execute_destruction_list.delay(list_id)


@transaction.atomic
def confirm_destruction(dlist: DestructionList, *, actor: User) -> Supervision:
    """A supervisor confirms after execution; the list is confirmed when every supervisor has."""
    dlist = DestructionList.objects.select_for_update().get(pk=dlist.pk)
    if dlist.state not in (ListState.EXECUTED, ListState.CONFIRMED):
        raise RetentionRefused(_("The destruction has not been executed yet."))
    supervision = dlist.supervisions.filter(supervisor=actor).first()
    if supervision is None:
        raise RetentionRefused(_("You are not a supervisor of this destruction."))
    if supervision.confirmed_at is None:
        supervision.confirmed_at = timezone.now()
        supervision.save(update_fields=["confirmed_at"])
        audit.record(actor=actor, action=RetentionAction.CONFIRMED, target=dlist, details={"slot": supervision.slot_id})
    if not dlist.supervisions.filter(confirmed_at__isnull=True).exists() and dlist.state == ListState.EXECUTED:
        dlist.state = ListState.CONFIRMED
        dlist.confirmed_at = timezone.now()
        dlist.save(update_fields=["state", "confirmed_at"])
    return supervision


# --- Execution ----------------------------------------------------------------------------------


def _lease_seconds() -> int:
    return int(settings.FIRMPORTAL_RETENTION_LEASE_SECONDS)


def _take_lease(list_id: uuid.UUID | str, token: uuid.UUID) -> DestructionRun | None:
    """Start or resume the run of an approved list, unless another live worker holds it."""
    with transaction.atomic():
        dlist = DestructionList.objects.select_for_update().get(pk=list_id)
        now = timezone.now()
        if dlist.state in (ListState.EXECUTED, ListState.CONFIRMED, ListState.SIGNING):
            return None
        run, created = DestructionRun.objects.select_for_update().get_or_create(destruction_list=dlist)
        if not created and run.lease_until is not None and run.lease_until > now and run.lease_token != token:
            return None  # a live worker has it
        resumed = dlist.state == ListState.EXECUTING
        dlist.state = ListState.EXECUTING
        dlist.save(update_fields=["state"])
        run.attempts += 1
        run.lease_token = token
        run.lease_until = now + dt.timedelta(seconds=_lease_seconds())
        run.save(update_fields=["attempts", "lease_token", "lease_until"])
        audit.record(
            actor=None,
            action=RetentionAction.EXECUTION_RESUMED if resumed else RetentionAction.EXECUTION_STARTED,
            target=dlist,
            details={"attempt": run.attempts},
        )
        return run


def _renew(run: DestructionRun, token: uuid.UUID) -> None:
    """Renew the lease; if another worker took the run over, stop at once."""
    updated = DestructionRun.objects.filter(pk=run.pk, lease_token=token).update(
        lease_until=timezone.now() + dt.timedelta(seconds=_lease_seconds())
    )
    if not updated:
        raise LeaseLostError(run.pk)


class LeaseLostError(Exception):
    pass


def execute_destruction(list_id: uuid.UUID | str) -> bool:
    """Carry out an approved list; idempotent and resumable. Returns True when this call finished it.

    For each volume: (1) destroy its data key (crypto-shredding: from then on no copy of its rows,
    in this database or any backup, decrypts), recorded with the audit row in one transaction;
    (2) delete its files, dependent rows, object permissions and rows in short batches. A volume
    held since the list was signed is kept and recorded so. At the end, the 销毁清册 and the
    destruction certificate are issued once (a unique constraint says so, under the list's lock).
    """
    token = uuid.uuid4()
    run = _take_lease(list_id, token)
    if run is None:
        return False
    dlist = run.destruction_list
    batch_size = int(settings.FIRMPORTAL_RETENTION_BATCH_SIZE)
    pause = int(settings.FIRMPORTAL_RETENTION_BATCH_PAUSE_MS) / 1000
    today = timezone.localdate()
    for item in dlist.items().order_by("volume_no"):
        progress, _created = VolumeProgress.objects.get_or_create(run=run, item=item)
        if progress.done_at is not None:
            continue
        if progress.key_destroyed_at is None:
            volume = Volume(item.source, item.client_id, item.category, item.fiscal_year, item.scope, item.record_count)
            reasons = hold_reasons(volume, today=today)
            if reasons:
                _skip_held(item, progress, reasons)
                continue
            _destroy_key(item, progress)
        _delete_rows(item, progress, run=run, token=token, batch_size=batch_size, pause=pause)
    return _finish(dlist.pk, run, token)


@transaction.atomic
def _skip_held(item: AppraisalItem, progress: VolumeProgress, reasons: list[str]) -> None:
    item.decision = Decision.HELD
    item.hold_reasons = reasons
    item.save(update_fields=["decision", "hold_reasons"])
    progress.done_at = timezone.now()
    progress.save(update_fields=["done_at"])
    audit.record(actor=None, action=RetentionAction.VOLUME_SKIPPED, target=item, client_ref=str(item.client_id))


@transaction.atomic
def _destroy_key(item: AppraisalItem, progress: VolumeProgress) -> None:
    progress = VolumeProgress.objects.select_for_update().get(pk=progress.pk)
    if progress.key_destroyed_at is not None:
        return
    destroyed = shredding.destroy_scope(item.scope, reason=f"destruction list {item.batch_id}")
    progress.key_destroyed_at = timezone.now()
    progress.save(update_fields=["key_destroyed_at"])
    audit.record(
        actor=None,
        action=RetentionAction.VOLUME_KEY_DESTROYED,
        target=item,
        client_ref=str(item.client_id),
        details={"scope": item.scope.label, "keys": destroyed},
    )


def _delete_rows(
    item: AppraisalItem,
    progress: VolumeProgress,
    *,
    run: DestructionRun,
    token: uuid.UUID,
    batch_size: int,
    pause: float,
    timings: list[float] | None = None,
) -> None:
    """Delete a destroyed volume's rows in short transactions (`timings` gets each one's seconds)."""
    source = source_named(item.source)
    model = source.rows(item.scope).model
    content_type = ContentType.objects.get_for_model(model)
    while True:
        started = time.perf_counter()
        with transaction.atomic():
            pks = list(source.rows(item.scope).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            for name in source.files(pks):
                default_storage.delete(name)
            for label, fk in source.unlink():
                apps.get_model(label)._default_manager.filter(**{f"{fk}__in": pks}).update(**{fk: None})
            for label, fk in source.related():
                dependent = apps.get_model(label)
                # Bounded by this batch's parents: one statement, no cascade collection.
                dependent._default_manager.filter(**{f"{fk}__in": pks})._raw_delete(dependent._default_manager.db)  # type: ignore[attr-defined]
            _delete_object_permissions(content_type, pks)
            deleted = model._default_manager.filter(pk__in=pks)._raw_delete(model._default_manager.db)  # type: ignore[attr-defined]
            VolumeProgress.objects.filter(pk=progress.pk).update(
                rows_deleted=progress.rows_deleted + deleted, batches_done=progress.batches_done + 1
            )
            progress.rows_deleted += deleted
            progress.batches_done += 1
            _renew(run, token)
        if timings is not None:
            timings.append(time.perf_counter() - started)
        if pause:
            time.sleep(pause)
    files = _delete_stored_files(item.scope, batch_size=batch_size, run=run, token=token)
    with transaction.atomic():
        progress.done_at = timezone.now()
        progress.save(update_fields=["done_at"])
        audit.record(
            actor=None,
            action=RetentionAction.VOLUME_DELETED,
            target=item,
            client_ref=str(item.client_id),
            details={"rows": progress.rows_deleted, "batches": progress.batches_done, "files": files},
        )
        _renew(run, token)


def _delete_stored_files(scope: KeyScope, *, batch_size: int, run: DestructionRun, token: uuid.UUID) -> int:
    """The volume's encrypted files (already unreadable: their file keys were under the volume's key)."""
    from confidentiality.files import delete_stored_file
    from confidentiality.models import StoredFile

    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(StoredFile.objects.filter(owner=scope.owner, year=scope.year).order_by("pk")[:batch_size])
            if not batch:
                return deleted
            for stored in batch:
                delete_stored_file(stored, actor=None, reason="retention destruction")
            deleted += len(batch)
            _renew(run, token)


def _delete_object_permissions(content_type: ContentType, pks: Iterable[Any]) -> None:
    """django-guardian rows naming the deleted objects (generic object permissions)."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    keys = [str(pk) for pk in pks]
    for model in (UserObjectPermission, GroupObjectPermission):
        model.objects.filter(content_type=content_type, object_pk__in=keys).delete()


def _finish(list_id: uuid.UUID, run: DestructionRun, token: uuid.UUID) -> bool:
    from retention import registers

    with transaction.atomic():
        dlist = DestructionList.objects.select_for_update().get(pk=list_id)
        if dlist.state != ListState.EXECUTING:
            return False
        _renew(run, token)
        now = timezone.now()
        dlist.state = ListState.EXECUTED
        dlist.executed_at = now
        dlist.save(update_fields=["state", "executed_at"])
        DestructionRun.objects.filter(pk=run.pk).update(
            state=RunState.DONE, finished_at=now, lease_until=None, lease_token=None
        )
        registers.issue_destruction_registers(dlist)
        destroyed = dlist.items().count()
        audit.record(actor=None, action=RetentionAction.EXECUTED, target=dlist, details={"volumes": destroyed})
        transaction.on_commit(_refresh_keystore_backups)
    return True


def _refresh_keystore_backups() -> None:
    """After a destruction, replace the keystore backups that still hold the destroyed keys' material.

    Destruction reaches backups through the keys: database backups hold only ciphertext, and the
    keystore's own backups are pruned down to the new generation here rather than at the next
    5-minute beat run, which stays the retry when this fails.
    """
    from backups import keystore_backup

    try:
        keystore_backup.sync_keystore_backup(actor=None)
    except Exception:
        logger.exception("keystore backups not refreshed after a destruction; the beat job will retry")


def resume_destruction_runs() -> list[str]:
    """Queue every approved list not yet running and every run whose worker died (lease ran out)."""
    now = timezone.now()
    queued = []
    for dlist in DestructionList.objects.filter(state__in=[ListState.APPROVED, ListState.EXECUTING]):
        run = DestructionRun.objects.filter(destruction_list=dlist).first()
        if run is not None and run.lease_until is not None and run.lease_until > now:
            continue
        queued.append(str(dlist.pk))
    for list_id in queued:
        transaction.on_commit(lambda list_id=list_id: _enqueue_execution(list_id))  # type: ignore[misc]
    return queued


@transaction.atomic
def resume_runs() -> list[str]:
    return resume_destruction_runs()


def run_daily(*, today: dt.date | None = None) -> AppraisalBatch | None:
    """The daily job: open an appraisal for expired volumes and resume stalled destruction runs."""
    with transaction.atomic():
        resume_destruction_runs()
    return open_appraisal(today=today)


# --- Fixed assets (the event that starts a card's 5 years) --------------------------------------


@transaction.atomic
def record_fixed_asset(*, client: Any, name: str, acquired_on: dt.date, actor: User) -> FixedAsset:
    if not name.strip():
        raise RetentionRefused(_("Give the asset a name."))
    asset = FixedAsset(client=client, name=name.strip(), acquired_on=acquired_on)
    asset.save()
    return asset


@transaction.atomic
def scrap_fixed_asset(asset: FixedAsset, *, scrapped_on: dt.date, actor: User) -> FixedAsset:
    asset = FixedAsset.objects.select_for_update().get(pk=asset.pk)
    if asset.scrapped_on is not None:
        raise RetentionRefused(_("This asset was already scrapped."))
    if scrapped_on < asset.acquired_on:
        raise RetentionRefused(_("An asset cannot be scrapped before it was acquired."))
    asset.scrapped_on = scrapped_on
    asset.save(update_fields=["scrapped_on"])
    audit.record(
        actor=actor,
        action=RetentionAction.FIXED_ASSET_SCRAPPED,
        target=asset,
        client_ref=str(asset.client_id),
        details={"scrapped_on": str(scrapped_on)},
    )
    return asset
