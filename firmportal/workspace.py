"""The landing page of the staff workspace (the portal's is `portal.views`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import staff_required


@require_GET
@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html", {"roles": sorted(request.user.roles)})  # type: ignore[union-attr]
