"""Crypto-shredding of a volume's key, through the crypto slice's API when it is present.

`confidentiality.crypto.destroy_scope(scope)` removes the key material from the key store (outside
the database and its backups). Until that API is merged, this falls back to what the database
design of main allows: mark the scope's DataKey rows destroyed and drop their wrapped material.
"""

from __future__ import annotations

from django.utils import timezone

from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState


def destroy_scope(scope: KeyScope) -> int:
    """Destroy every data key of `scope`; idempotent. Returns how many keys were destroyed now."""
    api = getattr(crypto, "destroy_scope", None)
    if api is not None:
        result = api(scope)
        return int(result) if isinstance(result, int) else 0
    destroyed = 0
    for key in DataKey.objects.select_for_update().filter(owner=scope.owner, year=scope.year):
        if key.state == DataKeyState.DESTROYED:
            continue
        key.state = DataKeyState.DESTROYED
        key.wrapped_key = None
        key.destroyed_at = timezone.now()
        key.save(update_fields=["state", "wrapped_key", "destroyed_at"])
        crypto.forget_key(key.id)
        destroyed += 1
    return destroyed
