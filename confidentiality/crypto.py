"""Envelope encryption with AES-256-GCM.

Ciphertext layout (all binary):  b"\\x01" | data key id (16 bytes) | nonce (12) | ciphertext+tag.
The additional authenticated data names the model, field, scope and row, so a value copied to
another field, row or client fails to decrypt. Failures raise; they never return ciphertext or "".

Data-key material lives only in the key provider's keystore (never in the database); a `DataKey`
row holds its metadata. Destroying a key deletes its material there (crypto-shredding).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState
from confidentiality.providers import KeyProvider, WrongMasterKeyError

log = logging.getLogger("firmportal.crypto")

FORMAT_V1 = 1
_HEADER = 1 + 16 + 12
# Bound once: the per-value hot paths call these millions of times.
_monotonic = time.monotonic
_urandom = os.urandom
# Unwrapped keys stay in process memory for at most this long, so a field costs one AES-GCM
# operation rather than one keystore read. Destruction empties the destroying process's cache at
# once; other processes notice within FIRMPORTAL_KEY_REVALIDATE_SECONDS (the keystore's
# generation counter grows with every destruction and rotation).
_CACHE_SECONDS = 300
_DEFAULT_REVALIDATE_SECONDS = 5.0

__all__ = ["KeyScope"]


class DecryptionError(Exception):
    """The ciphertext could not be decrypted: tampered, moved, or its key is gone."""

    def __init__(self, message: str, *, where: str = "", key_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.where = where
        self.key_id = key_id


class KeyDestroyedError(DecryptionError):
    """The data key of this value was destroyed (crypto-shredded)."""


_provider_lock = threading.Lock()
_provider: KeyProvider | None = None
_key_cache: dict[bytes, tuple[float, AESGCM]] = {}
_active_cache: dict[KeyScope, tuple[float, uuid.UUID]] = {}
_hot_cache: dict[KeyScope, tuple[float, bytes, AESGCM, bytes]] = {}
_secret_cache: dict[str, tuple[float, bytes]] = {}
_seen_generation: list[int | None] = [None]
_next_revalidation: list[float] = [0.0]


def provider() -> KeyProvider:
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                factory = import_string(settings.FIRMPORTAL_KEY_PROVIDER)
                _provider = factory(**settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS)
    return _provider


def check_keys() -> None:
    """Start-up check: raises ImproperlyConfigured naming the problem (missing or wrong master key)."""
    provider().verify()


def reset_caches() -> None:
    """Forget the provider and every unwrapped key (after rotation, destruction, or in tests)."""
    global _provider
    with _provider_lock:
        _provider = None
    _clear_key_caches()
    _seen_generation[0] = None
    _next_revalidation[0] = 0.0


def _clear_key_caches() -> None:
    _key_cache.clear()
    _active_cache.clear()
    _hot_cache.clear()
    _secret_cache.clear()


def forget_key(key_id: uuid.UUID) -> None:
    _key_cache.pop(key_id.bytes, None)
    for scope, (_, cached_id) in list(_active_cache.items()):
        if cached_id == key_id:
            _active_cache.pop(scope, None)
    for scope, hot in list(_hot_cache.items()):
        if hot[1] == key_id.bytes:
            _hot_cache.pop(scope, None)


def _revalidate() -> None:
    """Drop cached keys when another process destroyed or rotated keys (bounded staleness)."""
    now = time.monotonic()
    if now < _next_revalidation[0]:
        return
    interval = float(getattr(settings, "FIRMPORTAL_KEY_REVALIDATE_SECONDS", _DEFAULT_REVALIDATE_SECONDS))
    _next_revalidation[0] = now + interval
    generation = provider().generation()
    if _seen_generation[0] is not None and generation != _seen_generation[0]:
        _clear_key_caches()
        # A master-key rotation elsewhere changed the keyring: load it again.
        global _provider
        with _provider_lock:
            _provider = None
    _seen_generation[0] = generation


def _unwrap(key: DataKey) -> AESGCM:
    if key.state == DataKeyState.DESTROYED:
        raise KeyDestroyedError(f"data key {key.id} was destroyed")
    try:
        material = provider().get(str(key.id), context=key.wrap_context())
    except WrongMasterKeyError as exc:
        raise DecryptionError(f"data key {key.id} does not unwrap under master key {key.master_key_id}") from exc
    if material is None:
        raise KeyDestroyedError(f"the material of data key {key.id} is no longer in the keystore")
    aead = AESGCM(material)
    _key_cache[key.id.bytes] = (time.monotonic() + _CACHE_SECONDS, aead)
    return aead


def _aead_for(key_bytes: bytes) -> AESGCM:
    now = time.monotonic()
    if now >= _next_revalidation[0]:
        _revalidate()
    cached = _key_cache.get(key_bytes)
    if cached is not None and cached[0] > now:
        return cached[1]
    key_id = uuid.UUID(bytes=key_bytes)
    try:
        key = DataKey.objects.get(pk=key_id)
    except DataKey.DoesNotExist as exc:
        raise KeyDestroyedError(f"data key {key_id} no longer exists") from exc
    return _unwrap(key)


def create_data_key(scope: KeyScope, *, version: int = 1, state: str = DataKeyState.ACTIVE) -> DataKey:
    """A new data key: material into the keystore, metadata into the database (caller's transaction)."""
    key = DataKey(owner=scope.owner, year=scope.year, version=version, state=state)
    key.master_key_id = provider().put(str(key.id), AESGCM.generate_key(bit_length=256), context=key.wrap_context())
    try:
        key.save(force_insert=True)
    except IntegrityError:
        provider().delete(str(key.id))  # never committed: leave no orphan material behind
        raise
    return key


def active_key_id(scope: KeyScope) -> uuid.UUID:
    """The key that encrypts new data of this scope, created on first use."""
    _revalidate()
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


@functools.lru_cache(maxsize=65536)
def aad_for(label: str, field: str, scope: KeyScope, row_id: object) -> bytes:
    """The additional authenticated data of a value: model, field, scope and row."""
    return f"{label}|{field}|{scope.label}|{row_id}".encode()


def encrypt_bytes(scope: KeyScope, aad: bytes, data: bytes) -> bytes:
    """Encrypt under the scope's active key: version byte | key id | nonce | ciphertext+tag."""
    now = _monotonic()
    if now >= _next_revalidation[0]:
        _revalidate()
    # Hot path: the scope's active key id (as bytes), its cipher and the ciphertext header
    # (version byte + key id), in one lookup.
    hot = _hot_cache.get(scope)
    if hot is None or hot[0] <= now:
        hot = _warm(scope)
    nonce = _urandom(12)
    return hot[3] + nonce + hot[2].encrypt(nonce, data, aad)


def _warm(scope: KeyScope) -> tuple[float, bytes, AESGCM, bytes]:
    key_bytes = active_key_id(scope).bytes
    hot = (
        min(_active_cache[scope][0], _key_expiry(key_bytes)),
        key_bytes,
        _aead_for(key_bytes),
        b"\x01" + key_bytes,
    )
    _hot_cache[scope] = hot
    return hot


def _key_expiry(key_bytes: bytes) -> float:
    cached = _key_cache.get(key_bytes)
    return cached[0] if cached is not None else 0.0


def encrypt_bytes_with(key_id: uuid.UUID, aad: bytes, data: bytes) -> bytes:
    """Encrypt under a given data key (key rotation re-encrypts under the new key explicitly)."""
    nonce = os.urandom(12)
    return b"\x01" + key_id.bytes + nonce + _aead_for(key_id.bytes).encrypt(nonce, data, aad)


def key_id_of(ciphertext: bytes) -> uuid.UUID:
    if len(ciphertext) < _HEADER + 16 or ciphertext[0] != FORMAT_V1:
        raise DecryptionError("not a FirmPortal ciphertext (unknown format version or too short)")
    return uuid.UUID(bytes=bytes(ciphertext[1:17]))


def decrypt_value(aad: bytes, ciphertext: bytes, field: Any, row: Any) -> bytes:
    """`decrypt_bytes` for a field of a loaded row (positional: the per-value read path)."""
    now = _monotonic()
    if now < _next_revalidation[0] and type(ciphertext) is bytes:
        cached = _key_cache.get(ciphertext[1:17])
        if cached is not None and cached[0] > now:
            try:
                return cached[1].decrypt(ciphertext[17:29], ciphertext[29:], aad)
            except InvalidTag:
                pass  # diagnosed and reported below
    return decrypt_bytes(aad, ciphertext, where=field, row=row)


def decrypt_bytes(aad: bytes, ciphertext: bytes, *, where: Any = "", row: Any = None) -> bytes:
    """Decrypt and authenticate. `where` names the value in failure reports: a string, or a field
    with `row` (the name is then only built when something fails)."""
    if type(ciphertext) is not bytes:
        ciphertext = bytes(ciphertext)
    if row is not None:
        try:
            return _aead_for(ciphertext[1:17]).decrypt(ciphertext[17:29], ciphertext[29:], aad)
        except Exception:  # noqa: BLE001 - redone below with the full diagnosis and report
            where = where.where(row)
    if len(ciphertext) < _HEADER + 16 or ciphertext[0] != FORMAT_V1:
        report_decryption_failure(where=where, key_id=None, reason="format")
        raise DecryptionError("not a FirmPortal ciphertext (unknown format version or too short)")
    try:
        return _aead_for(ciphertext[1:17]).decrypt(ciphertext[17:29], ciphertext[29:], aad)
    except KeyDestroyedError:
        raise
    except DecryptionError:
        report_decryption_failure(where=where, key_id=uuid.UUID(bytes=ciphertext[1:17]), reason="unwrap")
        raise
    except InvalidTag as exc:
        key_id = uuid.UUID(bytes=ciphertext[1:17])
        report_decryption_failure(where=where, key_id=key_id, reason="authentication")
        raise DecryptionError(
            f"ciphertext of {where or 'a value'} fails authentication", where=where, key_id=key_id
        ) from exc


# --- Named secrets in the keystore (e.g. blind-index keys) ------------------------------------


def keystore_secret(name: str, *, create: bool = True) -> bytes:
    """A 256-bit secret kept in the keystore under `name` (not a data key), created on first use."""
    _revalidate()
    cached = _secret_cache.get(name)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    context = f"firmportal-secret|{name}".encode()
    try:
        material = provider().get(name, context=context)
    except WrongMasterKeyError as exc:
        raise DecryptionError(f"keystore secret {name} does not unwrap") from exc
    if material is None:
        if not create:
            raise KeyDestroyedError(f"keystore secret {name} does not exist")
        with contextlib.suppress(sqlite3.IntegrityError):  # another process created it first
            provider().put(name, os.urandom(32), context=context)
        material = provider().get(name, context=context)
        if material is None:  # pragma: no cover - deleted between the two calls
            raise KeyDestroyedError(f"keystore secret {name} was destroyed")
    _secret_cache[name] = (time.monotonic() + _CACHE_SECONDS, material)
    return material


def derived_secret(name: str, info: bytes, *, create: bool = True) -> bytes:
    """A key derived (HKDF-SHA256) from the keystore secret `name`; cached and forgotten with it."""
    cache_name = f"derived|{name}|{info.hex()}"
    _revalidate()
    cached = _secret_cache.get(cache_name)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    root = keystore_secret(name, create=create)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)
    _secret_cache[cache_name] = (time.monotonic() + _CACHE_SECONDS, key)
    return key


