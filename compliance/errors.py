"""The one error type services raise for refused input; its message is shown to the user as is."""

from __future__ import annotations


class ComplianceError(ValueError):
    """A request the rules refuse; `str(error)` is a translated, user-facing message."""
