"""Typed helpers that read configuration from the environment and fail loudly.

Every secret may be given directly (``NAME``) or as a path to a file holding it
(``NAME_FILE``), the way container secrets are mounted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_path!r}, which cannot be read: {exc.strerror}"
            ) from exc
    return os.environ.get(name)


def secret(name: str) -> str:
    """A required secret; refuses to start, naming the variable, when it is missing or empty."""
    value = _raw(name)
    if not value:
        raise ImproperlyConfigured(
            f"The setting {name} is missing. Set the environment variable {name} or {name}_FILE "
            "(see README.md, 'Configuration')."
        )
    return value


def string(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def optional(name: str) -> str | None:
    value = _raw(name)
    return value or None


def boolean(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def integer(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def string_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def json_object(name: str) -> dict[str, Any]:
    """A JSON object (e.g. a provider's options); refuses to start when it is not one."""
    value = _raw(name) or "{}"
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {type(parsed).__name__}.")
    return parsed
