"""The admin console for access control and client records: safe list columns, every action audited.

Encrypted (confidential) fields are never listed or shown here: they are not editable model fields,
and the list columns below name only ids, states and dates. Each change made in the console is
written to the audit trail (`AccessAuditAction.CONSOLE_ACTION`) in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from audit import services as audit
from confidentiality.fields import EncryptedField
from confidentiality.models import AccessAuditAction


def _client_ref(obj: models.Model) -> str:
    from clients.models import Client

    if isinstance(obj, Client):
        return str(obj.pk)
    client_id = getattr(obj, "client_id", None)
    return str(client_id) if client_id is not None else ""


class AuditedAdminMixin:
    """Every add, change and delete through the console becomes an audit event with its actor."""

    def _audit(self, request: HttpRequest, obj: models.Model, operation: str, message: Any = "") -> None:
        fields: list[str] = []
        if isinstance(message, list):
            for part in message:
                fields += list(part.get("changed", {}).get("fields", []))
        audit.record(
            actor=request.user,
            action=AccessAuditAction.CONSOLE_ACTION,
            target=obj,
            client_ref=_client_ref(obj),
            details={"operation": operation, "model": obj._meta.label_lower, "fields": fields},
            request=request,
        )

    def _record_view(self, request: HttpRequest, *, client_ref: str, object_ids: list[str]) -> None:
        """A console page that shows client records is a read of client data (issue 5: admin views)."""
        model: type[models.Model] = self.model  # type: ignore[attr-defined]
        audit.record_access(
            request=request,
            action="admin_view",
            client_ref=client_ref,
            object_type=model._meta.label_lower,
            object_ids=object_ids,
            purpose="firm admin console",
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", None) and response.context_data.get("cl")
        if changelist is not None:
            shown = list(changelist.result_list)
            refs = {_client_ref(obj) for obj in shown} - {""}
            self._record_view(
                request,
                client_ref=refs.pop() if len(refs) == 1 else "",
                object_ids=[str(obj.pk) for obj in shown],
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        original = getattr(response, "context_data", None) and response.context_data.get("original")
        if original is not None:
            self._record_view(request, client_ref=_client_ref(original), object_ids=[str(original.pk)])
        return response

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "delete")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


def safe_columns(model: type[models.Model]) -> tuple[str, ...]:
    """List columns that never show confidential data: the key, choices, flags, dates, foreign keys."""
    columns = ["pk"]
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedField) or field.primary_key:
            continue
        if (
            field.choices
            or isinstance(field, models.BooleanField | models.DateTimeField | models.DateField)
            or (field.is_relation and field.many_to_one)
        ):
            columns.append(field.name)
    return tuple(columns[:8])


class SafeModelAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only lists without confidential columns, for firm admins (`use_console`).

    Encrypted fields are not editable, so never in forms. Changes to client records and access go
    through the services (with their checks and audit rows), never through the console.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.use_console"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("accounts.use_console"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite) -> None:
        self.list_display = safe_columns(model)
        self.list_display_links = ("pk",)
        super().__init__(model, admin_site)


def register_client_models(site: admin.AdminSite) -> None:
    """Every model of the client records and of access control, with safe columns (idempotent)."""
    for label in ("clients", "confidentiality"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower == "confidentiality.datakey" or site.is_registered(model):
                continue
            site.register(model, SafeModelAdmin)


# The key pages (keys_admin) register their own admins first; every other model gets the safe one.
from confidentiality import keys_admin  # noqa: E402, F401

register_client_models(admin.site)
