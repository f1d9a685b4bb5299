"""Deployment checks of the audit trail: the seal's signing key must be provisioned, never made up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def signing_key_provisioned(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    configured = settings.FIRMPORTAL_AUDIT_SIGNING_KEY_FILE
    if not configured:
        if settings.FIRMPORTAL_AUDIT_GENERATE_KEY:
            return []
        return [
            Error(
                "FIRMPORTAL_AUDIT_SIGNING_KEY_FILE is not set: audit seals cannot be signed.",
                hint="Create a key outside the database and its backups (`manage.py audit_keygen PATH`) "
                "and point FIRMPORTAL_AUDIT_SIGNING_KEY_FILE at it.",
                id="audit.E001",
            )
        ]
    if not Path(configured).is_file():
        return [
            Error(
                f"FIRMPORTAL_AUDIT_SIGNING_KEY_FILE points at {configured!r}, which is not a readable file.",
                id="audit.E002",
            )
        ]
    return []
