"""Template tags of the client-care slice, for pages it does not own (the portal dashboard)."""

from __future__ import annotations

from typing import Any

from django import template

from clientcare import queries
from clientcare.models import SurveyInvitation
from clients.keycache import preload_for
from clients.models import Client

register = template.Library()

LATEST_THREADS = 3


@register.simple_tag(takes_context=True)
def clientcare_messages_box(context: template.Context, limit: int = LATEST_THREADS) -> dict[str, Any] | None:
    """For the dashboard's messages box: the unread count, the latest threads of the company shown
    (`client` in the context) and its surveys waiting for an answer. None when the user may not read
    that company's messages. A constant number of queries; the dashboard's own access event covers it."""
    request = context.get("request")
    client = context.get("client")
    if request is None or not isinstance(client, Client):
        return None
    user = request.user
    if not queries.can_read_messages(user, client.pk):
        return None
    threads = list(queries.threads_for(user, Client.objects.filter(pk=client.pk))[:limit])
    preload_for(threads, "subject")
    surveys = []
    if queries.is_member(user, client.pk):
        surveys = list(SurveyInvitation.objects.filter(client=client, answered_at__isnull=True)[:3])
    return {
        "client": client,
        "unread": queries.unread_count(user, client=client),
        "threads": threads,
        "surveys": surveys,
    }
