"""The portal's documents page: upload (drag and drop, several files, progress per file), the company's
uploads with their status, what the firm shared, and the firm's open requests.

Owners and finance contacts upload (`upload_documents`); a delegate whose scope includes documents
reads and downloads (`view_documents`); anyone else gets 404. The company is found through
`portal.selection.portal_client`, each document through the access layer.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import client_required
from audit import services as audit
from clients import documents
from clients.document_views import stream_document, upload_outcome
from clients.forms import PortalUploadForm
from clients.keycache import preload_for
from clients.models import Client, Document, DocumentOrigin, DocumentRequest, DocumentRequestStatus
from clients.uploads import SizeLimitUploadHandler, limited_upload_handlers
from confidentiality import access
from portal.selection import my_clients, portal_client

VIEW = "clients.view_documents"
UPLOAD = "clients.upload_documents"
LIST_LIMIT = 200


def _company(request: HttpRequest, perm: str) -> Client:
    client = portal_client(request, perm=perm)
    if client is None:
        raise Http404
    return client


def open_requests_for(client: Client) -> list[DocumentRequest]:
    """The firm's open document requests of a company, descriptions ready to show (one key query)."""
    rows = list(
        DocumentRequest.objects.filter(client=client, status=DocumentRequestStatus.OPEN).order_by("due_date", "pk")
    )
    preload_for(rows, "description")
    return rows


@require_GET
@client_required
def documents_page(request: HttpRequest) -> HttpResponse:
    client = _company(request, VIEW)
    # The documents page lists uploads and what was shared; a posted voucher's documents are shown
    # with the voucher (books), and downloadable here too (Document.visible_in_portal).
    visible = Document.objects.filter(client=client).filter(
        Q(origin=DocumentOrigin.CLIENT) | Q(shared_at__isnull=False)
    )
    uploaded = list(
        visible.filter(origin=DocumentOrigin.CLIENT)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "pk")[:LIST_LIMIT]
    )
    shared = list(visible.filter(origin=DocumentOrigin.FIRM).order_by("-shared_at", "pk")[:LIST_LIMIT])
    requests = open_requests_for(client)
    preload_for(uploaded + shared, "title", "original_name", "status_reason")
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type="clients.document",
        object_ids=[str(d.pk) for d in uploaded + shared],
        purpose="client portal documents",
    )
    can_upload = bool(request.user.has_perm(UPLOAD, client))  # type: ignore[union-attr]
    wanted = request.GET.get("request", "")
    today = timezone.localdate()
    return render(
        request,
        "portal/documents/documents.html",
        {
            "client": client,
            "clients": my_clients(request),
            "uploaded": uploaded,
            "shared": shared,
            "open_requests": requests,
            "can_upload": can_upload,
            "form": PortalUploadForm(
                initial={"fiscal_year": today.year, "archive_category": "source_voucher", "request": wanted or None}
            ),
            "max_bytes": documents.max_upload_bytes(),
            "allowed": ",".join(f".{e}" for e in documents.ALLOWED_EXTENSIONS),
            "limit": LIST_LIMIT,
        },
    )


@csrf_exempt  # checked below, after the upload handlers are set (the CSRF check reads the body)
@require_POST
@client_required
def documents_upload(request: HttpRequest) -> HttpResponse:
    request.upload_handlers = limited_upload_handlers(request, limit=documents.max_upload_bytes())
    return csrf_protect(_documents_upload)(request)


def _documents_upload(request: HttpRequest) -> HttpResponse:
    client = _company(request, UPLOAD)
    form = PortalUploadForm(request.POST)
    limiter = next(h for h in request.upload_handlers if isinstance(h, SizeLimitUploadHandler))
    target = redirect(f"{_page_url()}?client={client.pk}")
    if not form.is_valid():
        return upload_outcome(request, target, error=ValidationError(_("Choose a fiscal year and a kind of document.")))
    document_request = None
    if form.cleaned_data.get("request"):
        document_request = access.get_object_for_user(
            request, DocumentRequest, form.cleaned_data["request"], perm=UPLOAD
        )
        if document_request.client_id != client.pk:
            raise Http404
    try:
        stored = documents.upload_documents(
            client=client,
            uploaded_files=request.FILES.getlist("file"),
            refused_names=limiter.refused,
            title="",
            fiscal_year=form.cleaned_data["fiscal_year"],
            archive_category=form.cleaned_data["archive_category"],
            document_request=document_request,
            actor=request.user,
        )
    except ValidationError as exc:
        return upload_outcome(request, target, error=exc)
    return upload_outcome(request, target, stored=stored)


def _page_url() -> str:
    from django.urls import reverse

    return reverse("portal:documents")


@require_GET
@client_required
def document_download(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    document = access.get_object_for_user(request, Document.objects.select_related("client"), document_id, perm=VIEW)
    if not document.visible_in_portal:
        # The firm's working papers are not the client's until shared: as if missing.
        access.record_denied(
            request, client_id=document.client_id, object_type="clients.document", object_ids=[str(document.pk)]
        )
        raise Http404
    return stream_document(request, document.client, document, purpose="client portal download")
