"""Access-control pages: assignments, temporary access, reveals, offboarding, delegates."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import staff_required
from confidentiality import gates


@require_GET
@staff_required
def gate_view(request: HttpRequest) -> HttpResponse:
    """What a staff member still lacks before they may see client data, and whom to ask."""
    status = gates.gate_status(request.user)
    return render(request, "confidentiality/access/gate.html", {"status": status})
