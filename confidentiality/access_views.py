"""Access-control pages: my clients, assignments, temporary and emergency access, secret reveal,
offboarding and leaver reports (staff); delegates and "who revealed what" (client portal)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, client_required, staff_required
from accounts.models import User, UserKind
from accounts.services import request_user
from audit import queries as audit_queries
from audit.models import AccessEvent
from clients.models import Client, ClientMembership, ClientRole
from confidentiality import access, access_services, secret_fields
from confidentiality.access_forms import (
    AcceptInvitationForm,
    AccessRequestForm,
    AssignForm,
    DecisionForm,
    InviteDelegateForm,
    OffboardForm,
    PurposeForm,
    ReviewForm,
)
from confidentiality.models import AccessGrant, Assignment, Delegation, GrantState, LeaverReport


def _errors_to_form(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


# --- My clients and assignments --------------------------------------------------------------------


@require_GET
@staff_required
def my_clients(request: HttpRequest) -> HttpResponse:
    """The clients this staff member may see now, with their roles there. Constant query count."""
    user = request_user(request)
    access.require_gate(request)
    clients = list(access.visible_clients(user).order_by("created_at"))
    roles: dict[Any, list[str]] = {}
    for client_id, role in access.live_assignments().filter(user=user).values_list("client_id", "role"):
        roles.setdefault(client_id, []).append(role)
    temporary = set(access.live_grants().filter(user=user).values_list("client_id", flat=True))
    rows = [(client, roles.get(client.pk, []), client.pk in temporary) for client in clients]
    return render(request, "confidentiality/access/my_clients.html", {"rows": rows})


@require_GET
@staff_required
def client_access(request: HttpRequest, client_id: Any) -> HttpResponse:
    """Who works on this client, and until when (managers of the client)."""
    client = access.get_client_for_user(request, client_id, perm="clients.manage_client")
    assignments = Assignment.objects.filter(client=client, ended_at__isnull=True).select_related("user")
    grants = AccessGrant.objects.filter(client=client, state=GrantState.APPROVED, ends_at__gt=timezone.now())
    return render(
        request,
        "confidentiality/access/client_access.html",
        {"client": client, "assignments": assignments, "grants": grants.select_related("user"), "form": AssignForm()},
    )


@require_POST
@capability_required("manage_assignments")
def assign_view(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = access.get_client_for_user(request, client_id, perm="clients.manage_client")
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            access_services.assign_staff(
                client=client,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                ends_at=form.cleaned_data["ends_at"],
                actor=request_user(request),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The assignment is in place."))
            return redirect("staff:access:client", client_id=client.pk)
    assignments = Assignment.objects.filter(client=client, ended_at__isnull=True).select_related("user")
    return render(
        request,
        "confidentiality/access/client_access.html",
        {"client": client, "assignments": assignments, "grants": [], "form": form},
        status=400,
    )


@require_POST
@capability_required("manage_assignments")
def end_assignment_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = access.get_object_for_user(request, Assignment, assignment_id, perm="clients.manage_client")
    access_services.end_assignment(assignment, actor=request_user(request))
    messages.success(request, _("The assignment has ended."))
    return redirect("staff:access:client", client_id=assignment.client_id)


# --- Temporary access ------------------------------------------------------------------------------------


def _client_by_reference(form: Any) -> Client | None:
    client = Client.objects.filter(pk=form.cleaned_data["client"]).first()
    if client is None:
        form.add_error("client", _("No client has this reference."))
    return client


@require_http_methods(["GET", "POST"])
@staff_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """Ask for time-limited access to a client one is not assigned to; see one's requests."""
    user = request_user(request)
    access.require_gate(request)
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = _client_by_reference(form)
        if client is not None:
            try:
                access_services.request_access(
                    client=client,
                    purpose=form.cleaned_data["purpose"],
                    purpose_detail=form.cleaned_data["purpose_detail"],
                    ends_at=form.cleaned_data["ends_at"],
                    actor=user,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Your request was sent to the managers."))
                return redirect("staff:access:requests")
    grants = AccessGrant.objects.filter(user=user).order_by("-created_at")[:50]
    return render(
        request,
        "confidentiality/access/requests.html",
        {"form": form, "grants": grants},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_required
def withdraw_request(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = AccessGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        raise Http404
    if grant.user_id != request_user(request).pk:
        access.record_denied(request, client_id=grant.client_id, object_type="confidentiality.accessgrant")
        raise Http404
    try:
        access_services.withdraw_access_request(grant, actor=request_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("staff:access:requests")


@require_GET
@capability_required("approve_access")
def approvals(request: HttpRequest) -> HttpResponse:
    """Requests this manager may decide: for clients they manage (all, for the firm head).

    One's own are listed but cannot be decided.
    """
    pending = access.decidable_access_requests(request_user(request)).select_related("user").order_by("created_at")
    return render(request, "confidentiality/access/approvals.html", {"pending": pending, "form": DecisionForm()})


@require_POST
@capability_required("approve_access")
def decide(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = AccessGrant.objects.filter(pk=grant_id, state=GrantState.PENDING, emergency=False).first()
    if grant is None:
        raise Http404
    user = request_user(request)
    if grant.user_id != user.pk and not access.may_decide_access_requests_for(user, grant.client_id):
        # A manager of another client: the request is none of theirs, so it looks missing.
        access.record_denied(request, client_id=grant.client_id, object_type="confidentiality.accessgrant")
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
        return redirect("staff:access:approvals")
    try:
        access_services.decide_access_request(
            grant,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
            actor=user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("staff:access:approvals")


@require_http_methods(["GET", "POST"])
@capability_required("emergency_access")
def emergency(request: HttpRequest) -> HttpResponse:
    """Emergency self-grant: read access now, compliance alerted, reviewed afterwards."""
    access.require_gate(request)
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = _client_by_reference(form)
        if client is not None:
            try:
                access_services.grant_emergency_access(
                    client=client,
                    purpose=form.cleaned_data["purpose"],
                    purpose_detail=form.cleaned_data["purpose_detail"],
                    ends_at=form.cleaned_data["ends_at"],
                    actor=request_user(request),
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.warning(request, _("Emergency access granted. The compliance officer has been alerted."))
                return redirect("staff:access:clients")
    return render(
        request,
        "confidentiality/access/emergency.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@capability_required("view_compliance_desk")
def emergency_queue(request: HttpRequest) -> HttpResponse:
    waiting = AccessGrant.objects.filter(emergency=True, reviewed_at__isnull=True).select_related("user")
    done = AccessGrant.objects.filter(emergency=True, reviewed_at__isnull=False).select_related("user", "reviewed_by")
    return render(
        request,
        "confidentiality/access/emergency_queue.html",
        {"waiting": waiting, "done": done[:50], "form": ReviewForm()},
    )


@require_POST
@capability_required("view_compliance_desk")
def review_emergency(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = AccessGrant.objects.filter(pk=grant_id, emergency=True).first()
    if grant is None:
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what the review found."))
        return redirect("staff:access:emergency-queue")
    try:
        access_services.review_emergency_access(
            grant, note=form.cleaned_data["note"], end_now=form.cleaned_data["end_now"], actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Review recorded."))
    return redirect("staff:access:emergency-queue")


# --- Secret fields ----------------------------------------------------------------------------------------


def _secret_object(request: HttpRequest, model: str, pk: str, field: str) -> Any:
    model_class = secret_fields.secret_model(model)
    if model_class is None or field not in secret_fields.secret_fields(model_class):
        raise Http404
    return access.get_object_for_user(request, model_class, pk, perm="clients.reveal_secret")


@require_http_methods(["GET", "POST"])
@staff_required
def reveal(request: HttpRequest, model: str, pk: str, field: str) -> HttpResponse:
    """GET: the purpose form (an htmx fragment). POST with a purpose: the value, logged with that purpose."""
    obj = _secret_object(request, model, pk, field)
    form = PurposeForm(request.POST or None)
    context = {"obj": obj, "model": model, "field": field, "form": form, "mask": secret_fields.MASK}
    if request.method == "POST" and form.is_valid():
        try:
            value = secret_fields.reveal_secret(
                request,
                obj,
                field,
                purpose=form.cleaned_data["purpose"],
                detail=form.cleaned_data["purpose_detail"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            return render(request, "confidentiality/access/secret_value.html", {**context, "value": value})
    return render(
        request,
        "confidentiality/access/reveal_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


# --- Offboarding ---------------------------------------------------------------------------------------


@require_GET
@capability_required("offboard_staff")
def staff_list(request: HttpRequest) -> HttpResponse:
    people = User.objects.filter(kind=UserKind.STAFF).order_by("offboarded_at", "username")
    return render(request, "confidentiality/access/staff_list.html", {"people": people})


@require_http_methods(["GET", "POST"])
@capability_required("offboard_staff")
def offboard(request: HttpRequest, user_id: int) -> HttpResponse:
    person = User.objects.filter(pk=user_id, kind=UserKind.STAFF).first()
    if person is None:
        raise Http404
    form = OffboardForm(request.POST or None, username=person.username)
    if request.method == "POST" and form.is_valid():
        try:
            report = access_services.offboard_staff(
                user=person,
                actor=request_user(request),
                exit_acknowledged=form.cleaned_data["exit_acknowledged"],
                request=request,
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("%(user)s is offboarded. All access has ended.") % {"user": person})
            return redirect("staff:access:leaver-report", report_id=report.pk)
    return render(
        request,
        "confidentiality/access/offboard.html",
        {"person": person, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _reports_for(user: User) -> Any:
    if user.has_perm("accounts.offboard_staff"):
        return LeaverReport.objects.all()
    return LeaverReport.objects.filter(recipients=user)


@require_GET
@staff_required
def leaver_reports(request: HttpRequest) -> HttpResponse:
    reports = _reports_for(request_user(request)).select_related("leaver")
    return render(request, "confidentiality/access/leaver_reports.html", {"reports": reports})


@require_GET
@staff_required
def leaver_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """For the managers of the leaver's clients (and firm admins). Client names show only where the
    reader may see that client; otherwise its reference."""
    user = request_user(request)
    report = _reports_for(user).filter(pk=report_id).select_related("leaver").first()
    if report is None:
        if LeaverReport.objects.filter(pk=report_id).exists():
            access.record_denied(request, object_type="confidentiality.leaverreport", object_ids=[str(report_id)])
        raise Http404
    ids = [entry["client_id"] for entry in report.entries]
    visible = {str(c.pk): c for c in access.visible_clients(user).filter(pk__in=ids)}
    rows = [(entry, visible.get(entry["client_id"])) for entry in report.entries]
    return render(request, "confidentiality/access/leaver_report.html", {"report": report, "rows": rows})


# --- Client portal: delegates, and who revealed what -------------------------------------------------------


def _owned_clients(user: User) -> list[Client]:
    ids = ClientMembership.objects.filter(user=user, role=ClientRole.OWNER).values("client_id")
    return list(Client.objects.filter(pk__in=ids))


@require_http_methods(["GET", "POST"])
@client_required
def delegates(request: HttpRequest) -> HttpResponse:
    """The owner's delegates: invite one (pages and end date), see them, revoke them."""
    user = request_user(request)
    owned = _owned_clients(user)
    if not owned:
        access.record_denied(request, object_type="delegates")
        raise Http404
    client = owned[0]
    form = InviteDelegateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_services.invite_delegate(
                client=client,
                email=form.cleaned_data["email"],
                scope=form.cleaned_data["scope"],
                ends_at=form.cleaned_data["ends_at"],
                actor=user,
                accept_url=lambda token: request.build_absolute_uri(reverse("delegate-accept", args=[token])),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The invitation is on its way."))
            return redirect("portal:delegates")
    rows = list(Delegation.objects.filter(client__in=owned).select_related("delegate"))
    # Each delegate's recent activity with this company's data (from the access log).
    activity = audit_queries.delegate_activity([str(c.pk) for c in owned], [d.delegate_id for d in rows])
    for row in rows:
        row.recent_activity = activity.get((row.delegate_id, str(row.client_id)), [])  # type: ignore[attr-defined]
    return render(
        request,
        "confidentiality/access/delegates.html",
        {"form": form, "delegations": rows},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@client_required
def revoke_delegate(request: HttpRequest, delegation_id: Any) -> HttpResponse:
    user = request_user(request)
    delegation = Delegation.objects.filter(pk=delegation_id).first()
    if delegation is None:
        raise Http404
    if delegation.client_id not in {c.pk for c in _owned_clients(user)}:
        access.record_denied(request, client_id=delegation.client_id, object_type="confidentiality.delegation")
        raise Http404
    try:
        access_services.revoke_delegation(delegation, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The delegate's access has ended."))
    return redirect("portal:delegates")


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Outside /portal/: the invited person has no account yet."""
    try:
        delegation = access_services.delegation_from_token(token)
    except ValidationError as error:
        return render(request, "confidentiality/access/invitation_invalid.html", {"error": error}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_services.accept_delegation(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Your account is ready. Please sign in."))
            return redirect("accounts:login")
    return render(
        request,
        "confidentiality/access/accept_invitation.html",
        {"form": form, "delegation": delegation},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@client_required
def reveals_for_client(request: HttpRequest) -> HttpResponse:
    """The client sees every reveal of a secret field of their company: who, when, which field, why."""
    user = request_user(request)
    own = [str(pk) for pk in ClientMembership.objects.filter(user=user).values_list("client_id", flat=True)]
    events = AccessEvent.objects.filter(Q(action=secret_fields.REVEAL) & Q(client_ref__in=own)).order_by("-occurred_at")
    return render(request, "confidentiality/access/client_reveals.html", {"events": events[:200]})
