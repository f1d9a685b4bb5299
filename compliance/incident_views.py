"""Incident pages: any staff member reports; the compliance desk handles, step by step."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, staff_required
from accounts.models import User
from accounts.services import request_user
from audit import services as audit
from compliance import incidents
from compliance.errors import ComplianceError
from compliance.forms import (
    DrillForm,
    IncidentReportForm,
    NoteForm,
    NoticeContentForm,
    NoticeReviewForm,
    ReviewForm,
    SuspendForm,
    TriageForm,
)
from compliance.models import AffectedClient, BreachNotice, Incident

DESK = "view_compliance_desk"


@require_http_methods(["GET", "POST"])
@staff_required
def report_incident_view(request: HttpRequest) -> HttpResponse:
    form = IncidentReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = incidents.report_incident(actor=request_user(request), **form.cleaned_data)
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Thank you. Incident #%(id)s is reported; the compliance officer will follow up.")
                % {"id": incident.pk},
            )
            return redirect("staff:home")
    return render(request, "compliance/incident_report.html", {"form": form})


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def incident_list_view(request: HttpRequest) -> HttpResponse:
    form = DrillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = incidents.report_incident(actor=request_user(request), is_drill=True, **form.cleaned_data)
        messages.success(request, _("Drill recorded."))
        return redirect("staff:compliance:incident", incident_id=incident.pk)
    rows = Incident.objects.select_related("reported_by").order_by("-reported_at")
    return render(request, "compliance/incident_list.html", {"incidents": rows, "drill_form": form})


@require_GET
@capability_required(DESK)
def incident_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=incident_id)
    return render(request, "compliance/incident.html", _detail_context(incident))


def _detail_context(incident: Incident, **forms: object) -> dict[str, object]:
    initial_notice = {name: getattr(incident, name) for name in incidents.NOTICE_FIELDS}
    context: dict[str, object] = {
        "incident": incident,
        "timeline": incident.timeline.select_related("actor"),
        "affected": incident.affected.all(),
        "notices": incident.notices.all(),
        "triage_form": TriageForm(
            initial={
                "severity": incident.severity,
                "window_start": incident.window_start,
                "window_end": incident.window_end,
                "suspect": incident.suspect_id,
            }
        ),
        "notice_form": NoticeContentForm(initial=initial_notice),
        "note_form": NoteForm(),
        "review_form": ReviewForm(initial={"lessons": incident.lessons}),
        "suspend_form": SuspendForm(),
        "hooks": sorted(incidents.CONTAINMENT_HOOKS),
    }
    context.update(forms)
    return context


def _triage(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    form = TriageForm(request.POST)
    if not form.is_valid():
        return render(request, "compliance/incident.html", _detail_context(incident, triage_form=form), status=200)
    incidents.triage_incident(incident, actor=actor, **form.cleaned_data)
    return None


def _note(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render(request, "compliance/incident.html", _detail_context(incident, note_form=form))
    incidents.add_note(incident, text=form.cleaned_data["text"], actor=actor)
    return None


def _suspend(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    form = SuspendForm(request.POST)
    if not form.is_valid():
        return render(request, "compliance/incident.html", _detail_context(incident, suspend_form=form))
    incidents.suspend_user(incident, user=form.cleaned_data["user"], actor=actor)
    messages.success(request, _("Account suspended and all its sessions ended."))
    return None


def _compute(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    found = incidents.compute_affected_clients(incident, actor=actor)
    messages.success(request, _("%(n)s clients found in the access log. Review each one.") % {"n": found})
    return None


def _review_client(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    raw_id, decision = request.POST.get("affected", ""), request.POST.get("decision")
    if not raw_id.isdigit() or decision not in ("include", "exclude"):
        raise ComplianceError(_("Choose a client and include or exclude it."))
    affected = get_object_or_404(AffectedClient, incident=incident, pk=int(raw_id))
    include = decision == "include"
    incidents.review_affected_client(affected, include=include, actor=actor)
    return None


def _notice_content(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    form = NoticeContentForm(request.POST)
    if not form.is_valid():
        return render(request, "compliance/incident.html", _detail_context(incident, notice_form=form))
    incidents.set_notice_content(incident, actor=actor, **form.cleaned_data)
    return None


def _compose(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    composed = incidents.compose_breach_notices(incident, actor=actor)
    messages.success(request, _("%(n)s draft notices composed. Review and publish each one.") % {"n": composed})
    return None


def _authority_report(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    data = incidents.generate_authority_report(incident, actor=actor)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-authority-report.pdf"'
    return response


def _review(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(request, "compliance/incident.html", _detail_context(incident, review_form=form))
    incidents.record_review(incident, lessons=form.cleaned_data["lessons"], actor=actor)
    return None


def _close(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
    incidents.close_incident(incident, actor=actor)
    return None


def _hook(name: str) -> Callable[[HttpRequest, Incident, User], HttpResponse | None]:
    def run(request: HttpRequest, incident: Incident, actor: User) -> HttpResponse | None:
        incidents.CONTAINMENT_HOOKS[name](incident, actor=actor)
        messages.success(request, _("Containment step done and recorded in the timeline."))
        return None

    return run


ACTIONS: dict[str, Callable[[HttpRequest, Incident, User], HttpResponse | None]] = {
    "triage": _triage,
    "note": _note,
    "suspend": _suspend,
    "compute-affected": _compute,
    "review-client": _review_client,
    "notice-content": _notice_content,
    "compose-notices": _compose,
    "authority-report": _authority_report,
    "review": _review,
    "close": _close,
    "offboard-suspect": _hook("offboard_user"),
    "revoke-grants": _hook("revoke_grants"),
    "rotate-keys": _hook("rotate_client_keys"),
}


@require_POST
@capability_required(DESK)
def incident_action_view(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    """One step on an incident; a refused step shows its reason and changes nothing."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    incident = get_object_or_404(Incident, pk=incident_id)
    try:
        response = handler(request, incident, request_user(request))
    except ComplianceError as error:
        messages.error(request, str(error))
        response = None
    return response or redirect("staff:compliance:incident", incident_id=incident.pk)


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def breach_notice_view(request: HttpRequest, notice_id: UUID) -> HttpResponse:
    """The officer reviews one client's notice: completes what concerns this client, then publishes."""
    notice = get_object_or_404(BreachNotice.objects.select_related("incident"), pk=notice_id)
    actor = request_user(request)
    form = NoticeReviewForm(request.POST or None, initial={"client_details": notice.client_details})
    if request.method == "POST" and form.is_valid():
        try:
            if notice.is_published:
                raise ComplianceError(_("This notice is already published and can no longer be changed."))
            notice = incidents.revise_breach_notice(
                notice, client_details=form.cleaned_data["client_details"], actor=actor
            )
            if request.POST.get("publish"):
                incidents.publish_breach_notice(notice, actor=actor)
                messages.success(request, _("Notice published to the client."))
                return redirect("staff:compliance:incident", incident_id=notice.incident_id)
            messages.success(request, _("Notice saved."))
            return redirect("staff:compliance:breach-notice", notice_id=notice.pk)
        except ComplianceError as error:
            form.add_error(None, str(error))
    audit.record_access(
        request=request,
        action="view",
        client_ref=notice.client_ref,
        object_type="compliance.breachnotice",
        object_ids=[str(notice.pk)],
        purpose="compliance officer reviews a breach notice",
    )
    return render(request, "compliance/breach_notice_review.html", {"notice": notice, "form": form})
