"""Staff pages of the books (/staff/clients/...). Every lookup goes through confidentiality.access
(forbidden looks like missing); every page that shows client data records an access event."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, staff_required
from audit import services as audit
from clients import exports, importing, reports, services
from clients.forms import (
    MAX_IMPORT_BYTES,
    ClientForm,
    DocumentUploadForm,
    ImportForm,
    MonthForm,
    PeriodRangeForm,
    ReopenForm,
    VoucherEntry,
)
from clients.keycache import preload_for
from clients.models import (
    Account,
    AccountingPeriod,
    Client,
    Document,
    DocumentStatus,
    Engagement,
    Voucher,
    VoucherState,
)
from clients.uploads import InMemoryOnlyUploadHandler
from confidentiality import access, secret_fields

VOUCHER_LIST_LIMIT = 1000


def _record(request: HttpRequest, action: str, client: Client | None, object_type: str, ids: list[Any]) -> None:
    audit.record_access(
        request=request,
        action=action,
        client_ref=str(client.pk) if client is not None else "",
        object_type=object_type,
        object_ids=[str(i) for i in ids],
    )


def _client(request: HttpRequest, client_id: uuid.UUID, perm: str = "clients.view_books") -> Client:
    return access.get_client_for_user(request, client_id, perm=perm)


def _can(request: HttpRequest, perm: str, client: Client) -> bool:
    return bool(request.user.has_perm(perm, client))  # type: ignore[union-attr]


def _voucher(request: HttpRequest, client: Client, voucher_id: uuid.UUID, perm: str = "clients.view_books") -> Voucher:
    voucher = access.get_object_for_user(
        request, Voucher.objects.select_related("period", "preparer", "reviewer", "poster"), voucher_id, perm=perm
    )
    if voucher.client_id != client.pk:
        raise Http404
    return voucher


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# --- Clients ---------------------------------------------------------------------------------------------


@require_GET
@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    access.require_gate(request)
    clients = list(
        access.visible_clients(request.user).annotate(
            pending=Count("vouchers", filter=~Q(vouchers__state=VoucherState.POSTED), distinct=True)
        )
    )
    preload_for(clients, "name")
    _record(request, "list", None, "clients.client", [c.pk for c in clients])
    return render(request, "clients/client_list.html", {"clients": clients})


@require_http_methods(["GET", "POST"])
@capability_required("manage_clients")
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_client(
                name=data["name"],
                credit_code=data["credit_code"],
                taxpayer_type=data["taxpayer_type"],
                address=data["address"],
                contacts=[{"name": data["contact_name"], "phone": data["contact_phone"]}],
                bank_accounts=[{"bank": data["bank_name"], "account_number": data["bank_account"]}],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Client created. Assign staff to it so it appears in their lists."))
            return redirect("clients:list")
    return render(request, "clients/client_form.html", {"form": form})


@require_GET
@staff_required
def client_overview(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.view_client")
    engagement = Engagement.objects.filter(client=client).select_related("manager").first()
    periods = list(AccountingPeriod.objects.filter(client=client).order_by("-year", "-month")[:24])
    counts = dict(
        Voucher.objects.filter(client=client).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    bank_accounts = [
        {"bank": b.get("bank", ""), "masked": secret_fields.masked_tail(b.get("account_number", ""))}
        for b in (client.bank_accounts or [])
    ]
    _record(request, "view", client, "clients.client", [client.pk])
    return render(
        request,
        "clients/client_overview.html",
        {
            "client": client,
            "engagement": engagement,
            "periods": periods,
            "counts": counts,
            "bank_accounts": bank_accounts,
            "can_close": _can(request, "clients.review_vouchers", client),
            "can_reopen": request.user.has_perm("accounts.reopen_periods")  # type: ignore[union-attr]
            and _can(request, "clients.manage_client", client),
            "reopen_form": ReopenForm(),
        },
    )


# --- Vouchers --------------------------------------------------------------------------------------------


@require_GET
@staff_required
def voucher_list(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    # Through the access layer: vouchers of a locked volume (PIPL Art. 47) are not listed.
    vouchers_qs = (
        access.visible_to(request.user, Voucher.objects.filter(client=client), perm="clients.view_books")
        .select_related("period", "preparer", "reviewer", "poster")
        .annotate(line_count=Count("lines"))
        .order_by("-period__year", "-period__month", "-number")
    )
    state = request.GET.get("state", "")
    if state in VoucherState.values:
        vouchers_qs = vouchers_qs.filter(state=state)
    year = request.GET.get("year", "")
    if year.isdigit():
        vouchers_qs = vouchers_qs.filter(fiscal_year=int(year))
    vouchers = list(vouchers_qs[:VOUCHER_LIST_LIMIT])
    preload_for(vouchers, "total")
    _record(request, "list", client, "clients.voucher", [v.pk for v in vouchers])
    return render(
        request,
        "clients/voucher_list.html",
        {
            "client": client,
            "vouchers": vouchers,
            "states": VoucherState.choices,
            "state": state,
            "year": year,
            "limit": VOUCHER_LIST_LIMIT,
            "can_prepare": _can(request, "clients.prepare_vouchers", client),
        },
    )


def _accounts_by_code(client: Client) -> dict[str, Account]:
    return {a.code: a for a in services.postable_accounts(client)}


def _entry_context(client: Client, entry: VoucherEntry | None, voucher: Voucher | None = None) -> dict[str, Any]:
    rows = entry.rows if entry is not None else []
    if voucher is not None and entry is None:
        rows = [
            {
                "account": line.account.code,
                "summary": line.summary or "",
                "debit": f"{line.debit}" if line.debit is not None else "",
                "credit": f"{line.credit}" if line.credit is not None else "",
            }
            for line in voucher.lines.select_related("account")
        ]
    rows = rows + [{"account": "", "summary": "", "debit": "", "credit": ""}] * max(0, 6 - len(rows))
    return {
        "client": client,
        "voucher": voucher,
        "rows": rows,
        "date": (entry.data.get("date") if entry else None)
        or (voucher.date.isoformat() if voucher else timezone.localdate().isoformat()),
        "attachments_count": (entry.data.get("attachments_count") if entry else None)
        or (voucher.attachments_count if voucher else 0),
        "errors": entry.errors if entry else [],
    }


@require_http_methods(["GET", "POST"])
@staff_required
def voucher_create(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.prepare_vouchers")
    entry = None
    if request.method == "POST":
        entry = VoucherEntry(request.POST, _accounts_by_code(client))
        if entry.is_valid():
            assert entry.date is not None
            try:
                voucher = services.create_voucher(
                    client, date=entry.date, lines=entry.lines, attachments_count=entry.attachments, actor=request.user
                )
            except ValidationError as exc:
                entry.errors.extend(_errors(exc))
            else:
                messages.success(request, _("Voucher %(label)s saved as a draft.") % {"label": voucher.label})
                if "save_and_new" in request.POST:
                    return redirect("clients:voucher-create", client_id=client.pk)
                return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)
    _record(request, "view", client, "clients.client", [client.pk])
    return render(request, "clients/voucher_form.html", _entry_context(client, entry))


@require_http_methods(["GET", "POST"])
@staff_required
def voucher_edit(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.prepare_vouchers")
    voucher = _voucher(request, client, voucher_id, perm="clients.prepare_vouchers")
    if voucher.state != VoucherState.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)
    entry = None
    if request.method == "POST":
        entry = VoucherEntry(request.POST, _accounts_by_code(client))
        if entry.is_valid():
            assert entry.date is not None
            try:
                services.update_draft_voucher(
                    voucher, date=entry.date, lines=entry.lines, attachments_count=entry.attachments, actor=request.user
                )
            except ValidationError as exc:
                entry.errors.extend(_errors(exc))
            else:
                messages.success(request, _("Voucher saved."))
                return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)
    _record(request, "view", client, "clients.voucher", [voucher.pk])
    return render(request, "clients/voucher_form.html", _entry_context(client, entry, voucher))


@require_GET
@staff_required
def voucher_detail(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    voucher = _voucher(request, client, voucher_id)
    lines = list(voucher.lines.select_related("account", "account__parent"))
    reversal = Voucher.objects.filter(reverses=voucher).first()
    can_documents = _can(request, "clients.view_documents", client)
    linked_documents = list(voucher.documents.order_by("uploaded_at", "pk")) if can_documents else []
    can_manage_documents = _can(request, "clients.upload_documents", client)
    unlinked_documents = (
        list(
            Document.objects.filter(client=client, voucher__isnull=True)
            .exclude(status=DocumentStatus.REJECTED)
            .order_by("-uploaded_at", "pk")[:200]
        )
        if can_manage_documents
        else []
    )
    preload_for(linked_documents + unlinked_documents, "title")
    _record(request, "view", client, "clients.voucher", [voucher.pk])
    user = request.user
    can_review = _can(request, "clients.review_vouchers", client)
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
            "can_manage_documents": can_manage_documents,
            "upload_form": DocumentUploadForm(
                initial={
                    "fiscal_year": voucher.fiscal_year,
                    "archive_category": "source_voucher",
                    "voucher": voucher.pk,
                }
            ),
            "can_edit": voucher.state == VoucherState.DRAFT and voucher.preparer_id == user.pk,
            "can_review": can_review and voucher.state == VoucherState.DRAFT and voucher.preparer_id != user.pk,
            "can_post": can_review
            and voucher.state == VoucherState.REVIEWED
            and user.pk not in (voucher.preparer_id, voucher.reviewer_id),
            "can_return": can_review and voucher.state == VoucherState.REVIEWED,
            "can_reverse": _can(request, "clients.prepare_vouchers", client)
            and voucher.state == VoucherState.POSTED
            and voucher.kind == "normal"
            and reversal is None,
        },
    )


def _voucher_action(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID, perm: str, action: Any) -> Any:
    client = _client(request, client_id, perm=perm)
    voucher = _voucher(request, client, voucher_id, perm=perm)
    try:
        result = action(voucher)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)
    return result, client, voucher


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/staff/") and "//" not in target else default


@require_POST
@staff_required
def voucher_review(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    outcome = _voucher_action(
        request,
        client_id,
        voucher_id,
        "clients.review_vouchers",
        lambda v: services.review_voucher(v, actor=request.user),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    _result, client, voucher = outcome
    messages.success(request, _("Voucher %(label)s reviewed.") % {"label": voucher.label})
    return redirect(_next(request, reverse("clients:voucher-detail", args=[client.pk, voucher.pk])))


@require_POST
@staff_required
def voucher_post(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    outcome = _voucher_action(
        request,
        client_id,
        voucher_id,
        "clients.review_vouchers",
        lambda v: services.post_voucher(v, actor=request.user),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    _result, client, voucher = outcome
    messages.success(request, _("Voucher %(label)s posted.") % {"label": voucher.label})
    return redirect(_next(request, reverse("clients:voucher-detail", args=[client.pk, voucher.pk])))


@require_POST
@staff_required
def voucher_return(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    outcome = _voucher_action(
        request,
        client_id,
        voucher_id,
        "clients.review_vouchers",
        lambda v: services.return_voucher(v, actor=request.user),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    _result, client, voucher = outcome
    messages.success(request, _("Voucher %(label)s returned to draft.") % {"label": voucher.label})
    return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=voucher.pk)


@require_POST
@staff_required
def voucher_reverse(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    outcome = _voucher_action(
        request,
        client_id,
        voucher_id,
        "clients.prepare_vouchers",
        lambda v: services.reverse_voucher(v, actor=request.user),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    reversal, client, _voucher_obj = outcome
    messages.success(request, _("Reversing voucher %(label)s created as a draft.") % {"label": reversal.label})
    return redirect("clients:voucher-detail", client_id=client.pk, voucher_id=reversal.pk)


@require_POST
@staff_required
def voucher_delete(request: HttpRequest, client_id: uuid.UUID, voucher_id: uuid.UUID) -> HttpResponse:
    outcome = _voucher_action(
        request,
        client_id,
        voucher_id,
        "clients.prepare_vouchers",
        lambda v: services.delete_draft_voucher(v, actor=request.user),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    _result, client, _voucher_obj = outcome
    messages.success(request, _("Draft deleted."))
    return redirect("clients:voucher-list", client_id=client.pk)


@require_GET
@staff_required
def account_search(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """htmx: the postable accounts matching a code prefix or part of a name (sub-account names decrypted here)."""
    client = _client(request, client_id, perm="clients.prepare_vouchers")
    query = (request.GET.get("account") or request.GET.get("q") or "").strip()[:50]
    accounts = services.postable_accounts(client)
    if query:
        needle = query.split()[0].lower()
        accounts = [
            a
            for a in accounts
            if a.code.startswith(needle)
            or needle in a.display_name.lower()
            or (a.parent is not None and needle in a.parent.name_zh)
        ]
    accounts = accounts[:12]
    _record(request, "search", client, "clients.account", [a.pk for a in accounts if not a.is_standard])
    return render(request, "clients/_account_results.html", {"accounts": accounts})


@require_GET
@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Vouchers waiting for this reviewer: drafts prepared by someone else, and reviewed ones to post."""
    access.require_gate(request)
    vouchers = list(
        access.visible_to(
            request.user,
            Voucher.objects.filter(state__in=[VoucherState.DRAFT, VoucherState.REVIEWED])
            .exclude(state=VoucherState.DRAFT, preparer_id=request.user.pk)
            .exclude(state=VoucherState.REVIEWED, preparer_id=request.user.pk)
            .exclude(state=VoucherState.REVIEWED, reviewer_id=request.user.pk),
            perm="clients.review_vouchers",
        )
        .select_related("client", "period", "preparer", "reviewer")
        .annotate(line_count=Count("lines"))
        .order_by("period__year", "period__month", "number")[:VOUCHER_LIST_LIMIT]
    )
    preload_for(vouchers, "total")
    preload_for([v.client for v in vouchers], "name")
    _record(request, "list", None, "clients.voucher", [v.pk for v in vouchers])
    return render(request, "clients/review_queue.html", {"vouchers": vouchers, "limit": VOUCHER_LIST_LIMIT})


