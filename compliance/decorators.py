"""The compliance gate as a view decorator, for views that show client data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from compliance.queries import GATE_URL_NAME, access_gate

View = Callable[..., HttpResponse]


def compliance_gate_required(view: View) -> View:
    """Staff who do not pass the access gate are sent to the page that says what is missing.

    Put it inside `staff_required` (which already refused non-staff with a 404). One query.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access_gate(request.user).ok:
            return redirect(GATE_URL_NAME)
        return view(request, *args, **kwargs)

    return wrapper
