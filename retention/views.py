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
from retention.forms import HoldForm, OpenMatterForm
from retention.models import (
    AppraisalBatch,
    Decision,
    DestructionList,
    Handover,
    Hold,
    OpenMatter,
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
            "held": [(i, queries.describe_hold_reasons(i.hold_reasons)) for i in items if i.decision == Decision.HELD],
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


# --- Holds (tax audit, litigation, investigation) ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@capability_required("manage_retention")
def holds(request: HttpRequest) -> HttpResponse:
    """Place a manual hold; list active and released holds (codes and kinds, never the reason)."""
    if request.method == "POST":
        form = HoldForm(request.POST)
        if form.is_valid():
            try:
                hold = services.place_hold(**form.service_kwargs(), actor=_user(request))
            except services.RetentionRefused as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The hold was placed."))
                return redirect("staff:retention:hold", hold_id=hold.pk)
    else:
        form = HoldForm(initial={k: request.GET[k] for k in ("client", "fiscal_year", "category") if k in request.GET})
    listed = Hold.objects.select_related("placed_by", "released_by").defer("reason")
    return render(
        request,
        "retention/holds.html",
        {
            "form": form,
            "active": listed.filter(released_at__isnull=True),
            "released": listed.filter(released_at__isnull=False)[:200],
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage_retention")
def hold_detail(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    """One hold with its reason (a read of client data: logged); release it."""
    hold = get_object_or_404(Hold.objects.select_related("placed_by", "released_by"), pk=hold_id)
    if request.method == "POST":
        if hold.released_at is not None:
            messages.error(request, _("This hold was already released."))
        else:
            services.release_hold(hold, actor=_user(request))
            messages.success(request, _("The hold was released."))
        return redirect("staff:retention:hold", hold_id=hold.pk)
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(hold.client_id),
        object_type="retention.hold",
        object_ids=[str(hold.pk)],
        purpose="retention_hold",
    )
    return render(request, "retention/hold.html", {"hold": hold})


# --- Open matters flagged in the books (未了事项) ----------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def open_matters(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """A client's open matters: staff on the client flag a voucher or a year; the engagement
    manager closes them. Held records are never destroyed while a matter is open."""
    from clients.models import Voucher

    user = _user(request)
    client = access.get_client_for_user(request, client_id, perm="clients.view_books")
    may_close = access.has_client_perm(user, "clients.manage_client", client)
    form = OpenMatterForm()
    if request.method == "POST":
        if request.POST.get("action") == "close":
            matter_id = _uuid(request.POST.get("matter"))
            mine = OpenMatter.objects.filter(client=client, pk=matter_id) if matter_id else OpenMatter.objects.none()
            # Closing ends a hold: the engagement manager's call (manage_client), through the access layer.
            matter = access.visible_to(user, mine, perm="clients.manage_client").first()
            if matter is None:
                access.record_denied(request, client_id=client.pk, object_type="retention.openmatter")
                raise Http404
            services.close_open_matter(matter, actor=user)
            messages.success(request, _("The matter is closed; its records follow their retention period again."))
            return redirect("staff:retention:open-matters", client_id=client.pk)
        form = OpenMatterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            voucher = None
            if data.get("voucher_number") is not None:
                voucher = access.visible_to(
                    user,
                    Voucher.objects.filter(
                        client=client,
                        period__year=data["fiscal_year"],
                        period__month=data["month"],
                        number=data["voucher_number"],
                    ),
                    perm="clients.view_books",
                ).first()
                if voucher is None:
                    form.add_error("voucher_number", _("No voucher has this number in that month."))
            if form.is_valid():
                try:
                    services.flag_open_matter(
                        client=client, fiscal_year=data["fiscal_year"], note=data["note"], actor=user, voucher=voucher
                    )
                except services.RetentionRefused as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("The open matter is flagged; its records are held."))
                    return redirect("staff:retention:open-matters", client_id=client.pk)
    matters = list(OpenMatter.objects.filter(client=client).select_related("flagged_by", "closed_by"))
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type="retention.openmatter",
        object_ids=[str(m.pk) for m in matters],
    )
    return render(
        request,
        "retention/open_matters.html",
        {"client": client, "matters": matters, "form": form, "may_close": may_close},
        status=400 if form.is_bound else 200,
    )


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
