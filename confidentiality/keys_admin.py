"""Admin-console views of keys and rotation jobs (read-only), with rotation actions.

The actions require the `manage_keys` capability besides console access."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from confidentiality import rotation
from confidentiality.models import DataKey, DataKeyState, KeyRotationJob


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return True


def _may_manage_keys(modeladmin: admin.ModelAdmin, request: HttpRequest) -> bool:  # type: ignore[type-arg]
    if request.user.has_perm("accounts.manage_keys"):
        return True
    modeladmin.message_user(request, _("Rotating keys needs the key-management capability."), messages.ERROR)
    return False


@admin.action(description=_("Rotate the data keys of the selected scopes"))
def rotate_selected_scopes(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[DataKey]) -> None:  # type: ignore[type-arg]
    if not _may_manage_keys(modeladmin, request):
        return
    started = 0
    for key in queryset.filter(state=DataKeyState.ACTIVE):
        try:
            rotation.start_data_key_rotation(key.scope, actor=request.user)
            started += 1
        except rotation.RotationError:
            continue
    modeladmin.message_user(request, _("%(count)s rotation jobs queued.") % {"count": started}, messages.SUCCESS)


@admin.action(description=_("Rotate the master key (rewrap every data key)"))
def rotate_master_key(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[DataKey]) -> None:  # type: ignore[type-arg]
    if not _may_manage_keys(modeladmin, request):
        return
    job = rotation.rotate_master_key(actor=request.user)
    modeladmin.message_user(
        request, _("Master key rotated: %(count)s entries rewrapped.") % {"count": job.done}, messages.SUCCESS
    )


@admin.register(DataKey)
class DataKeyAdmin(_ReadOnly):
    list_display = ["owner", "year", "version", "state", "master_key_id", "created_at", "destroyed_at"]
    list_filter = ["state"]
    search_fields = ["owner"]
    actions = [rotate_selected_scopes, rotate_master_key]


@admin.register(KeyRotationJob)
class KeyRotationJobAdmin(_ReadOnly):
    list_display = ["kind", "owner", "year", "state", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "state"]
    exclude = ["models_done"]
