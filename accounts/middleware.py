"""Who may be where: the session's own checks, then the areas of the site.

- /staff/ is for staff who passed two-factor verification;
- /console/ is for firm administrators who passed two-factor verification;
- /portal/ is for client users (verified too, when they need a second factor).
A person of the wrong kind gets the same 404 as for a page that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import StaffRole


def _login_redirect(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(reverse("accounts:login") + (f"?{query}" if query else ""))


def _refused(request: HttpRequest) -> Http404:
    """The wrong kind of person for this area: a 404, recorded as a denied access."""
    from audit import services as audit

    audit.record_access(request=request, action="denied", object_type="area")
    return Http404()


class SessionGuardMiddleware:
    """Ends sessions that were revoked (epoch changed) or left idle too long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if request.session.get(services.SESSION_EPOCH_KEY) != user.session_epoch:
                from django.contrib.auth import logout

                logout(request)
                messages.info(request, _("You were signed out on all devices. Please sign in again."))
                return _login_redirect(request)
            idle_minutes = (
                settings.FIRMPORTAL_STAFF_IDLE_MINUTES
                if user.is_staff_member
                else settings.FIRMPORTAL_CLIENT_IDLE_MINUTES
            )
            last = int(request.session.get(services.LAST_ACTIVITY_KEY, 0))
            if timezone.now().timestamp() - last > idle_minutes * 60:
                services.expire_idle_session(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                return _login_redirect(request)
            services.touch_session(request)
        return self.get_response(request)


class AreaGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        area = None
        for prefix in ("/staff/", "/console/", "/portal/"):
            if path.startswith(prefix):
                area = prefix.strip("/")
                break
        if area is None:
            return self.get_response(request)

        user = request.user
        if not user.is_authenticated:
            return _login_redirect(request)
        if area in ("staff", "console") and not user.is_staff_member:
            raise _refused(request)
        if area == "portal" and not user.is_client_user:
            raise _refused(request)
        if services.needs_second_factor(user) and not user.is_verified():  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("accounts:otp-verify"))
        if area == "console" and not (user.has_role(StaffRole.FIRM_ADMIN) and user.is_staff):
            raise _refused(request)
        return self.get_response(request)
