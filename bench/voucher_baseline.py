"""The baseline of the voucher-page benchmark (bench/bench_voucher_page.py), mounted only by the
benchmark's own settings (`bench.settings_voucher_baseline`), never by FirmPortal's URLconf.

It serves the same voucher page as `clients.views.voucher_detail`, from the same rows through the
same middleware and template, with the three layers under test switched off: no access layer (no
assignment, object-permission or gate check: plain querysets), no decryption (each worker keeps
the page's plaintext in memory from its first request and puts it in place of the encrypted
attributes), and no access event.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.decorators import staff_required
from clients.forms import DocumentUploadForm
from clients.models import Client, Document, DocumentStatus, Voucher, VoucherState
from confidentiality.fields import EncryptedField
from firmportal import urls as product_urls

# (model label, pk) -> {plain attribute key: plaintext}: the "plaintext fixture", per worker process.
_PLAIN: dict[tuple[str, Any], dict[str, Any]] = {}
_LOCK = threading.Lock()


def _encrypted(obj: models.Model) -> list[EncryptedField]:
    return [f for f in obj._meta.concrete_fields if isinstance(f, EncryptedField)]


def _plain(obj: models.Model | None) -> None:
    """Give `obj` its plaintext without decrypting (after the first time this worker saw the row)."""
    if obj is None:
        return
    key = (obj._meta.label_lower, obj.pk)
    values = _PLAIN.get(key)
    if values is None:
        with _LOCK:
            values = {f.plain_key: getattr(obj, f.attname) for f in _encrypted(obj)}  # decrypts, once
            _PLAIN[key] = values
    obj.__dict__.update(values)


@staff_required
def voucher_detail_plain(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    client = Client.objects.get(pk=client_id)
    voucher = Voucher.objects.select_related("period", "preparer", "reviewer", "poster").get(
        pk=voucher_id, client_id=client_id
    )
    lines = list(voucher.lines.select_related("account", "account__parent"))
    reversal = Voucher.objects.filter(reverses=voucher).first()
    # A bookkeeper assigned to the client sees and manages its documents (decided here, not asked).
    linked_documents = list(voucher.documents.order_by("uploaded_at", "pk"))
    unlinked_documents = list(
        Document.objects.filter(client_id=client_id, voucher__isnull=True)
        .exclude(status=DocumentStatus.REJECTED)
        .order_by("-uploaded_at", "pk")[:200]
    )
    for obj in [client, voucher, reversal, *lines, *[line.account for line in lines], *linked_documents]:
        _plain(obj)
    for document in unlinked_documents:
        _plain(document)
    # The buttons the real page shows a bookkeeper assigned to the client (the benchmark's user),
    # decided here without asking the access layer.
    return render(
        request,
        "clients/voucher_detail.html",
        {
            "client": client,
            "voucher": voucher,
            "lines": lines,
            "debit_total": sum((line.debit or 0 for line in lines), 0),
            "credit_total": sum((line.credit or 0 for line in lines), 0),
            "reversal": reversal,
            "linked_documents": linked_documents,
            "unlinked_documents": unlinked_documents,
            "can_manage_documents": True,
            "upload_form": DocumentUploadForm(
                initial={
                    "fiscal_year": voucher.fiscal_year,
                    "archive_category": "source_voucher",
                    "voucher": voucher.pk,
                }
            ),
            "can_edit": voucher.state == VoucherState.DRAFT and voucher.preparer_id == request.user.pk,
            "can_review": False,
            "can_post": False,
            "can_return": False,
            "can_reverse": voucher.state == VoucherState.POSTED and voucher.kind == "normal" and reversal is None,
        },
    )


urlpatterns = [
    path(
        "staff/bench/voucher-plain/<uuid:client_id>/<uuid:voucher_id>/",
        voucher_detail_plain,
        name="bench-voucher-plain",
    ),
    *product_urls.urlpatterns,
]
handler400 = product_urls.handler400
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500
