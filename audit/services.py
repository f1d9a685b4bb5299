"""Writing the audit trail. Callers are services inside their own transaction."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest

from audit.models import AccessEvent, AuditEvent
from firmportal.logging import request_id_var
from firmportal.middleware import client_ip


def _actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(actor.get_username())


def _actor_role(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    roles = sorted(getattr(actor, "roles", ()) or ())
    return (",".join(roles) or str(getattr(actor, "kind", "")))[:64]


# The role recorded for a client user who reads a company's data as its delegate, not as its member:
# the company's "who accessed my data" tells its own people and its delegates apart.
DELEGATE_ROLE = "delegate"


def _reader_role(user: Any, client_ref: str) -> str:
    role = _actor_role(user)
    if client_ref and getattr(user, "is_client_user", False):
        import uuid

        from confidentiality import access

        try:
            client_id = uuid.UUID(client_ref)
        except ValueError:
            return role
        if not access.is_member_of(user, client_id):
            return DELEGATE_ROLE
    return role


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    client_ref: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record a domain event. `details` holds ids and non-confidential facts, never client plaintext."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor),
        actor_role=_actor_role(actor),
        action=str(action),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        client_ref=client_ref,
        details=details or {},
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
        ip_address=(client_ip(request) or None) if request is not None else None,
    )


def record_access(
    *,
    request: HttpRequest,
    action: str,
    client_ref: str = "",
    object_type: str = "",
    object_ids: list[str] | None = None,
    purpose: str = "",
) -> AccessEvent | None:
    """Record a read of client data (or a refused attempt) made in this request.

    Returns None when access logging is switched off (`FIRMPORTAL_ACCESS_LOG_ENABLED=0`, used only
    by the benchmark that measures what logging costs).
    """
    if not settings.FIRMPORTAL_ACCESS_LOG_ENABLED:
        return None
    user = request.user
    match = getattr(request, "resolver_match", None)
    return AccessEvent.objects.create(
        actor=user if user.is_authenticated else None,
        actor_label=_actor_label(user),
        actor_role=_reader_role(user, client_ref),
        client_ref=client_ref,
        action=action,
        object_type=object_type,
        object_ids=object_ids or [],
        purpose=purpose,
        path_name=(match.view_name if match else "")[:100],
        request_id=getattr(request, "request_id", ""),
        ip_address=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
    )


def pseudonym(value: str) -> str:
    """A keyed hash for log lines that must correlate a typed value (e.g. a username) without showing it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def verify_audit_trail(*, actor: Any) -> Any:
    """Verify the sealed trail; record the outcome and, when it fails, raise an integrity alert."""
    from audit import sealing
    from audit.models import AuditAction

    report = sealing.verify()
    with transaction.atomic():
        details: dict[str, Any] = {
            "entries": report.entries,
            "blocks": report.blocks,
            "unsealed": report.unsealed,
            "problems": report.problems,
        }
        if report.ok:
            record(actor=actor, action=AuditAction.AUDIT_VERIFIED, details=details)
        else:
            assert report.first is not None
            details["first_bad_entry"] = report.first.describe()
            record(actor=actor, action=AuditAction.AUDIT_VERIFY_FAILED, details=details)
            from audit import alerts

            alerts.raise_integrity_alert(first_bad_entry=report.first.describe(), problems=report.problems)
    return report
