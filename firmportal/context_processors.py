from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    idle_minutes = 0
    if user is not None and user.is_authenticated:
        idle_minutes = (
            settings.FIRMPORTAL_STAFF_IDLE_MINUTES if user.is_staff_member else settings.FIRMPORTAL_CLIENT_IDLE_MINUTES
        )
    return {
        "idle_timeout_seconds": idle_minutes * 60,
        "idle_warning_seconds": settings.FIRMPORTAL_IDLE_WARNING_SECONDS,
    }
