"""Data-rights pages: the client's (/portal/data-rights/) and the compliance desk's (/staff/datarights/)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, client_required
from accounts.services import request_user
from audit import services as audit
from clients.models import Client, ClientRole
from compliance.decorators import compliance_gate_required
from confidentiality import access
from confidentiality.files import open_decrypted
from confidentiality.models import StoredFile
from datarights import services
from datarights.forms import STATE_FILTERS, AnswerForm, RefuseForm, RequestForm
from datarights.models import OPEN_STATES, DataRightsRequest, ExportPackage, PackageState, RequestKind

OBJECT_TYPE = "datarights.datarightsrequest"
DESK = "view_compliance_desk"


# --- Client portal ------------------------------------------------------------------------------------------


def _owner_client(request: HttpRequest) -> Client:
    """The company (chosen with `?client=`, else the first) of which this user is an owner; else 404."""
    user = request_user(request)
    owned = (
        access.visible_clients(user)
        .filter(memberships__user=user, memberships__role=ClientRole.OWNER)
        .order_by("created_at", "pk")
    )
    wanted = request.GET.get("client") or request.POST.get("client")
    if wanted:
        client = access.get_client_for_user(request, wanted)  # 404 (recorded) when not visible at all
        if not owned.filter(pk=client.pk).exists():
            access.record_denied(request, client_id=client.pk, object_type=OBJECT_TYPE)
            raise Http404
        return client
    first = owned.first()
    if first is None:
        access.record_denied(request, object_type=OBJECT_TYPE)
        raise Http404
    return first


def _request_for_owner(request: HttpRequest, request_id: UUID) -> DataRightsRequest:
    """A request of a company this user owns (a delegate or another company gets 404, recorded)."""
    found = access.get_object_for_user(
        request,
        DataRightsRequest.objects.select_related("client", "requested_by"),
        request_id,
        perm="clients.view_client",
    )
    if not services.is_owner(request.user, found.client_id):
        access.record_denied(request, client_id=found.client_id, object_type=OBJECT_TYPE, object_ids=[str(found.pk)])
        raise Http404
    return found


def _package(data_request: DataRightsRequest) -> ExportPackage | None:
    return ExportPackage.objects.filter(request=data_request).first()


@require_http_methods(["GET", "POST"])
@client_required
def portal_requests(request: HttpRequest) -> HttpResponse:
    """My company's requests (status and deadline) and the form for a new one."""
    user = request_user(request)
    client = _owner_client(request)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.submit_request(
                client=client, kind=form.cleaned_data["kind"], details=form.cleaned_data["details"], actor=user
            )
        except services.DataRightsRefused as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request was received. We answer by %(date)s.") % {"date": created.due_on})
            return redirect("portal:datarights-detail", request_id=created.pk)
    rows = list(DataRightsRequest.objects.filter(client=client).select_related("package").order_by("-submitted_at"))
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type=OBJECT_TYPE,
        object_ids=[str(row.pk) for row in rows],
        purpose="client reviews its data-rights requests",
    )
    return render(
        request,
        "datarights/portal_list.html",
        {"client": client, "form": form, "rows": rows, "today": timezone.localdate()},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@client_required
def portal_request_detail(request: HttpRequest, request_id: UUID) -> HttpResponse:
    data_request = _request_for_owner(request, request_id)
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(data_request.client_id),
        object_type=OBJECT_TYPE,
        object_ids=[str(data_request.pk)],
        purpose="client reads the answer to its data-rights request",
    )
    return render(
        request,
        "datarights/portal_detail.html",
        {
            "item": data_request,
            "package": _package(data_request),
            "events": data_request.events.all(),
            "mine": data_request.requested_by_id == request.user.pk,
        },
    )


