"""Turns a gate refusal into a redirect to the page that says what is missing and whom to ask."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from confidentiality.gates import AccessGateBlockedError


def gate_page_url() -> str:
    try:
        return reverse("compliance:gate")
    except NoReverseMatch:
        return reverse("staff:access:gate")


class AccessGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessGateBlockedError):
            return HttpResponseRedirect(gate_page_url())
        return None
