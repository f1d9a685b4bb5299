"""What a data key protects: one client's data (optionally one fiscal year of it) or a firm purpose."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class KeyScope:
    owner: str
    year: int | None = None
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Scopes are dictionary keys on every encryption: hash once.
        object.__setattr__(self, "_hash", hash((self.owner, self.year)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def for_client(
        cls, client_id: uuid.UUID | str, fiscal_year: int | None = None, *, category: str | None = None
    ) -> KeyScope:
        """A client's data. With a fiscal year (and archive category), the records whose destruction
        must destroy just that key: one client's vouchers of FY2015 expire on another day than its
        FY2015 bank statements, so each (year, category) has a key of its own."""
        if fiscal_year is None and category is None:
            # The commonest scope, asked for on every encrypted value: found by the identity of the
            # id object (a row's `client_id`), which the entry keeps alive, so ids are never reused.
            hit = _whole_client_scopes.get(id(client_id))
            if hit is not None and hit[0] is client_id:
                return hit[1]
            scope = _client_scope(client_id, None, None)
            if len(_whole_client_scopes) >= 65536:
                _whole_client_scopes.clear()
            _whole_client_scopes[id(client_id)] = (client_id, scope)
            return scope
        return _client_scope(client_id, fiscal_year, category)

    @classmethod
    def for_firm(cls, purpose: str) -> KeyScope:
        """Firm-owned secrets, e.g. whistleblower reports."""
        if not purpose or ":" in purpose:
            raise ValueError("a firm key scope needs a plain purpose name")
        return cls(owner=f"firm:{purpose}", year=None)

    @property
    def label(self) -> str:
        return _label(self.owner, self.year)

    @property
    def client_id(self) -> str | None:
        if not self.owner.startswith("client:"):
            return None
        return self.owner.split(":", 1)[1].split("#", 1)[0]

    @property
    def category(self) -> str | None:
        return self.owner.split("#", 1)[1] if "#" in self.owner else None


_whole_client_scopes: dict[int, tuple[object, KeyScope]] = {}


@functools.lru_cache(maxsize=65536)
def _client_scope(client_id: uuid.UUID | str, fiscal_year: int | None, category: str | None) -> KeyScope:
    # Scopes are immutable: computing each once keeps per-field encryption cheap.
    if category is not None and (fiscal_year is None or not category.replace("_", "").replace("-", "").isalnum()):
        raise ValueError("an archive category needs a fiscal year and a plain name")
    owner = f"client:{client_id}" if category is None else f"client:{client_id}#{category}"
    return KeyScope(owner=owner, year=fiscal_year)


@functools.lru_cache(maxsize=65536)
def _label(owner: str, year: int | None) -> str:
    return f"{owner}/{year if year is not None else '-'}"
