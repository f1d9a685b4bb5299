"""Turns a gate refusal into a redirect to the page that says what is missing and whom to ask."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from audit import services as audit
from confidentiality.gates import AccessGateBlockedError


def gate_page_url() -> str:
    from compliance.queries import GATE_URL_NAME

    return reverse(GATE_URL_NAME)


def log_delegate_page(request: HttpRequest) -> None:
    """Everything a delegate sees is logged: each portal page they are shown, against the companies
    they read as a delegate (not those they belong to)."""
    from clients.models import ClientMembership
    from confidentiality import access

    user = request.user
    if not (user.is_authenticated and getattr(user, "is_client_user", False)):
        return
    delegated = {str(c) for c in access.live_delegations().filter(delegate=user).values_list("client_id", flat=True)}
    if not delegated:
        return
    delegated -= {str(c) for c in ClientMembership.objects.filter(user=user).values_list("client_id", flat=True)}
    if delegated:
        audit.record_access(
            request=request,
            action="view",
            client_ref=next(iter(delegated)) if len(delegated) == 1 else "",
            object_type="page",
            object_ids=sorted(delegated),
        )


class AccessGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/portal/") and response.status_code == 200:
            log_delegate_page(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessGateBlockedError):
            return HttpResponseRedirect(gate_page_url())
        return None
