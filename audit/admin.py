"""The change log in the admin console, hardened: a filter value that is not an id changes nothing
instead of crashing the page (auditlog's own filter feeds the raw value to an integer lookup)."""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class SafeResourceTypeFilter(ResourceTypeFilter):
    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(content_type_id=int(value))


class ConsoleLogEntryAdmin(LogEntryAdmin):
    list_filter = [SafeResourceTypeFilter if f is ResourceTypeFilter else f for f in LogEntryAdmin.list_filter]


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)
admin.site.register(LogEntry, ConsoleLogEntryAdmin)
