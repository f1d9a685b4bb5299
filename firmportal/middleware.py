"""Request plumbing shared by every page: request ids, client IP, and no-store caching."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from firmportal.logging import request_id_var


def client_ip(request: HttpRequest) -> str:
    """The caller's address: X-Forwarded-For is believed only from a configured trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.FIRMPORTAL_TRUSTED_PROXIES
    if remote and remote in trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The right-most address not itself a trusted proxy is the client.
        for candidate in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
            if candidate not in trusted:
                try:
                    return str(ipaddress.ip_address(candidate))
                except ValueError:
                    break
    return remote


class RequestIdMiddleware:
    """Gives every request an id made here (a caller's X-Request-ID header is never trusted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """Pages are never cached by browsers or proxies: any of them may show client data.

    Static files are answered by WhiteNoise before this runs and keep their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        response["Pragma"] = "no-cache"
        return response
