"""Pages for the archivist, the signers and the supervisors (/staff/retention/), and the client's
handover receipt (/portal/handover/). Pages show archive codes and categories, never client names
(those are in the encrypted registers)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import capability_required, client_required, staff_required
from accounts.models import User
from audit import services as audit
from confidentiality import access
from retention import handover as handovers
from retention import queries, registers, services
from retention.models import (
    AppraisalBatch,
    Decision,
    DestructionList,
    Handover,
    Register,
    RetentionRule,
    SlotPurpose,
)
from retention.schedule import LEGAL_MINIMUM


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """What waits for this person: appraisals, supervisors to assign, signatures, confirmations."""
    user = _user(request)
    context = {
        "batches": queries.batches_to_appraise(user),
        "need_supervisors": queries.lists_needing_supervisors(user),
        "to_sign": queries.lists_to_sign(user),
        "to_confirm": queries.lists_to_confirm(user),
        "is_archivist": user.has_perm("accounts.manage_retention"),
    }
    return render(request, "retention/queue.html", context)


@require_http_methods(["GET", "POST"])
@capability_required("manage_retention")
def batch_detail(request: HttpRequest, batch_id: uuid.UUID) -> HttpResponse:
    batch = get_object_or_404(AppraisalBatch, pk=batch_id)
    user = _user(request)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "issue":
                dlist = services.issue_appraisal_opinion(
                    batch, actor=user, electronic=request.POST.get("electronic", "1") == "1"
                )
                messages.success(request, _("The appraisal opinion was issued."))
                if dlist is not None:
                    return redirect("staff:retention:list", list_id=dlist.pk)
                return redirect("staff:retention:queue")
            item = get_object_or_404(batch.items, pk=_uuid(request.POST.get("item")))
            decision = request.POST.get("decision", "")
            years = _int(request.POST.get("new_period_years"))
            services.appraise_item(item, decision=decision, actor=user, new_period_years=years)
        except services.RetentionRefused as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("staff:retention:batch", batch_id=batch.pk)
    items = list(batch.items.all())
    return render(
        request,
        "retention/batch.html",
        {
            "batch": batch,
            "items": [i for i in items if i.decision != Decision.HELD],
            "held": [i for i in items if i.decision == Decision.HELD],
            "pending": any(i.decision == Decision.PENDING for i in items),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def list_detail(request: HttpRequest, list_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    dlist = get_object_or_404(DestructionList, pk=list_id)
    is_supervisor = dlist.supervisions.filter(supervisor=user).exists()
    may_view = user.has_perm("accounts.manage_retention") or user.has_perm("accounts.sign_destruction") or is_supervisor
    if not may_view:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "sign":
                services.sign_destruction_list(dlist, slot_code=request.POST.get("slot", ""), actor=user)
                messages.success(request, _("Signed."))
            elif action == "supervisor":
                slot = request.POST.get("slot", "")
                supervisor_id = _int(request.POST.get("supervisor"))
                supervisor = (
                    User.objects.filter(pk=supervisor_id, kind="staff").first() if supervisor_id is not None else None
                )
                if supervisor is None:
                    raise services.RetentionRefused(_("Choose a supervisor."))
                services.assign_supervisor(dlist, slot_code=slot, supervisor=supervisor, actor=user)
                messages.success(request, _("Supervisor assigned."))
            elif action == "confirm":
                services.confirm_destruction(dlist, actor=user)
                messages.success(request, _("Destruction confirmed."))
            else:
                raise services.RetentionRefused(_("Unknown action."))
        except services.RetentionRefused as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("staff:retention:list", list_id=dlist.pk)
    signatures = {s.slot_id: s for s in dlist.signatures.select_related("signer")}
    supervisions = {s.slot_id: s for s in dlist.supervisions.select_related("supervisor")}
    sign_slots = services.required_slots(dlist, SlotPurpose.SIGN)
    supervise_slots = services.required_slots(dlist, SlotPurpose.SUPERVISE)
    return render(
        request,
        "retention/list.html",
        {
            "dlist": dlist,
            "rows": _rows(dlist),
            "sign_rows": [(slot, signatures.get(slot.code)) for slot in sign_slots],
            "supervise_rows": [
                (slot, supervisions.get(slot.code), queries.supervisor_candidates(slot)) for slot in supervise_slots
            ],
            "my_slots": [slot for slot in services.missing_signatures(dlist) if user.has_role(slot.staff_role)]
            if dlist.prepared_by_id != user.pk
            else [],
            "is_archivist": user.has_perm("accounts.manage_retention"),
            "can_confirm": is_supervisor
            and dlist.supervisions.filter(supervisor=user, confirmed_at__isnull=True).exists(),
            "registers": Register.objects.filter(subject_id=dlist.pk),
        },
    )


def _rows(dlist: DestructionList) -> list[dict[str, object]]:
    """The list's rows for the page: codes and categories, no client names."""
    from django.utils import timezone

    from retention.schedule import years_kept

    today = timezone.localdate()
    return [
        {
            "volume_no": item.volume_no,
            "category": item.get_category_display(),
            "code": item.archive_code,
            "years": f"{item.fiscal_year}—{item.fiscal_year}",
            "count": item.record_count,
            "period": item.period_years,
            "kept": years_kept(item.fiscal_year, today=today),
            "decision": item.get_decision_display(),
        }
        for item in dlist.batch.items.all().order_by("volume_no")
    ]