@require_GET
@client_required
def portal_package_progress(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """The progress fragment, polled by htmx while the package is built (numbers only, no client data)."""
    data_request = _request_for_owner(request, request_id)
    return render(
        request,
        "datarights/_package_progress.html",
        {
            "item": data_request,
            "package": _package(data_request),
            "mine": data_request.requested_by_id == request.user.pk,
            "portal": True,
            "fragment": True,
        },
    )


@require_GET
@client_required
def portal_package_download(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """The package, for the account that asked for it only, until it expires; every download is logged."""
    data_request = _request_for_owner(request, request_id)
    if data_request.requested_by_id != request.user.pk:
        access.record_denied(
            request,
            client_id=data_request.client_id,
            object_type="datarights.exportpackage",
            object_ids=[str(request_id)],
        )
        raise Http404
    export = _package(data_request)
    if export is None or export.state not in (PackageState.READY, PackageState.EXPIRED):
        raise Http404
    if export.is_expired or export.stored_file_id is None:
        return render(request, "datarights/package_expired.html", {"item": data_request, "package": export}, status=410)
    stored = StoredFile.objects.filter(pk=export.stored_file_id).first()
    if stored is None:
        raise Http404
    audit.record_access(
        request=request,
        action="download",
        client_ref=str(data_request.client_id),
        object_type="datarights.exportpackage",
        object_ids=[str(export.pk)],
        purpose="client downloads a copy of its data (PIPL Art. 45)",
    )
    response = StreamingHttpResponse(open_decrypted(stored), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="data-copy-{timezone.localdate():%Y%m%d}.zip"'
    response["Content-Length"] = str(stored.size)
    # Streamed (constant memory, decrypted chunk by chunk); the area decorators are typed for HttpResponse.
    return response  # type: ignore[return-value]


# --- The compliance desk ------------------------------------------------------------------------------------


def _desk_rows(state: str) -> QuerySet[DataRightsRequest]:
    rows = DataRightsRequest.objects.select_related("package").defer("details", "answer", "erasure")
    if state == "open":
        return rows.filter(state__in=OPEN_STATES).order_by("due_on", "submitted_at")
    if state == "overdue":
        return rows.overdue().order_by("due_on", "submitted_at")
    if state == "closed":
        return rows.exclude(state__in=OPEN_STATES).order_by("-closed_at")
    return rows.order_by("-submitted_at")


@require_GET
@capability_required(DESK)
@compliance_gate_required
def desk(request: HttpRequest) -> HttpResponse:
    """The cases (kind, state, deadline, overdue flag): no client data on this page."""
    state = request.GET.get("state", "open")
    if state not in dict(STATE_FILTERS):
        state = "open"
    rows = list(_desk_rows(state)[:500])
    return render(
        request,
        "datarights/desk.html",
        {
            "rows": rows,
            "state": state,
            "filters": STATE_FILTERS,
            "overdue_count": DataRightsRequest.objects.overdue().count(),
            "today": timezone.localdate(),
        },
    )


def _desk_request(request_id: UUID) -> DataRightsRequest:
    found = DataRightsRequest.objects.select_related("client", "requested_by").filter(pk=request_id).first()
    if found is None:
        raise Http404
    return found


def _desk_detail(
    request: HttpRequest, data_request: DataRightsRequest, *, status: int = 200, **forms: Any
) -> HttpResponse:
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(data_request.client_id),
        object_type=OBJECT_TYPE,
        object_ids=[str(data_request.pk)],
        purpose="compliance desk answers a data-rights request (PIPL Art. 50)",
    )
    context = {
        "item": data_request,
        "package": _package(data_request),
        "events": data_request.events.select_related("actor"),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "today": timezone.localdate(),
    }
    return render(request, "datarights/desk_detail.html", context, status=status)


@require_GET
@capability_required(DESK)
@compliance_gate_required
def desk_detail(request: HttpRequest, request_id: UUID) -> HttpResponse:
    return _desk_detail(request, _desk_request(request_id))


@require_GET
@capability_required(DESK)
@compliance_gate_required
def desk_package_progress(request: HttpRequest, request_id: UUID) -> HttpResponse:
    data_request = _desk_request(request_id)
    return render(
        request,
        "datarights/_package_progress.html",
        {"item": data_request, "package": _package(data_request), "portal": False, "fragment": True},
    )


@require_POST
@capability_required(DESK)
@compliance_gate_required
def desk_acknowledge(request: HttpRequest, request_id: UUID) -> HttpResponse:
    data_request = _desk_request(request_id)
    try:
        services.acknowledge_request(data_request, actor=request_user(request))
    except services.DataRightsRefused as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The request is acknowledged; the client was told there is an update."))
    return redirect("staff:datarights:detail", request_id=data_request.pk)


@require_POST
@capability_required(DESK)
@compliance_gate_required
def desk_fulfil(request: HttpRequest, request_id: UUID) -> HttpResponse:
    data_request = _desk_request(request_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _desk_detail(request, data_request, status=400, answer_form=form)
    try:
        services.fulfil_request(data_request, actor=request_user(request), answer=form.cleaned_data["answer"])
    except services.DataRightsRefused as error:
        form.add_error(None, error)
        return _desk_detail(request, data_request, status=400, answer_form=form)
    if data_request.kind == RequestKind.ACCESS:
        messages.success(request, _("The export package is being built; the client can download it when it is ready."))
    else:
        messages.success(request, _("The request is answered; the client was told there is an update."))
    return redirect("staff:datarights:detail", request_id=data_request.pk)


@require_POST
@capability_required(DESK)
@compliance_gate_required
def desk_refuse(request: HttpRequest, request_id: UUID) -> HttpResponse:
    data_request = _desk_request(request_id)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _desk_detail(request, data_request, status=400, refuse_form=form)
    try:
        services.refuse_request(data_request, actor=request_user(request), reasons=form.cleaned_data["reasons"])
    except services.DataRightsRefused as error:
        form.add_error(None, error)
        return _desk_detail(request, data_request, status=400, refuse_form=form)
    messages.success(request, _("The request is refused; the client sees your reasons."))
    return redirect("staff:datarights:detail", request_id=data_request.pk)
