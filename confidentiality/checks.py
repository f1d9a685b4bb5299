"""Start-up check: refuse to start when the master key cannot be loaded, naming the problem."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register("firmportal", deploy=False)
def master_key_available(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from confidentiality import crypto

    try:
        crypto.check_keys()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="confidentiality.E001")]
    return []