@require_GET
@capability_required("manage_retention")
def custody_register(request: HttpRequest) -> HttpResponse:
    """会计档案保管清册: the permanent registers kept by the firm."""
    return render(request, "retention/custody.html", {"registers": Register.objects.all().defer("content")})


@require_GET
@staff_required
def register_download(request: HttpRequest, register_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    if not (user.has_perm("accounts.manage_retention") or user.has_perm("accounts.sign_destruction")):
        raise Http404
    register = get_object_or_404(Register, pk=register_id)
    content_type = (
        "application/pdf"
        if register.fmt == "pdf"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    response = HttpResponse(registers.read_content(register), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{register.kind}-{register.pk}.{register.fmt}"'
    return response


@require_http_methods(["GET", "POST"])
@capability_required("manage_retention")
def schedule(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        category = request.POST.get("category", "")
        raw = request.POST.get("years", "").strip()
        years = None if raw in ("", "permanent") else _int(raw)
        try:
            if raw not in ("", "permanent") and years is None:
                raise services.RetentionRefused(_("Give a whole number of years, or leave empty for permanent."))
            services.set_retention_period(category=category, years=years, actor=_user(request))
            messages.success(request, _("The period was changed."))
        except services.RetentionRefused as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("staff:retention:schedule")
    rules = [(rule, LEGAL_MINIMUM.get(rule.category)) for rule in RetentionRule.objects.all()]
    return render(request, "retention/schedule.html", {"rules": rules})


# --- Portal -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@client_required
def portal_handovers(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    mine = access.visible_to(user, Handover.objects.defer("package"), perm="clients.view_client")
    if request.method == "POST":
        handover = access.get_object_for_user(
            request, mine, _uuid(request.POST.get("handover")), perm="clients.view_client"
        )
        try:
            handovers.confirm_handover_receipt(handover, actor=user)
            messages.success(request, _("Thank you: the receipt is recorded."))
        except services.RetentionRefused as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:retention-handovers")
    return render(request, "retention/portal_handovers.html", {"handovers": mine})


@require_GET
@client_required
def portal_handover_package(request: HttpRequest, handover_id: uuid.UUID) -> HttpResponse:
    handover = access.get_object_for_user(request, Handover, handover_id, perm="clients.view_client")
    audit.record_access(
        request=request,
        action="download",
        client_ref=str(handover.client_id),
        object_type="retention.handover",
        object_ids=[str(handover.pk)],
    )
    response = HttpResponse(handovers.read_package(handover), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="handover-{handover.number}.zip"'
    return response


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