def owner_destroyed(owner: str) -> bool:
    """True once the owner's client-wide keys were destroyed (and no new one exists)."""
    own = DataKey.objects.filter(owner=owner, year__isnull=True)
    return own.filter(state=DataKeyState.DESTROYED).exists() and not own.exclude(state=DataKeyState.DESTROYED).exists()


# --- Crypto-shredding -----------------------------------------------------------------------


def _shred(names: Iterable[str]) -> None:
    for name in names:
        provider().delete(name)
        _secret_cache.pop(name, None)
    _clear_key_caches()


def shred_pending() -> int:
    """Delete keystore material of keys marked destroyed whose deletion did not run (a crash after
    commit). Idempotent; runs after every destruction and in the rotation job."""
    ids = [str(pk) for pk in DataKey.objects.filter(state=DataKeyState.DESTROYED).values_list("id", flat=True)]
    count = 0
    for key_id in ids:
        if provider().delete(key_id):
            count += 1
    if count:
        _clear_key_caches()
        log.warning("shredded %s data keys whose deletion had not run", count)
    return count


def _mark_destroyed(keys: list[DataKey], *, actor: Any, reason: str, extra: list[str] | None = None) -> list[str]:
    from audit import services as audit
    from audit.models import AuditAction

    now = timezone.now()
    names = [str(key.id) for key in keys] + list(extra or [])
    for key in keys:
        forget_key(key.id)
        DataKey.objects.filter(pk=key.pk).update(state=DataKeyState.DESTROYED, destroyed_at=now)
        audit.record(
            actor=actor,
            action=AuditAction.DATA_KEY_DESTROYED,
            target=key,
            client_ref=key.owner.split(":", 1)[1] if key.owner.startswith("client:") else "",
            details={"owner": key.owner, "year": key.year, "version": key.version, "reason": reason[:200]},
        )
    transaction.on_commit(lambda: _shred(names))
    return names


