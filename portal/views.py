"""The client self-service portal: dashboard, "who accessed my data", our commitment, security."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.decorators import client_required
from accounts.models import UserSession
from accounts.services import request_user
from audit import services as audit
from audit.queries import _day_start, client_access_history
from firmportal.middleware import client_ip
from portal import dashboard, queries, services
from portal.forms import AcknowledgeForm, HistoryFilterForm
from portal.models import CommitmentAcknowledgement
from portal.selection import my_clients, portal_client


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@client_required
def home(request: HttpRequest) -> HttpResponse:
    client = portal_client(request, perm="clients.view_client")
    context: dict[str, object] = {
        "client": client,
        "clients": my_clients(request),
        "unacknowledged": queries.needs_acknowledgement(request_user(request)),
    }
    if client is not None and request.user.has_perm("clients.view_books", client):
        year, month = dashboard.current_period(client)
        context["figures"] = dashboard.key_figures(client, year=year, month=month)
        context["period_closed"] = dashboard.is_closed(client, year=year, month=month)
        context["chart"] = dashboard.monthly_chart(client, year=year)
        audit.record_access(
            request=request,
            action="view",
            client_ref=str(client.pk),
            object_type="clients.accountbalance",
            object_ids=[f"{year}-{month:02d}"],
            purpose="client portal dashboard",
        )
    if client is not None and request.user.has_perm("clients.view_documents", client):
        # The firm's open document requests (portal-docs slice): descriptions only, no files.
        from portal.documents_views import open_requests_for

        context["open_document_requests"] = open_requests_for(client)
        context["show_document_requests"] = True
    return render(request, "portal/dashboard.html", context)


@require_GET
@client_required
def access_history(request: HttpRequest) -> HttpResponse:
    client = portal_client(request, owner_only=True)
    assert client is not None
    form = HistoryFilterForm(request.GET or None)
    rows = []
    valid = form.is_valid() if request.GET else True
    if valid:
        data = form.cleaned_data if request.GET else {}
        since, until = data.get("since"), data.get("until")
        rows = client_access_history(
            str(client.pk),
            since=_day_start(since) if since else None,
            until=_day_start(until + timedelta(days=1)) if until else None,
            actor_kind=data.get("kind") or None,
        )
    export = request.GET.get("format") == "csv" and valid
    audit.record_access(
        request=request,
        action="export" if export else "view",
        client_ref=str(client.pk),
        object_type="audit.accesshistory",
        object_ids=[],
        purpose="client reviews who accessed its data",
    )
    if export:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["when", "who", "role", "what", "object", "purpose", "changed"])
        for row in rows:
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        row.when.isoformat(),
                        row.who,
                        row.role,
                        row.what,
                        row.object_type,
                        row.purpose,
                        int(row.changed),
                    )
                ]
            )
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-history.csv"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "portal/access_history.html", {"client": client, "form": form, "rows": rows})


@require_http_methods(["GET", "POST"])
@client_required
def commitment(request: HttpRequest) -> HttpResponse:
    """The current commitment and privacy notice; the client user acknowledges it here."""
    user = request_user(request)
    notice = queries.current_notice()
    acknowledged = queries.has_acknowledged(user, notice) if notice is not None else False
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and notice is not None and not acknowledged and form.is_valid():
        try:
            services.acknowledge_commitment_notice(notice=notice, user=user, ip_address=client_ip(request), actor=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Thank you: your acknowledgement of version %(v)s is recorded.") % {"v": notice.version}
            )
            return redirect("portal:commitment")
    history = CommitmentAcknowledgement.objects.filter(user=user).order_by("-acknowledged_at")
    return render(
        request,
        "portal/commitment.html",
        {"notice": notice, "acknowledged": acknowledged, "form": form, "history": history},
    )


@require_GET
@client_required
def security(request: HttpRequest) -> HttpResponse:
    """Two-factor sign-in (optional unless the firm requires it) and the user's own sessions."""
    user = request_user(request)
    return render(
        request,
        "portal/security.html",
        {
            "enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "required": settings.FIRMPORTAL_REQUIRE_CLIENT_2FA,
            "session_count": UserSession.objects.filter(user=user, ended_at__isnull=True).count(),
        },
    )
