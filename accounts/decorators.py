"""View decorators for the areas and roles; the middleware already guards areas, these say it again
at the view so a view moved to another URL keeps its protection."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from accounts import services

View = Callable[..., HttpResponse]


def refuse(request: HttpRequest, *, reason: str) -> Http404:
    """A refusal looks like a missing page, and is recorded as a denied access."""
    from audit import services as audit

    audit.record_access(request=request, action="denied", object_type=reason)
    return Http404()


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_staff_member and user.is_verified()):  # type: ignore[attr-defined]
            raise refuse(request, reason="area")
        return view(request, *args, **kwargs)

    return wrapper


def client_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_client_user):
            raise refuse(request, reason="area")
        if services.needs_second_factor(user) and not user.is_verified():  # type: ignore[attr-defined]
            raise refuse(request, reason="area")
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(*codenames: str) -> Callable[[View], View]:
    """Staff holding every one of these `accounts.<codename>` capabilities; others get a 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        @staff_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not all(request.user.has_perm(f"accounts.{codename}") for codename in codenames):
                raise refuse(request, reason="capability")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
