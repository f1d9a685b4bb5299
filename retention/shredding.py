"""Crypto-shredding of a volume's key, through the crypto slice's API.

`confidentiality.crypto.destroy_scope(scope, actor=..., reason=...)` marks the scope's DataKey rows
destroyed and deletes their material from the key store (outside the database and its backups)
when the transaction commits; a shredding interrupted by a crash after commit is finished by the
crypto slice's `shred-pending-keys` job.
"""

from __future__ import annotations

from typing import Any

from confidentiality import crypto
from confidentiality.keyscope import KeyScope


def destroy_scope(scope: KeyScope, *, actor: Any = None, reason: str = "retention") -> int:
    """Destroy every data key of `scope`; idempotent. Returns how many keys were destroyed now."""
    return crypto.destroy_scope(scope, actor=actor, reason=reason)
