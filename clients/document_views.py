"""Staff document pages (/staff/clients/<client>/documents/...): upload several files at once, the
paged list, download, link to a voucher, mark booked, reject, share with the client, and requests
for documents. Lookups go through confidentiality.access (forbidden looks like missing); each page
writes one access event."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_required
from audit import services as audit
from clients import documents
from clients.forms import DocumentRequestForm, DocumentUploadForm, LinkDocumentForm, RejectDocumentForm
from clients.keycache import preload_for
from clients.models import (
    ArchiveCategory,
    Client,
    Document,
    DocumentOrigin,
    DocumentRequest,
    DocumentRequestStatus,
    DocumentStatus,
    Voucher,
)
from clients.uploads import SizeLimitUploadHandler, limited_upload_handlers
from confidentiality import access

PAGE_SIZE = 50
VIEW = "clients.view_documents"
MANAGE = "clients.upload_documents"


def _client(request: HttpRequest, client_id: uuid.UUID, perm: str) -> Client:
    return access.get_client_for_user(request, client_id, perm=perm)


def _document(request: HttpRequest, client: Client, document_id: uuid.UUID, perm: str) -> Document:
    document = access.get_object_for_user(request, Document, document_id, perm=perm)
    if document.client_id != client.pk:
        raise Http404
    return document


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(client: Client) -> HttpResponse:
    return redirect("clients:documents", client_id=client.pk)


def stream_document(request: HttpRequest, client: Client, document: Document, *, purpose: str) -> HttpResponse:
    """The decrypted file as an attachment (streamed, constant memory), with its download access event."""
    try:
        chunks = documents.open_decrypted(document)
    except ValidationError as exc:
        raise Http404 from exc
    audit.record_access(
        request=request,
        action="download",
        client_ref=str(client.pk),
        object_type="clients.document",
        object_ids=[str(document.pk)],
        purpose=purpose,
    )
    response = StreamingHttpResponse(chunks, content_type=document.content_type or "application/octet-stream")
    name = str(document.original_name or f"document-{str(document.pk)[:8]}")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Content-Length"] = str(document.size)
    # Even a file that is also HTML is never rendered by us.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    # Typed as HttpResponse for the area decorators (they only pass the response through).
    return cast(HttpResponse, response)


@require_GET
@staff_required
def document_list(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, VIEW)
    queryset = Document.objects.filter(client=client).select_related("voucher", "voucher__period", "uploaded_by")
    status = request.GET.get("status", "")
    if status in DocumentStatus.values:
        queryset = queryset.filter(status=status)
    origin = request.GET.get("origin", "")
    if origin in DocumentOrigin.values:
        queryset = queryset.filter(origin=origin)
    page = Paginator(queryset.order_by("-uploaded_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    open_requests = list(
        DocumentRequest.objects.filter(client=client, status=DocumentRequestStatus.OPEN).order_by("due_date", "pk")
    )
    preload_for(rows, "title", "original_name", "status_reason")
    preload_for(open_requests, "description")
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type="clients.document",
        object_ids=[str(d.pk) for d in rows],
        purpose="staff document list",
    )
    can_manage = bool(request.user.has_perm(MANAGE, client))  # type: ignore[union-attr]
    return render(
        request,
        "clients/document_list.html",
        {
            "client": client,
            "page": page,
            "documents": rows,
            "open_requests": open_requests,
            "status": status,
            "origin": origin,
            "statuses": DocumentStatus.choices,
            "origins": DocumentOrigin.choices,
            "can_manage": can_manage,
            "upload_form": DocumentUploadForm(
                initial={"fiscal_year": timezone.localdate().year, "archive_category": ArchiveCategory.SOURCE_VOUCHER}
            ),
            "request_form": DocumentRequestForm(),
            "reject_form": RejectDocumentForm(),
            "max_bytes": documents.max_upload_bytes(),
            "allowed": ",".join(f".{e}" for e in documents.ALLOWED_EXTENSIONS),
        },
    )


@csrf_exempt  # checked below, after the upload handlers are set (the CSRF check reads the body)
@require_POST
@staff_required
def document_upload(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    request.upload_handlers = limited_upload_handlers(request, limit=documents.max_upload_bytes())
    return csrf_protect(_document_upload)(request, client_id)


def _document_upload(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, MANAGE)
    form = DocumentUploadForm(request.POST)
    limiter = next(h for h in request.upload_handlers if isinstance(h, SizeLimitUploadHandler))
    voucher = None
    if form.is_valid() and form.cleaned_data.get("voucher"):
        voucher = access.get_object_for_user(request, Voucher, form.cleaned_data["voucher"], perm=MANAGE)
        if voucher.client_id != client.pk:
            raise Http404
    target = (
        redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk) if voucher else _back(client)
    )
    if not form.is_valid():
        return upload_outcome(
            request, target, error=ValidationError(_("Choose a fiscal year and an archive category."))
        )
    try:
        stored = documents.upload_documents(
            client=client,
            uploaded_files=request.FILES.getlist("file"),
            refused_names=limiter.refused,
            title=form.cleaned_data["title"],
            fiscal_year=form.cleaned_data["fiscal_year"],
            archive_category=form.cleaned_data["archive_category"],
            voucher=voucher,
            actor=request.user,
        )
    except ValidationError as exc:
        return upload_outcome(request, target, error=exc)
    return upload_outcome(request, target, stored=stored)


def wants_json(request: HttpRequest) -> bool:
    """static/js/uploads.js sends each file on its own XMLHttpRequest and reads a JSON answer."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def upload_outcome(
    request: HttpRequest,
    target: HttpResponse,
    *,
    stored: list[Document] | None = None,
    error: ValidationError | None = None,
) -> HttpResponse:
    """JSON for the script (400 with the messages when refused), else messages and a redirect."""
    if error is not None:
        if wants_json(request):
            return JsonResponse({"ok": False, "errors": [str(m) for m in error.messages]}, status=400)
        messages.error(request, _("Nothing was uploaded."))
        _errors(request, error)
        return target
    stored = stored or []
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "documents": [
                    {"id": str(d.pk), "status": d.status, "status_label": str(d.get_status_display())} for d in stored
                ],
            }
        )
    messages.success(request, _("%(n)d documents uploaded.") % {"n": len(stored)})
    return target


