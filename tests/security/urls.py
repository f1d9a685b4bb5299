"""Every URL pattern of the site, enumerated from the resolver, so a view added by any slice is
covered by the security checks without anyone listing it.

A pattern with parameters is filled from `URL_KWARGS` (slices add real sample values in their
`tests/security/cases_*.py` module as `URL_KWARGS = {"ns:name": {"id": ...}}`) or, failing that,
with a value of the converter's type that names nothing (the page then answers 404, and its
headers are still checked).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

import tests.security

PLACEHOLDER_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@dataclass(frozen=True)
class Endpoint:
    name: str  # "ns:name", or the route when unnamed
    path: str  # a concrete path to request
    route: str  # the pattern as written, for messages

    def __str__(self) -> str:
        return f"{self.name} {self.path}"


def case_modules() -> list[Any]:
    """The `tests/security/cases_*.py` modules other slices add (their forms, URLs, uploads)."""
    return [
        importlib.import_module(f"tests.security.{info.name}")
        for info in pkgutil.iter_modules(tests.security.__path__)
        if info.name.startswith("cases_")
    ]


# Values for the framework's own patterns, so their pages render rather than 404.
BUILTIN_KWARGS: dict[str, dict[str, Any]] = {"admin:app_list": {"app_label": "otp_totp"}}


def url_kwargs() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = dict(BUILTIN_KWARGS)
    for module in case_modules():
        merged.update(getattr(module, "URL_KWARGS", {}))
    return merged


_SAMPLES = {"int": "987654321", "uuid": str(PLACEHOLDER_UUID), "slug": "nothing-here", "path": "nothing-here"}


def _sample(kind: str | None) -> str:
    """A value of the converter's kind that names nothing."""
    return _SAMPLES.get(kind or "str", "nothing-here")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            yield from _walk(entry.url_patterns, prefix + route, ns or "")
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or prefix + route)
            yield name, prefix + route


def concrete_path(route: str, given: dict[str, Any]) -> str:
    """`route` with its parameters filled from `given`, or with values that name nothing."""
    if route.startswith("^") or "(?P<" in route:
        # A regex route (the admin's app index): fill named groups, drop anchors.
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(given.get(m.group(1), "nothing-here")), route)
        return path.replace("^", "").replace("$", "").replace("\\", "")
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(given.get(m.group(2), _sample(m.group(1)))), route)


def endpoints() -> list[Endpoint]:
    """One concrete path for every URL pattern the root URLconf knows."""
    samples = url_kwargs()
    found: dict[str, Endpoint] = {}
    for name, route in _walk(get_resolver().url_patterns, "", ""):
        path = concrete_path(route, samples.get(name, {}))
        endpoint = Endpoint(name=name, path="/" + path, route=route)
        found.setdefault(endpoint.path, endpoint)
    return sorted(found.values(), key=lambda e: e.path)