@transaction.atomic
def destroy_data_key(key_id: uuid.UUID, *, actor: Any, reason: str = "") -> DataKey:
    """Crypto-shred one data key: its row is marked destroyed now (this process stops using it at
    once) and its material is deleted from the keystore when the transaction commits."""
    key = DataKey.objects.select_for_update().get(pk=key_id)
    if key.state != DataKeyState.DESTROYED:
        _mark_destroyed([key], actor=actor, reason=reason)
    else:
        transaction.on_commit(lambda: _shred([str(key.id)]))
    key.refresh_from_db()
    return key


@transaction.atomic
def destroy_scope(scope: KeyScope, *, actor: Any, reason: str = "", all_years: bool = False) -> int:
    """Crypto-shred every key of a scope (with `all_years`, of every fiscal year of the owner, and
    the owner's blind-index key too). Nothing new can be written under the scope afterwards.
    Returns how many keys were destroyed."""
    keys = DataKey.objects.select_for_update().filter(owner=scope.owner).exclude(state=DataKeyState.DESTROYED)
    if not all_years:
        keys = keys.filter(year=scope.year)
    found = list(keys)
    extra = [index_key_name(scope.owner)] if all_years else []
    if not found and not DataKey.objects.filter(owner=scope.owner, year=scope.year).exists():
        # A scope that never had a key: record a destroyed placeholder so it stays closed.
        placeholder = DataKey(owner=scope.owner, year=scope.year, version=1, state=DataKeyState.DESTROYED)
        placeholder.master_key_id = ""
        placeholder.destroyed_at = timezone.now()
        placeholder.save(force_insert=True)
    _mark_destroyed(found, actor=actor, reason=reason, extra=extra)
    for cached_scope in [s for s in _active_cache if s.owner == scope.owner]:
        _active_cache.pop(cached_scope, None)
    for cached_scope in [s for s in _hot_cache if s.owner == scope.owner]:
        _hot_cache.pop(cached_scope, None)
    return len(found)


