"""Envelope encryption with AES-256-GCM.

Ciphertext layout (all binary):  b"\\x01" | data key id (16 bytes) | nonce (12) | ciphertext+tag.
The additional authenticated data names the model, field, scope and row, so a value copied to
another field, row or client fails to decrypt. Failures raise; they never return ciphertext or "".
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState
from confidentiality.providers import KeyProvider

log = logging.getLogger("firmportal.crypto")

FORMAT_V1 = 1
_HEADER = 1 + 16 + 12
# Unwrapped data keys are kept in process memory for a short time, so each field costs one AES-GCM
# operation rather than one unwrap. A destroyed key stops decrypting everywhere within this time.
_CACHE_SECONDS = 300


class DecryptionError(Exception):
    """The ciphertext could not be decrypted: tampered, moved, or its key is gone."""


class KeyDestroyedError(DecryptionError):
    """The data key of this value was destroyed (crypto-shredded)."""


_provider_lock = threading.Lock()
_provider: KeyProvider | None = None
_key_cache: dict[uuid.UUID, tuple[float, AESGCM]] = {}
_active_cache: dict[KeyScope, tuple[float, uuid.UUID]] = {}


def provider() -> KeyProvider:
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                factory = import_string(settings.FIRMPORTAL_KEY_PROVIDER)
                _provider = factory(**settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS)
    return _provider


def reset_caches() -> None:
    """Forget the provider and every unwrapped key (after rotation, destruction, or in tests)."""
    global _provider
    with _provider_lock:
        _provider = None
    _key_cache.clear()
    _active_cache.clear()


def forget_key(key_id: uuid.UUID) -> None:
    _key_cache.pop(key_id, None)
    for scope, (_, cached_id) in list(_active_cache.items()):
        if cached_id == key_id:
            _active_cache.pop(scope, None)


def _unwrap(key: DataKey) -> AESGCM:
    if key.state == DataKeyState.DESTROYED or key.wrapped_key is None:
        raise KeyDestroyedError(f"data key {key.id} was destroyed")
    try:
        material = provider().unwrap(key.master_key_id, bytes(key.wrapped_key), context=key.wrap_context())
    except InvalidTag as exc:
        raise DecryptionError(f"data key {key.id} does not unwrap under master key {key.master_key_id}") from exc
    aead = AESGCM(material)
    _key_cache[key.id] = (time.monotonic() + _CACHE_SECONDS, aead)
    return aead


def _aead_for(key_id: uuid.UUID) -> AESGCM:
    cached = _key_cache.get(key_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        key = DataKey.objects.get(pk=key_id)
    except DataKey.DoesNotExist as exc:
        raise KeyDestroyedError(f"data key {key_id} no longer exists") from exc
    return _unwrap(key)


def create_data_key(scope: KeyScope, *, version: int = 1) -> DataKey:
    key = DataKey(owner=scope.owner, year=scope.year, version=version, state=DataKeyState.ACTIVE)
    master_id, wrapped = provider().wrap(AESGCM.generate_key(bit_length=256), context=key.wrap_context())
    key.master_key_id = master_id
    key.wrapped_key = wrapped
    key.save(force_insert=True)
    return key


def active_key_id(scope: KeyScope) -> uuid.UUID:
    """The key that encrypts new data of this scope, created on first use."""
    cached = _active_cache.get(scope)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    key = DataKey.objects.filter(owner=scope.owner, year=scope.year, state=DataKeyState.ACTIVE).first()
    if key is None:
        if DataKey.objects.filter(owner=scope.owner, year=scope.year, state=DataKeyState.DESTROYED).exists():
            # A destroyed scope stays destroyed: nothing new may be written under it.
            raise KeyDestroyedError(f"the keys of {scope.label} were destroyed")
        try:
            with transaction.atomic():
                key = create_data_key(scope)
        except IntegrityError:  # another process created it first
            key = DataKey.objects.get(owner=scope.owner, year=scope.year, state=DataKeyState.ACTIVE)
    _active_cache[scope] = (time.monotonic() + _CACHE_SECONDS, key.id)
    return key.id


def aad_for(label: str, field: str, scope: KeyScope, row_id: object) -> bytes:
    return f"{label}|{field}|{scope.label}|{row_id}".encode()


def encrypt_bytes(scope: KeyScope, aad: bytes, data: bytes) -> bytes:
    key_id = active_key_id(scope)
    nonce = os.urandom(12)
    return bytes([FORMAT_V1]) + key_id.bytes + nonce + _aead_for(key_id).encrypt(nonce, data, aad)


def key_id_of(ciphertext: bytes) -> uuid.UUID:
    if len(ciphertext) < _HEADER + 16 or ciphertext[0] != FORMAT_V1:
        raise DecryptionError("not a FirmPortal ciphertext (unknown format version or too short)")
    return uuid.UUID(bytes=bytes(ciphertext[1:17]))


def decrypt_bytes(aad: bytes, ciphertext: bytes, *, where: str = "") -> bytes:
    ciphertext = bytes(ciphertext)
    key_id = key_id_of(ciphertext)
    try:
        return _aead_for(key_id).decrypt(ciphertext[17:29], ciphertext[29:], aad)
    except KeyDestroyedError:
        raise
    except InvalidTag as exc:
        report_decryption_failure(where=where, key_id=key_id)
        raise DecryptionError(f"ciphertext of {where or 'a value'} fails authentication") from exc


def report_decryption_failure(*, where: str, key_id: uuid.UUID) -> None:
    """A value that fails authentication was tampered with or moved: make it loud."""
    log.error("decryption failed where=%s key=%s", where, key_id)
