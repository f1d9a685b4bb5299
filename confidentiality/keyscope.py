"""What a data key protects: one client's data (optionally one fiscal year of it) or a firm purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyScope:
    owner: str
    year: int | None = None

    @classmethod
    def for_client(cls, client_id: uuid.UUID | str, fiscal_year: int | None = None) -> KeyScope:
        """A client's data; with a fiscal year, records whose destruction must destroy just that year."""
        return cls(owner=f"client:{client_id}", year=fiscal_year)

    @classmethod
    def for_firm(cls, purpose: str) -> KeyScope:
        """Firm-owned secrets, e.g. whistleblower reports."""
        if not purpose or ":" in purpose:
            raise ValueError("a firm key scope needs a plain purpose name")
        return cls(owner=f"firm:{purpose}", year=None)

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.year if self.year is not None else '-'}"

    @property
    def client_id(self) -> str | None:
        return self.owner.split(":", 1)[1] if self.owner.startswith("client:") else None