def index_key_name(owner: str) -> str:
    return f"blind-index|{owner}"


# --- Decryption failures --------------------------------------------------------------------


def report_decryption_failure(*, where: str, key_id: uuid.UUID | None, reason: str = "authentication") -> None:
    """A value that fails authentication was tampered with or moved: make it loud.

    Logged, recorded as an audit event, and handed to `alert_compliance_of_decryption_failure`
    (the one place to connect to the compliance alerts at merge). Never raises.

    The audit event is written in the caller's transaction: a caller that rolls back after the
    failure (e.g. a rotation batch) must report again once outside it (the rotation job does).
    The log line is written in every case.
    """
    log.error("decryption failed where=%s key=%s reason=%s", where, key_id, reason)
    try:
        from audit import services as audit
        from audit.models import AuditAction

        with transaction.atomic():
            event = audit.record(
                actor=None,
                action=AuditAction.DECRYPTION_FAILED,
                details={"where": where[:200], "key_id": str(key_id or ""), "reason": reason},
            )
        alert_compliance_of_decryption_failure(where=where, key_id=key_id, reason=reason, audit_event_id=event.pk)
    except Exception:  # the failure itself must still raise to the caller; never hide it behind this
        log.exception("could not record the decryption failure where=%s", where)


def alert_compliance_of_decryption_failure(
    *, where: str, key_id: uuid.UUID | None, reason: str, audit_event_id: int | None
) -> None:
    """Raise a compliance alert for a decryption failure (the audit desk's `decryption_failed` rule).

    The alert is written in a savepoint of the caller's transaction: if the caller rolls back, the
    log line below remains the record.
    """
    from audit.alerts import raise_decryption_alert

    raise_decryption_alert(where=where, key_id=str(key_id or "-"), reason=reason, audit_event_id=audit_event_id)
    log.critical(
        "ALERT compliance: decryption failure where=%s key=%s reason=%s audit_event=%s",
        where,
        key_id,
        reason,
        audit_event_id,
    )
