"""Breach notices (PIPL Art. 57) as the client reads them: a list, each notice, "I have read it".

Only the company's own users (its memberships) see them; a delegate or another company gets 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import client_required, refuse
from accounts.services import request_user
from audit import services as audit
from clients.models import Client, ClientMembership
from compliance import incidents
from compliance.errors import ComplianceError
from compliance.models import BreachNotice
from compliance.queries import client_breach_notices, published_breach_notices
from confidentiality.access import get_client_for_user
from portal.selection import my_clients, portal_client

PURPOSE = "client reads a breach notice"


def _notice_for(request: HttpRequest, notice_id: UUID) -> tuple[BreachNotice, Client]:
    """The published notice and its company, through the access layer; else 404 (and a denied event)."""
    notice = published_breach_notices().filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    client = get_client_for_user(request, notice.client_ref)
    if not ClientMembership.objects.filter(user=request_user(request), client=client).exists():
        raise refuse(request, reason="breach notice: not a member of the company")
    return notice, client


@require_GET
@client_required
def notices_view(request: HttpRequest) -> HttpResponse:
    client = portal_client(request, owner_only=True)
    assert client is not None
    notices = list(client_breach_notices(str(client.pk)).only("id", "published_at", "read_at", "client_ref"))
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type="compliance.breachnotice",
        object_ids=[str(n.pk) for n in notices],
        purpose=PURPOSE,
    )
    return render(
        request,
        "compliance/portal/notices.html",
        {"client": client, "clients": my_clients(request), "notices": notices},
    )


@require_GET
@client_required
def notice_view(request: HttpRequest, notice_id: UUID) -> HttpResponse:
    notice, client = _notice_for(request, notice_id)
    audit.record_access(
        request=request,
        action="view",
        client_ref=str(client.pk),
        object_type="compliance.breachnotice",
        object_ids=[str(notice.pk)],
        purpose=PURPOSE,
    )
    return render(request, "compliance/portal/notice.html", {"client": client, "notice": notice})


@require_POST
@client_required
def acknowledge_view(request: HttpRequest, notice_id: UUID) -> HttpResponse:
    notice, _client = _notice_for(request, notice_id)
    try:
        incidents.acknowledge_breach_notice(notice, actor=request_user(request))
    except ComplianceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you. We have recorded that you have read this notice."))
    return redirect("portal:breach-notice", notice_id=notice.pk)
