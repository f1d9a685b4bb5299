"""Unwrap the data keys a page needs in one query, so a list of N clients (each with its own key)
runs a constant number of queries instead of one key lookup per row.

Belongs in `confidentiality.crypto` as a public function; kept here until the encryption slice
offers one (it uses that module's cache and unwrap).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from confidentiality import crypto
from confidentiality.models import DataKey


def _cached(key_id: uuid.UUID) -> bool:
    cache: dict = crypto._key_cache  # type: ignore[type-arg]
    entry = cache.get(key_id) or cache.get(key_id.bytes)
    return entry is not None and entry[0] > time.monotonic()


def preload_keys(ciphertexts: Iterable[bytes | memoryview | None]) -> None:
    """Make every key these ciphertexts need ready for decryption (one query for the missing ones)."""
    wanted: set[uuid.UUID] = set()
    for ciphertext in ciphertexts:
        if ciphertext is None:
            continue
        try:
            key_id = crypto.key_id_of(bytes(ciphertext))
        except crypto.DecryptionError:
            continue  # decrypting it later raises and alerts, as it should
        if not _cached(key_id):
            wanted.add(key_id)
    if not wanted:
        return
    for key in DataKey.objects.filter(pk__in=wanted):
        try:
            crypto._unwrap(key)
        except crypto.DecryptionError:
            continue  # left to the decryption itself, which raises and reports


def preload_for(objects: Iterable[object], *fields: str) -> None:
    """preload_keys for the named encrypted fields of these model instances."""
    preload_keys(obj.__dict__.get(name) for obj in objects for name in fields)
