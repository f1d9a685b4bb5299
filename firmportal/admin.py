"""The admin console (/console/): Django's admin, for firm administrators who passed 2FA only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import StaffRole


class ConsoleSite(admin.AdminSite):
    site_header = _("FirmPortal admin console")
    site_title = _("FirmPortal console")
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and getattr(user, "is_staff_member", False)
            and user.is_staff
            and user.has_role(StaffRole.FIRM_ADMIN)  # type: ignore[union-attr]
            and user.is_verified()  # type: ignore[union-attr,attr-defined]
        )

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every model admin of the console audits its actions (confidentiality.admin.AuditedAdminMixin)."""
        from confidentiality.admin import AuditedAdminMixin

        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(f"Audited{base.__name__}", (AuditedAdminMixin, base), {})
        super().register(model_or_iterable, base, **options)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:  # type: ignore[override]
        # The console has no sign-in of its own: everyone signs in through the 2FA flow.
        return HttpResponseRedirect(reverse("accounts:login"))
