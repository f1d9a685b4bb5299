"""`user.has_perm("clients.<codename>", obj)` for client data, answered by the access layer.

It replaces django-guardian's own backend, which would answer from permission rows alone: here an
expired assignment, a failed gate or an offboarded account answer "no" at once, and a model-level
(global) permission never grants a client object (`accept_global_perms=False`).

Note: Django answers `has_perm` True for any active superuser before asking backends; views of
client data therefore use `confidentiality.access`, never `user.has_perm`, for the decision itself.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from confidentiality import access


class ClientAccessBackend:
    """Authenticates nobody; answers object permissions on clients and client-scoped objects."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is None or not isinstance(obj, models.Model):
            return False
        try:
            client_id = access.client_id_of(obj)
        except TypeError:
            return False
        return access.has_client_perm(user_obj, perm, client_id)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is None or not isinstance(obj, models.Model):
            return set()
        try:
            client_id = access.client_id_of(obj)
        except TypeError:
            return set()
        return {f"clients.{codename}" for codename in access.client_permissions(user_obj, client_id)}
