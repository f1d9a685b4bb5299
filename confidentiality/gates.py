"""The gates in front of client data: staff need the current NDA and confidentiality training.

The records and the rule belong to the compliance programme (`compliance.queries.access_gate`);
this module is the access layer's one door to it, and the exception the gate middleware turns into
a redirect to the page that says what is missing and whom to ask.
"""

from __future__ import annotations

from typing import Any


class AccessGateBlockedError(Exception):
    """A staff member who has not passed the gates asked for client data."""

    def __init__(self, status: Any) -> None:
        super().__init__("access gate not passed")
        self.status = status


_CACHE_ATTR = "_fp_gate_status"


def gate_status(user: Any) -> Any:
    """`compliance.queries.access_gate(user)` (NDA + training), cached on the user object (one request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from compliance.queries import access_gate

    status = access_gate(user)
    setattr(user, _CACHE_ATTR, status)
    return status


def forget(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
