"""django-auditlog's middleware, taking the client address the way the rest of FirmPortal does."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.http import HttpRequest

from firmportal.middleware import client_ip


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """X-Forwarded-For is believed only from a configured trusted proxy (`client_ip`)."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:  # type: ignore[override]
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> Any:  # type: ignore[override]
        return None
