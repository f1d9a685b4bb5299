"""Client-care pages: secure messages (portal and staff), privacy complaints, the satisfaction survey.

Thin views: decorators for area and role, lookups through `clientcare.queries` (the access layer),
a form, one service, one access event per page that shows client data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, client_required, staff_required
from audit import services as audit
from clientcare import queries, reports, services
from clientcare.attachments import AttachmentSizeLimitHandler
from clientcare.forms import (
    ComplaintAnswerForm,
    ComplaintForm,
    ComplaintStatusForm,
    MessageForm,
    SurveyFilterForm,
    SurveyForm,
)
from clientcare.models import (
    SURVEY_QUESTIONS,
    Complaint,
    ComplaintStatus,
    Message,
    SurveyInvitation,
    SurveyResponse,
    Thread,
)
from clients.keycache import preload_for
from clients.models import Client
from compliance.decorators import compliance_gate_required
from confidentiality import access
from confidentiality.files import open_decrypted
from confidentiality.uploads import EncryptingTemporaryFileUploadHandler
from portal.selection import portal_client

View = Callable[..., Any]
DESK = "view_compliance_desk"
INBOX_LIMIT = 200


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def with_attachment_uploads(view: View) -> View:
    """Set the upload handlers before anything reads the body (then check CSRF as usual): files stop
    at the size limit, stay in memory up to Django's limit, and beyond it reach the disk only as
    ciphertext under a key that dies with the request (`confidentiality.uploads`)."""
    protected = csrf_protect(view)

    @csrf_exempt  # checked by `protected`, after the handlers are set
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [
            AttachmentSizeLimitHandler(request),
            MemoryFileUploadHandler(request),
            EncryptingTemporaryFileUploadHandler(request),
        ]
        return protected(request, *args, **kwargs)

    return wrapper


def _message_form(request: HttpRequest, *, with_subject: bool = False) -> MessageForm:
    if request.method != "POST":
        return MessageForm(with_subject=with_subject)
    return MessageForm(
        request.POST,
        request.FILES,
        with_subject=with_subject,
        oversized=int(getattr(request, "clientcare_oversized", 0)),
    )


def _record(
    request: HttpRequest, *, action: str, client_ref: Any, object_type: str, ids: list[Any], purpose: str
) -> None:
    audit.record_access(
        request=request,
        action=action,
        client_ref=str(client_ref or ""),
        object_type=object_type,
        object_ids=[str(i) for i in ids],
        purpose=purpose,
    )


# --- Secure messages: shared pieces -------------------------------------------------------------------------


def _thread_context(request: HttpRequest, thread: Thread, form: MessageForm | None) -> dict[str, Any]:
    """The thread with its messages, attachments and read receipts; marks it read; one access event."""
    user = request.user
    thread_messages = list(
        Message.objects.filter(thread=thread).select_related("sender").prefetch_related("attachments")
    )
    attachments = [a for m in thread_messages for a in m.attachments.all()]
    preload_for([thread, thread.client, *thread_messages, *attachments], "subject", "body", "name")
    receipts = queries.read_receipts(thread)
    entries = []
    for message in thread_messages:
        readers = [r.user for r in receipts if r.read_at >= message.created_at and r.user_id != message.sender_id]
        entries.append({"message": message, "attachments": list(message.attachments.all()), "readers": readers})
    services.mark_thread_read(thread=thread, user=user)
    _record(
        request,
        action="view",
        client_ref=thread.client_id,
        object_type="clientcare.thread",
        ids=[thread.pk],
        purpose="secure messages",
    )
    can_write = queries.can_write_messages(user, thread.client_id)
    return {
        "thread": thread,
        "client": thread.client,
        "entries": entries,
        "form": (form or MessageForm()) if can_write else None,
        "can_write": can_write,
    }


def _download(request: HttpRequest, attachment_id: UUID) -> StreamingHttpResponse:
    attachment = queries.get_attachment_for_user(request, attachment_id)
    chunks = open_decrypted(attachment.stored_file)
    _record(
        request,
        action="download",
        client_ref=attachment.client_id,
        object_type="clientcare.attachment",
        ids=[attachment.pk],
        purpose="secure messages",
    )
    response = StreamingHttpResponse(chunks, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name) or "attachment"
    response["Content-Length"] = str(attachment.size)
    response["Cache-Control"] = "no-store"
    return response


# --- Secure messages: portal -----------------------------------------------------------------------------------


def _portal_client_for_messages(request: HttpRequest, *, write: bool = False) -> Client | None:
    client = portal_client(request)
    if client is None:
        return None
    allowed = queries.can_write_messages if write else queries.can_read_messages
    if not allowed(request.user, client.pk):
        access.record_denied(request, client_id=client.pk, object_type="clientcare.thread")
        raise Http404
    return client


@require_GET
@client_required
def portal_messages(request: HttpRequest) -> HttpResponse:
    client = _portal_client_for_messages(request)
    companies = list(queries.message_clients(request.user).order_by("created_at", "pk"))
    threads: list[Thread] = []
    if client is not None:
        threads = list(queries.threads_for(request.user, Client.objects.filter(pk=client.pk)))
        preload_for([*threads, *companies], "subject", "name")
        _record(
            request,
            action="view",
            client_ref=client.pk,
            object_type="clientcare.thread",
            ids=[t.pk for t in threads],
            purpose="secure messages",
        )
    return render(
        request,
        "clientcare/portal_messages.html",
        {
            "client": client,
            "companies": companies,
            "threads": threads,
            "can_write": client is not None and queries.can_write_messages(request.user, client.pk),
        },
    )


@with_attachment_uploads
@require_http_methods(["GET", "POST"])
@client_required
def portal_compose(request: HttpRequest) -> HttpResponse:
    client = _portal_client_for_messages(request, write=True)
    if client is None:
        raise Http404
    return _compose(request, client, template="clientcare/portal_compose.html", thread_url="portal:clientcare:thread")


@require_GET
@client_required
def portal_thread(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = queries.get_thread_for_user(request, thread_id)
    return render(request, "clientcare/portal_thread.html", _thread_context(request, thread, None))


def _compose(request: HttpRequest, client: Any, *, template: str, thread_url: str) -> HttpResponse:
    """A new thread with the client, from either side (the view has checked who may write)."""
    form = _message_form(request, with_subject=True)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.start_thread(
                client=client,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                actor=request.user,
                site_url=_site(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            flash.success(request, _("Your message was sent securely."))
            return redirect(thread_url, thread_id=thread.pk)
    return render(request, template, {"client": client, "form": form})


@with_attachment_uploads
@require_POST
@client_required
def portal_reply(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = queries.get_thread_for_user(request, thread_id, write=True)
    return _reply(request, thread, template="clientcare/portal_thread.html", thread_url="portal:clientcare:thread")


@require_GET
@client_required  # type: ignore[arg-type]  # a streaming response
def portal_attachment(request: HttpRequest, attachment_id: UUID) -> HttpResponseBase:
    return _download(request, attachment_id)


def _reply(request: HttpRequest, thread: Thread, *, template: str, thread_url: str) -> HttpResponse:
    form = _message_form(request)
    if form.is_valid():
        try:
            services.send_message(
                thread=thread,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                actor=request.user,
                site_url=_site(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            flash.success(request, _("Your message was sent securely."))
            return redirect(reverse(thread_url, kwargs={"thread_id": thread.pk}) + "#latest")
    return render(request, template, _thread_context(request, thread, form), status=400)


# --- Secure messages: staff ---------------------------------------------------------------------------------------


@require_GET
@staff_required
@compliance_gate_required
def staff_inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    clients = queries.message_clients(user)
    unread_only = request.GET.get("unread") == "1"
    threads_qs = queries.threads_for(user, clients)
    if unread_only:
        threads_qs = threads_qs.filter(unread__gt=0)  # type: ignore[misc]  # an annotation
    threads = list(threads_qs[:INBOX_LIMIT])
    companies = list(clients.order_by("created_at", "pk"))
    preload_for([*threads, *(t.client for t in threads), *companies], "subject", "name")
    shown_clients = {str(t.client_id) for t in threads}
    _record(
        request,
        action="view",
        client_ref=next(iter(shown_clients)) if len(shown_clients) == 1 else "",
        object_type="clientcare.thread",
        ids=[t.pk for t in threads],
        purpose="secure messages inbox",
    )
    return render(
        request,
        "clientcare/staff_inbox.html",
        {"threads": threads, "companies": companies, "unread_only": unread_only, "limit": INBOX_LIMIT},
    )


@with_attachment_uploads
@require_http_methods(["GET", "POST"])
@staff_required
@compliance_gate_required
def staff_compose(request: HttpRequest, client_id: UUID) -> HttpResponse:
    client = queries.get_client_for_messages(request, client_id, write=True)
    return _compose(request, client, template="clientcare/staff_compose.html", thread_url="staff:clientcare:thread")


@require_GET
@staff_required
@compliance_gate_required
def staff_thread(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = queries.get_thread_for_user(request, thread_id)
    return render(request, "clientcare/staff_thread.html", _thread_context(request, thread, None))


@with_attachment_uploads
@require_POST
@staff_required
@compliance_gate_required
def staff_reply(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = queries.get_thread_for_user(request, thread_id, write=True)
    return _reply(request, thread, template="clientcare/staff_thread.html", thread_url="staff:clientcare:thread")


@require_GET
@staff_required
@compliance_gate_required  # type: ignore[arg-type]  # a streaming response
def staff_attachment(request: HttpRequest, attachment_id: UUID) -> HttpResponseBase:
    return _download(request, attachment_id)


# --- Privacy complaints: portal -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@client_required
def portal_complaints(request: HttpRequest) -> HttpResponse:
    client = portal_client(request, owner_only=True)
    assert client is not None
    form = ComplaintForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.file_complaint(
                client=client,
                category=form.cleaned_data["category"],
                text=form.cleaned_data["text"],
                actor=request.user,
                site_url=_site(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            flash.success(
                request,
                _("Your complaint was received. The compliance officer will answer by %(date)s.")
                % {"date": complaint.deadline.isoformat()},
            )
            return redirect("portal:clientcare:complaint", complaint_id=complaint.pk)
    complaints = list(queries.complaints_for_client(client))
    _record(
        request,
        action="view",
        client_ref=client.pk,
        object_type="clientcare.complaint",
        ids=[c.pk for c in complaints],
        purpose="privacy complaints",
    )
    return render(
        request, "clientcare/portal_complaints.html", {"client": client, "complaints": complaints, "form": form}
    )


def _complaint_for_member(request: HttpRequest, complaint_id: UUID) -> Complaint:
    complaint = access.get_object_for_user(request, Complaint, complaint_id, perm=queries.VIEW)
    if not queries.is_member(request.user, complaint.client_id):
        access.record_denied(
            request, client_id=complaint.client_id, object_type="clientcare.complaint", object_ids=[str(complaint.pk)]
        )
        raise Http404
    return complaint


@require_GET
@client_required
def portal_complaint(request: HttpRequest, complaint_id: UUID) -> HttpResponse:
    complaint = _complaint_for_member(request, complaint_id)
    responses = list(complaint.responses.all())
    preload_for([complaint, *responses], "text")
    _record(
        request,
        action="view",
        client_ref=complaint.client_id,
        object_type="clientcare.complaint",
        ids=[complaint.pk],
        purpose="privacy complaints",
    )
    return render(request, "clientcare/portal_complaint.html", {"complaint": complaint, "responses": responses})


# --- Privacy complaints: compliance desk ------------------------------------------------------------------------------


@require_GET
@capability_required(DESK)
def desk_complaints(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    complaints_qs = Complaint.objects.select_related("client").order_by("deadline", "created_at")
    if status in ComplaintStatus.values:
        complaints_qs = complaints_qs.filter(status=status)
    elif status != "all":
        complaints_qs = complaints_qs.exclude(status=ComplaintStatus.CLOSED)
    complaints = list(complaints_qs[:500])
    preload_for([c.client for c in complaints], "name")
    clients = {str(c.client_id) for c in complaints}
    _record(
        request,
        action="view",
        client_ref=next(iter(clients)) if len(clients) == 1 else "",
        object_type="clientcare.complaint",
        ids=[c.pk for c in complaints],
        purpose="compliance desk: privacy complaints",
    )
    return render(
        request,
        "clientcare/desk_complaints.html",
        {"complaints": complaints, "status": status, "statuses": ComplaintStatus.choices},
    )


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def desk_complaint(request: HttpRequest, complaint_id: UUID) -> HttpResponse:
    complaint = queries.get_complaint_for_desk(request, complaint_id)
    answer_form = ComplaintAnswerForm(request.POST if request.POST.get("form") == "answer" else None)
    status_form = ComplaintStatusForm(request.POST if request.POST.get("form") == "status" else None)
    if request.method == "POST":
        try:
            if answer_form.is_bound and answer_form.is_valid():
                services.answer_complaint(
                    complaint=complaint,
                    text=answer_form.cleaned_data["text"],
                    close=answer_form.cleaned_data["close"],
                    actor=request.user,
                    site_url=_site(request),
                )
                flash.success(request, _("Answer sent. The client reads it in the portal."))
                return redirect("staff:clientcare:complaint", complaint_id=complaint.pk)
            if status_form.is_bound and status_form.is_valid():
                services.set_complaint_status(
                    complaint=complaint, status=status_form.cleaned_data["status"], actor=request.user
                )
                flash.success(request, _("Status changed."))
                return redirect("staff:clientcare:complaint", complaint_id=complaint.pk)
            if not (answer_form.is_bound or status_form.is_bound):
                flash.error(request, _("Nothing was changed."))
        except ValidationError as error:
            flash.error(request, " ".join(error.messages))
        except PermissionDenied:
            raise Http404 from None
    responses = list(complaint.responses.select_related("author"))
    preload_for([complaint, complaint.client, *responses], "text", "name")
    _record(
        request,
        action="view",
        client_ref=complaint.client_id,
        object_type="clientcare.complaint",
        ids=[complaint.pk],
        purpose="compliance desk: handling a privacy complaint",
    )
    return render(
        request,
        "clientcare/desk_complaint.html",
        {
            "complaint": complaint,
            "responses": responses,
            "answer_form": answer_form,
            "status_form": status_form,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Satisfaction survey ----------------------------------------------------------------------------------------------


@require_GET
@client_required
def portal_surveys(request: HttpRequest) -> HttpResponse:
    client = portal_client(request, owner_only=True)
    assert client is not None
    invitations = list(SurveyInvitation.objects.filter(client=client).order_by("-year", "-month"))
    _record(
        request,
        action="view",
        client_ref=client.pk,
        object_type="clientcare.surveyinvitation",
        ids=[i.pk for i in invitations],
        purpose="satisfaction survey",
    )
    return render(request, "clientcare/portal_surveys.html", {"client": client, "invitations": invitations})


@require_http_methods(["GET", "POST"])
@client_required
def portal_survey(request: HttpRequest, invitation_id: UUID) -> HttpResponse:
    invitation = access.get_object_for_user(request, SurveyInvitation, invitation_id, perm=queries.VIEW)
    if not queries.is_member(request.user, invitation.client_id):
        access.record_denied(
            request,
            client_id=invitation.client_id,
            object_type="clientcare.surveyinvitation",
            object_ids=[str(invitation.pk)],
        )
        raise Http404
    answer = SurveyResponse.objects.filter(invitation=invitation).first()
    form = SurveyForm(request.POST if request.method == "POST" and answer is None else None)
    if request.method == "POST":
        if answer is not None:
            flash.error(request, _("This survey has already been answered. Thank you!"))
            return redirect("portal:clientcare:survey", invitation_id=invitation.pk)
        if form.is_valid():
            try:
                services.submit_survey(
                    invitation=invitation,
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                raise Http404 from None
            else:
                flash.success(request, _("Thank you for your feedback!"))
                return redirect("portal:clientcare:survey", invitation_id=invitation.pk)
    _record(
        request,
        action="view",
        client_ref=invitation.client_id,
        object_type="clientcare.surveyinvitation",
        ids=[invitation.pk],
        purpose="satisfaction survey",
    )
    answers = []
    if answer is not None:
        answers = [(label, getattr(answer, name)) for name, label in SURVEY_QUESTIONS]
    return render(
        request,
        "clientcare/portal_survey.html",
        {"invitation": invitation, "answer": answer, "answers": answers, "form": form},
    )


@require_GET
@capability_required(DESK)
def desk_surveys(request: HttpRequest) -> HttpResponse:
    form = SurveyFilterForm(request.GET or None)
    year = form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None
    results = reports.survey_results(year=year)
    export = request.GET.get("format") == "xlsx"
    _record(
        request,
        action="export" if export else "view",
        client_ref="",
        object_type="clientcare.surveyresults",
        ids=[],
        purpose="compliance desk: satisfaction survey results",
    )
    if export:
        headers = [_("Month"), _("Surveys sent"), _("Answers"), *(str(label) for _n, label in SURVEY_QUESTIONS)]
        body = reports.results_xlsx(results, headers=headers, total_label=_("All months"))
        response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        name = f"survey-results-{year}.xlsx" if year else "survey-results.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    chart = reports.months_chart_svg(results, title=_("Overall satisfaction per month (average stars)"))
    return render(
        request, "clientcare/desk_surveys.html", {"form": form, "results": results, "chart": chart, "year": year}
    )
