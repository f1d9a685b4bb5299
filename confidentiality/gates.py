"""The gates in front of client data: staff need the current NDA and confidentiality training.

The records and the rule belong to the compliance programme (`compliance.queries.access_gate`);
this module is the access layer's one door to it, and the exception the gate middleware turns into
a redirect to the page that says what is missing and whom to ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class GateStatus:
    ok: bool
    missing: list[str] = field(default_factory=list)
    whom_to_ask: list[str] = field(default_factory=list)


class AccessGateBlockedError(Exception):
    """A staff member who has not passed the gates asked for client data."""

    def __init__(self, status: Any) -> None:
        super().__init__("access gate not passed")
        self.status = status


_CACHE_ATTR = "_fp_gate_status"


def gate_status(user: Any) -> Any:
    """Whether `user` (staff) has passed the NDA and training gates; cached on the user object.

    The cache lives as long as the user object, i.e. one request.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if apps.is_installed("compliance"):
        from compliance.queries import access_gate  # type: ignore[import-not-found,unused-ignore]

        status = access_gate(user)
    else:
        # Until the compliance programme is installed there are no NDA or training records to
        # check; the gate is open. (See the access slice's report: wiring lands with compliance.)
        status = GateStatus(ok=True)
    setattr(user, _CACHE_ATTR, status)
    return status


def forget(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
