"""Which company a portal page is about: always found through the access layer."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from accounts.models import User
from clients.models import Client, ClientMembership
from confidentiality.access import get_client_for_user, visible_clients


def portal_client(
    request: HttpRequest, *, perm: str = "clients.view_client", owner_only: bool = False
) -> Client | None:
    """The company chosen with `?client=` (404 when missing or forbidden), else the user's first one.

    `owner_only` pages are for the company's own users (its memberships): a delegate gets 404.
    Returns None only when the user has no company at all and did not ask for one.
    """
    user = request.user
    assert isinstance(user, User)  # @client_required ran first
    wanted = request.GET.get("client") or request.POST.get("client")
    client: Client | None
    if wanted:
        client = get_client_for_user(request, wanted, perm=perm)
    else:
        client = visible_clients(user, perm=perm).order_by("created_at", "pk").first()
        if client is None:
            if owner_only:
                raise Http404
            return None
    if owner_only and not ClientMembership.objects.filter(user=user, client=client).exists():
        raise Http404
    return client


def my_clients(request: HttpRequest) -> list[Client]:
    return list(visible_clients(request.user).order_by("created_at", "pk"))