@require_GET
@staff_required
def document_download(request: HttpRequest, client_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, VIEW)
    document = _document(request, client, document_id, VIEW)
    return stream_document(request, client, document, purpose="staff document download")


def _document_action(request: HttpRequest, client_id: uuid.UUID, document_id: uuid.UUID, action: Any) -> HttpResponse:
    client = _client(request, client_id, MANAGE)
    document = _document(request, client, document_id, MANAGE)
    try:
        message = action(document)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, message)
    return _back(client)


@require_POST
@staff_required
def document_book(request: HttpRequest, client_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    def act(document: Document) -> str:
        documents.mark_document_booked(document=document, actor=request.user)
        return _("Document marked booked.")

    return _document_action(request, client_id, document_id, act)


@require_POST
@staff_required
def document_share(request: HttpRequest, client_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    def act(document: Document) -> str:
        documents.share_document_with_client(document=document, actor=request.user)
        return _("Document shared: the client can download it in the portal.")

    return _document_action(request, client_id, document_id, act)


@require_POST
@staff_required
def document_reject(request: HttpRequest, client_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    form = RejectDocumentForm(request.POST)

    def act(document: Document) -> str:
        if not form.is_valid():
            raise ValidationError(_("Give the reason for rejecting the document."))
        documents.reject_document(document=document, reason=form.cleaned_data["reason"], actor=request.user)
        return _("Document rejected; the client sees the reason.")

    return _document_action(request, client_id, document_id, act)


@require_POST
@staff_required
def voucher_document_link(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, MANAGE)
    voucher = access.get_object_for_user(request, Voucher, voucher_id, perm=MANAGE)
    if voucher.client_id != client.pk:
        raise Http404
    form = LinkDocumentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a document to link."))
    else:
        document = _document(request, client, form.cleaned_data["document"], MANAGE)
        try:
            documents.link_document_to_voucher(document=document, voucher=voucher, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Document linked to voucher %(label)s.") % {"label": voucher.label})
    return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)


@require_POST
@staff_required
def document_request_create(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, MANAGE)
    form = DocumentRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say which document you need (at most 500 characters) and give a valid date."))
        return _back(client)
    try:
        documents.create_document_request(
            client=client,
            description=form.cleaned_data["description"],
            due_date=form.cleaned_data["due_date"],
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Request sent: the client was told by e-mail that a document is needed."))
    return _back(client)


@require_POST
@staff_required
def document_request_cancel(request: HttpRequest, client_id: uuid.UUID, request_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, MANAGE)
    document_request = access.get_object_for_user(request, DocumentRequest, request_id, perm=MANAGE)
    if document_request.client_id != client.pk:
        raise Http404
    try:
        documents.cancel_document_request(document_request=document_request, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Request cancelled."))
    return _back(client)