# --- Periods ----------------------------------------------------------------------------------------------


@require_POST
@staff_required
def period_close(request: HttpRequest, client_id: uuid.UUID, period_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.review_vouchers")
    period = access.get_object_for_user(request, AccountingPeriod, period_id, perm="clients.review_vouchers")
    if period.client_id != client.pk:
        raise Http404
    try:
        services.close_period(period, actor=request.user)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Period %(period)s closed.") % {"period": period})
    return redirect("clients:overview", client_id=client.pk)


@require_POST
@capability_required("reopen_periods")
def period_reopen(request: HttpRequest, client_id: uuid.UUID, period_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.manage_client")
    period = access.get_object_for_user(request, AccountingPeriod, period_id, perm="clients.manage_client")
    if period.client_id != client.pk:
        raise Http404
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for reopening the period."))
        return redirect("clients:overview", client_id=client.pk)
    try:
        services.reopen_period(period, reason=form.cleaned_data["reason"], actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Period %(period)s reopened.") % {"period": period})
    return redirect("clients:overview", client_id=client.pk)


# --- Import -----------------------------------------------------------------------------------------------


@require_GET
@staff_required
def import_template(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    _client(request, client_id, perm="clients.prepare_vouchers")
    response = HttpResponse(
        importing.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="voucher-import-template.xlsx"'
    return response


@csrf_exempt  # checked below, after the upload handlers are set (Django reads the body for the CSRF check)
@require_http_methods(["GET", "POST"])
@staff_required
def voucher_import(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    # The spreadsheet holds client data in plaintext: keep it in memory, never in a temporary file.
    request.upload_handlers = [InMemoryOnlyUploadHandler(request, limit=MAX_IMPORT_BYTES)]
    return csrf_protect(_voucher_import)(request, client_id)


def _voucher_import(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id, perm="clients.prepare_vouchers")
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors: list[importing.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = importing.import_vouchers(client, data=upload.read(), actor=request.user)
        except importing.ImportFailedError as exc:
            row_errors = exc.errors
        else:
            messages.success(request, _("%(n)d draft vouchers imported.") % {"n": len(created)})
            return redirect("clients:voucher-list", client_id=client.pk)
    return render(request, "clients/voucher_import.html", {"client": client, "form": form, "row_errors": row_errors})


# --- Reports ----------------------------------------------------------------------------------------------


def _download(request: HttpRequest, client: Client, table: exports.ReportTable, name: str, kind: str) -> HttpResponse:
    if kind == "xlsx":
        body = exports.to_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_pdf(table)
        content_type = "application/pdf"
    _record(request, "export", client, f"clients.report.{name}", [client.pk])
    response = HttpResponse(body, content_type=content_type)
    # No client name in the file name: it travels into download histories and logs.
    response["Content-Disposition"] = f'attachment; filename="{name}-{str(client.pk)[:8]}.{kind}"'
    return response


def _range(request: HttpRequest) -> tuple[PeriodRangeForm, int, int, int]:
    today = timezone.localdate()
    form = PeriodRangeForm(request.GET or None, initial={"year": today.year, "month_from": 1, "month_to": today.month})
    if request.GET and form.is_valid():
        return form, form.cleaned_data["year"], form.cleaned_data["month_from"], form.cleaned_data["month_to"]
    return form, today.year, 1, today.month


def _month(request: HttpRequest) -> tuple[MonthForm, int, int]:
    today = timezone.localdate()
    form = MonthForm(request.GET or None, initial={"year": today.year, "month": today.month})
    if request.GET and form.is_valid():
        return form, form.cleaned_data["year"], form.cleaned_data["month"]
    return form, today.year, today.month


def _format(request: HttpRequest) -> str:
    kind = request.GET.get("format", "")
    return kind if kind in ("xlsx", "pdf") else ""


@require_GET
@staff_required
def trial_balance(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    form, year, month_from, month_to = _range(request)
    access.refuse_locked_year(request, client, year)
    report = reports.trial_balance(client, year=year, month_from=month_from, month_to=month_to)
    if kind := _format(request):
        return _download(request, client, exports.trial_balance_table(report, client.name), "trial-balance", kind)
    _record(request, "view", client, "clients.report.trial_balance", [client.pk])
    return render(request, "clients/report_trial_balance.html", {"client": client, "form": form, "report": report})


@require_GET
@staff_required
def general_ledger(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    form, year, month = _month(request)
    access.refuse_locked_year(request, client, year)
    ledger = reports.general_ledger(client, year=year, month_to=month)
    title = _("General ledger")
    if kind := _format(request):
        table = exports.ledger_table(ledger, title, f"{client.name} · {year}-01 ~ {year}-{month:02d}")
        return _download(request, client, table, "general-ledger", kind)
    _record(request, "view", client, "clients.report.general_ledger", [client.pk])
    return render(
        request,
        "clients/report_ledger.html",
        {"client": client, "form": form, "accounts": ledger, "title": title, "report_url": "clients:general-ledger"},
    )


@require_GET
@staff_required
def subsidiary_ledger(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    form, year, month_from, month_to = _range(request)
    access.refuse_locked_year(request, client, year)
    accounts = {a.code: a for a in services.postable_accounts(client)}
    standard = {a.code: a for a in Account.objects.filter(client__isnull=True)}
    code = (request.GET.get("account") or "1002").strip()
    account = accounts.get(code) or standard.get(code)
    title = _("Subsidiary ledger")
    ledger = (
        [reports.subsidiary_ledger(client, account=account, year=year, month_from=month_from, month_to=month_to)]
        if account is not None
        else []
    )
    if account is None:
        messages.error(request, _("There is no account with code %(code)s.") % {"code": code[:20]})
    if (kind := _format(request)) and ledger:
        table = exports.ledger_table(ledger, title, f"{client.name} · {year}-{month_from:02d} ~ {year}-{month_to:02d}")
        return _download(request, client, table, "subsidiary-ledger", kind)
    _record(request, "view", client, "clients.report.subsidiary_ledger", [client.pk])
    return render(
        request,
        "clients/report_ledger.html",
        {
            "client": client,
            "form": form,
            "accounts": ledger,
            "title": title,
            "account_code": code,
            "account_choices": sorted({**standard, **accounts}.values(), key=lambda a: a.code),
            "report_url": "clients:subsidiary-ledger",
        },
    )


def _statement_view(request: HttpRequest, client_id: uuid.UUID, name: str, build: Any) -> HttpResponse:
    client = _client(request, client_id)
    form, year, month = _month(request)
    access.refuse_locked_year(request, client, year)
    statement = build(client, year=year, month=month)
    if kind := _format(request):
        return _download(request, client, exports.statement_table(statement, client.name), name, kind)
    _record(request, "view", client, f"clients.report.{name}", [client.pk])
    return render(
        request,
        "clients/report_statement.html",
        {"client": client, "form": form, "statement": statement, "report_url": f"clients:{name}"},
    )


@require_GET
@staff_required
def balance_sheet(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    return _statement_view(request, client_id, "balance-sheet", reports.balance_sheet)


@require_GET
@staff_required
def income_statement(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    return _statement_view(request, client_id, "income-statement", reports.income_statement)


@require_GET
@staff_required
def reports_index(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _client(request, client_id)
    _record(request, "view", client, "clients.client", [client.pk])
    return render(request, "clients/reports_index.html", {"client": client, "today": timezone.localdate()})
