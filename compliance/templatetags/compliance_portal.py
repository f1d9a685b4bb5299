"""Template tags for the client portal: the dashboard banner about unread breach notices."""

from __future__ import annotations

from typing import Any

from django import template

from compliance.queries import unread_breach_notice_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_breach_notices(context: dict[str, Any], client: Any) -> int:
    """How many published notices of `client` its signed-in user has not acknowledged yet (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if client is None or user is None or not user.is_authenticated:
        return 0
    return unread_breach_notice_count(user, str(client.pk))
