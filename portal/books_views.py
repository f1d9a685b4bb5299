"""Books and reports in the client portal: statements of closed periods, posted vouchers, their documents.

Who: the company's own users and delegates whose scope includes the reports (`clients.view_books`);
the source documents attached to a voucher also need `clients.view_documents`. The company and every
object are found through the access layer (forbidden looks like missing), and each page or download
writes one access event naming what was shown.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import PurePath

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import client_required, refuse
from audit import services as audit
from clients import exports, reports
from clients.keycache import preload_for
from clients.models import AccountingPeriod, Client, Document, Voucher, VoucherState
from confidentiality import access, files
from confidentiality.crypto import DecryptionError
from confidentiality.models import StoredFile
from portal import queries
from portal.forms import PeriodForm
from portal.selection import my_clients, portal_client

BOOKS = "clients.view_books"
DOCUMENTS = "clients.view_documents"
VOUCHERS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Served with their own type (as attachments); anything else goes out as octet-stream.
SAFE_DOWNLOAD_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/tiff", XLSX, "application/vnd.ms-excel", "text/csv"}
)


def _books_client(request: HttpRequest) -> Client:
    """The company whose books are shown: `?client=` or the first one; 404 without the books permission."""
    client = portal_client(request, perm=BOOKS)
    if client is None:
        raise refuse(request, reason="clients.books")
    return client


def _record(
    request: HttpRequest, client_id: object, action: str, object_type: str, ids: list[str], purpose: str
) -> None:
    audit.record_access(
        request=request,
        action=action,
        client_ref=str(client_id),
        object_type=object_type,
        object_ids=ids,
        purpose=purpose,
    )


def _label(period: AccountingPeriod) -> str:
    return f"{period.year}-{period.month:02d}"


def _chosen_period(request: HttpRequest, client: Client) -> tuple[PeriodForm, AccountingPeriod | None, bool]:
    """The closed period asked for (`?period=YYYY-MM`), the newest closed one by default.

    Returns the form (with its error when the choice is not a closed period of this company), the
    period or None, and whether the company has any closed period at all.
    """
    periods = queries.closed_periods(client)
    choices = [(_label(p), _label(p)) for p in periods]
    wanted = request.GET.get("period")
    if wanted is None and choices:
        wanted = choices[0][0]
    form = PeriodForm({"period": wanted} if wanted is not None else None, periods=choices)
    if not choices or not form.is_valid():
        return form, None, bool(choices)
    chosen = form.cleaned_data["period"]
    return form, next(p for p in periods if _label(p) == chosen), True


def _format(request: HttpRequest) -> str:
    kind = request.GET.get("format", "")
    return kind if kind in ("xlsx", "pdf") else ""


def _download(table: exports.ReportTable, filename: str, kind: str) -> HttpResponse:
    if kind == "xlsx":
        response = HttpResponse(exports.to_xlsx(table), content_type=XLSX)
    else:
        response = HttpResponse(exports.to_pdf(table), content_type="application/pdf")
    # No company name in the file name: it travels into download histories and logs.
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response


def _report(
    request: HttpRequest,
    *,
    name: str,
    title: str,
    template: str,
    build: Callable[[Client, AccountingPeriod], object],
    table: Callable[[object, str], exports.ReportTable],
) -> HttpResponse:
    client = _books_client(request)
    form, period, has_periods = _chosen_period(request, client)
    if period is not None:
        access.refuse_locked_year(request, client, period.year)
    kind = _format(request) if period is not None else ""
    ids = [_label(period)] if period is not None else []
    _record(
        request,
        client.pk,
        "export" if kind else "view",
        f"clients.report.{name}",
        ids,
        f"client portal: {name}" + (f" ({kind})" if kind else ""),
    )
    report = build(client, period) if period is not None else None
    if kind and period is not None:
        return _download(table(report, client.name), f"{name}-{_label(period)}", kind)
    return render(
        request,
        template,
        {
            "client": client,
            "clients": my_clients(request),
            "form": form,
            "period": period,
            "has_periods": has_periods,
            "report": report,
            "title": title,
            "report_url": f"portal:books-{name}",
        },
    )


@require_GET
@client_required
def books_index(request: HttpRequest) -> HttpResponse:
    client = _books_client(request)
    periods = queries.closed_periods(client)
    _record(
        request,
        client.pk,
        "view",
        "clients.accountingperiod",
        [_label(p) for p in periods],
        "client portal: closed periods",
    )
    return render(
        request,
        "portal/books/index.html",
        {"client": client, "clients": my_clients(request), "periods": periods},
    )


@require_GET
@client_required
def balance_sheet(request: HttpRequest) -> HttpResponse:
    return _report(
        request,
        name="balance-sheet",
        title=_("Balance sheet"),
        template="portal/books/statement.html",
        build=lambda c, p: reports.balance_sheet(c, year=p.year, month=p.month),
        table=lambda r, n: exports.statement_table(r, n),  # type: ignore[arg-type]
    )


@require_GET
@client_required
def income_statement(request: HttpRequest) -> HttpResponse:
    return _report(
        request,
        name="income-statement",
        title=_("Income statement"),
        template="portal/books/statement.html",
        build=lambda c, p: reports.income_statement(c, year=p.year, month=p.month),
        table=lambda r, n: exports.statement_table(r, n),  # type: ignore[arg-type]
    )


@require_GET
@client_required
def trial_balance(request: HttpRequest) -> HttpResponse:
    return _report(
        request,
        name="trial-balance",
        title=_("Trial balance"),
        template="portal/books/trial_balance.html",
        build=lambda c, p: reports.trial_balance(c, year=p.year, month_from=p.month, month_to=p.month),
        table=lambda r, n: exports.trial_balance_table(r, n),  # type: ignore[arg-type]
    )


@require_GET
@client_required
def voucher_list(request: HttpRequest) -> HttpResponse:
    """Posted vouchers, newest first, a page at a time; one access event lists the vouchers shown."""
    client = _books_client(request)
    vouchers_qs = (
        Voucher.objects.filter(client=client, state=VoucherState.POSTED)
        .select_related("period")
        .order_by("-period__year", "-period__month", "-number")
    )
    page = Paginator(vouchers_qs, VOUCHERS_PER_PAGE).get_page(request.GET.get("page"))
    vouchers = list(page.object_list)
    preload_for(vouchers, "total")
    _record(request, client.pk, "view", "clients.voucher", [str(v.pk) for v in vouchers], "client portal: vouchers")
    return render(
        request,
        "portal/books/voucher_list.html",
        {"client": client, "clients": my_clients(request), "page": page, "vouchers": vouchers},
    )


def _posted_voucher(request: HttpRequest, voucher_id: uuid.UUID) -> Voucher:
    queryset = Voucher.objects.filter(state=VoucherState.POSTED).select_related(
        "client", "period", "reverses", "reverses__period"
    )
    return access.get_object_for_user(request, queryset, voucher_id, perm=BOOKS)


@require_GET
@client_required
def voucher_detail(request: HttpRequest, voucher_id: uuid.UUID) -> HttpResponse:
    voucher = _posted_voucher(request, voucher_id)
    client = voucher.client
    lines = list(voucher.lines.select_related("account", "account__parent").order_by("position"))
    can_see_documents = access.has_client_perm(request.user, DOCUMENTS, client)
    documents = (
        list(Document.objects.filter(client=client, voucher=voucher).order_by("uploaded_at"))
        if can_see_documents
        else []
    )
    reversal = Voucher.objects.filter(reverses=voucher, state=VoucherState.POSTED).select_related("period").first()
    _record(request, client.pk, "view", "clients.voucher", [str(voucher.pk)], "client portal: voucher detail")
    return render(
        request,
        "portal/books/voucher_detail.html",
        {
            "client": client,
            "voucher": voucher,
            "lines": lines,
            "debit_total": sum((line.debit or 0 for line in lines), 0),
            "credit_total": sum((line.credit or 0 for line in lines), 0),
            "documents": documents,
            "can_see_documents": can_see_documents,
            "reversal": reversal,
        },
    )


_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def _download_name(document: Document) -> str:
    """document-1a2b3c4d.pdf: the extension of the original name when it is a plain one, nothing else of it."""
    suffix = PurePath(str(document.original_name or "").replace("\\", "/")).suffix
    return f"document-{str(document.pk)[:8]}{suffix.lower() if _EXTENSION.match(suffix) else ''}"


@require_GET
@client_required
def voucher_document_download(request: HttpRequest, voucher_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    """A source document attached to a posted voucher, decrypted as it streams out."""
    queryset = Document.objects.filter(voucher_id=voucher_id, voucher__state=VoucherState.POSTED)
    document = access.get_object_for_user(request, queryset, document_id, perm=DOCUMENTS)
    if not access.has_client_perm(request.user, BOOKS, document.client_id):
        raise refuse(request, reason="clients.books")
    stored = StoredFile.objects.filter(pk=document.stored_file_id).first() if document.stored_file_id else None
    if stored is None:
        raise Http404  # a paper original: no file is kept
    try:
        chunks = files.open_decrypted(stored)
    except DecryptionError as exc:
        raise Http404 from exc  # the failure is reported to the compliance desk by the decryption itself
    _record(
        request,
        document.client_id,
        "download",
        "clients.document",
        [str(document.pk)],
        "client portal: voucher document",
    )
    content_type = document.content_type if document.content_type in SAFE_DOWNLOAD_TYPES else "application/octet-stream"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_download_name(document)}"'
    response["Content-Length"] = str(stored.size)
    # Streamed (constant memory); the view decorators are typed for plain HttpResponses only.
    return response  # type: ignore[return-value]
