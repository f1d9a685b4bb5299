"""The change log: django-auditlog model diffs, registered here, with encrypted fields kept out.

auditlog's own masking (`mask_str`) keeps half of the value, which is not acceptable for
confidential data. Every encrypted field of a model registered through `register()` gets a mask
that replaces the whole value: the change log records *that* the field changed, never what it
was or became. Their `object_repr` (which auditlog takes from `str(instance)`, and `__str__` may
show a decrypted name) is replaced by "<model> <pk>" before the entry is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db import models
from django.db.models.signals import pre_save

from confidentiality.fields import EncryptedField
from firmportal.logging import request_id_var

REDACTED = "[redacted]"

# Models whose object_repr and m2m object names must not be taken from str(instance).
_redacted_models: set[type[models.Model]] = set()


def redact(value: str) -> str:
    """auditlog mask callable: the whole value is replaced (both old and new)."""
    return REDACTED


def current_request_id() -> str | None:
    """AUDITLOG_CID_GETTER: the correlation id is our server-made request id, never a header."""
    value = request_id_var.get()
    return None if value in ("", "-") else value


def register(
    model: type[models.Model],
    *,
    encrypted_fields: Iterable[str] = (),
    exclude_fields: Iterable[str] = (),
    m2m_fields: Iterable[str] = (),
) -> None:
    """Track changes of `model` in the change log; its encrypted fields are recorded as changed, never shown.

    Every `EncryptedField` of the model is masked whether or not `encrypted_fields` names it:
    auditlog reads a field through its descriptor, which decrypts, so a field left off the list
    would put its plaintext in the change log. Call it once per model at start-up (e.g. from the
    owning app's `AppConfig.ready`).
    """
    encrypted = sorted(
        set(encrypted_fields) | {f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)}
    )
    if auditlog.contains(model):
        auditlog.unregister(model)
    auditlog.register(
        model,
        exclude_fields=list(exclude_fields),
        mask_fields=encrypted,
        mask_callable="audit.changelog.redact",
        m2m_fields=set(m2m_fields),
        serialize_data=False,
    )
    if encrypted:
        _redacted_models.add(model)
    else:
        _redacted_models.discard(model)
    pre_save.connect(_scrub_entry, sender=LogEntry, dispatch_uid="audit.changelog.scrub")


def unregister(model: type[models.Model]) -> None:
    auditlog.unregister(model)
    _redacted_models.discard(model)


def _scrub_entry(sender: type[LogEntry], instance: LogEntry, **kwargs: Any) -> None:
    """Before a change-log entry is written: no decrypted text in its repr or m2m object names."""
    if instance.pk is not None:
        return
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model not in _redacted_models:
        return
    assert model is not None
    instance.object_repr = f"{model._meta.label_lower} {instance.object_pk}"
    changes = instance.changes
    if isinstance(changes, dict):
        for name, change in changes.items():
            if isinstance(change, dict) and change.get("type") == "m2m":
                objects = change.get("objects") or []
                changes[name] = {**change, "objects": [REDACTED] * len(objects)}


def register_core_models() -> None:
    """People, roles, object permissions and the foundation's client models."""
    from django.contrib.auth.models import Group
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    from accounts.models import User

    register(
        User,
        # Secrets and noise: the password hash, sign-in timestamps, the session epoch.
        exclude_fields=["password", "last_login", "session_epoch"],
        m2m_fields=["groups", "user_permissions"],
    )
    register(Group, m2m_fields=["permissions"])
    register(get_user_obj_perms_model())
    register(get_group_obj_perms_model())
    # The clients slice may register its models itself; registering again replaces this.
    from clients.models import Client, ClientMembership

    register(Client, encrypted_fields=["name", "credit_code"])
    register(ClientMembership)
