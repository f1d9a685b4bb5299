"""Key providers: where the master key lives. Chosen by FIRMPORTAL_KEY_PROVIDER.

A provider wraps and unwraps data keys; the master key itself never enters the database.
`LocalKeyringProvider` keeps master keys in a file outside the database (the embedded default).
A KMS-backed provider implements the same three methods against the KMS API.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured


class KeyProvider(Protocol):
    def current_key_id(self) -> str: ...

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the current master key; returns (master key id, wrapped key)."""
        ...

    def unwrap(self, master_key_id: str, wrapped: bytes, *, context: bytes) -> bytes: ...


class LocalKeyringProvider:
    """Master keys in a JSON keyring file: {"current": id, "keys": {id: base64 32-byte key}}.

    The file lives apart from the database and from backups (see docs/runbooks/key-rotation.md).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ImproperlyConfigured(
                f"The master keyring {self.path} does not exist. Create it with `manage.py init_keyring` "
                "or set FIRMPORTAL_KEYRING_FILE to the right file."
            ) from exc
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"The master keyring {self.path} cannot be read: {exc}") from exc
        try:
            self._keys = {key_id: base64.b64decode(value) for key_id, value in raw["keys"].items()}
            self._current = str(raw["current"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"The master keyring {self.path} is malformed ({exc}).") from exc
        if self._current not in self._keys:
            raise ImproperlyConfigured(
                f"The master keyring {self.path} names current key {self._current!r}, which it lacks."
            )
        if any(len(key) != 32 for key in self._keys.values()):
            raise ImproperlyConfigured(f"The master keyring {self.path} holds a key that is not 256 bits.")

    def current_key_id(self) -> str:
        return self._current

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self._current, nonce + AESGCM(self._keys[self._current]).encrypt(nonce, data_key, context)

    def unwrap(self, master_key_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        try:
            master = self._keys[master_key_id]
        except KeyError as exc:
            raise ImproperlyConfigured(f"The master keyring lacks key {master_key_id!r}.") from exc
        return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], context)

    # Keyring maintenance (used by init_keyring and master-key rotation).
    @staticmethod
    def create(path: str | os.PathLike[str], *, key_id: str | None = None) -> LocalKeyringProvider:
        target = Path(path)
        if target.exists():
            raise FileExistsError(f"{target} exists; refusing to overwrite a keyring")
        target.parent.mkdir(parents=True, exist_ok=True)
        key_id = key_id or f"mk-{secrets.token_hex(4)}"
        _write_keyring(target, {"current": key_id, "keys": {key_id: base64.b64encode(os.urandom(32)).decode()}})
        return LocalKeyringProvider(target)

    def add_master_key(self) -> str:
        """Add a new master key and make it current; old keys stay until every data key is rewrapped."""
        key_id = f"mk-{secrets.token_hex(4)}"
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        raw["keys"][key_id] = base64.b64encode(os.urandom(32)).decode()
        raw["current"] = key_id
        _write_keyring(self.path, raw)
        self._keys[key_id] = base64.b64decode(raw["keys"][key_id])
        self._current = key_id
        return key_id

    def retire_master_key(self, key_id: str) -> None:
        if key_id == self._current:
            raise ValueError("the current master key cannot be retired")
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        raw["keys"].pop(key_id, None)
        _write_keyring(self.path, raw)
        self._keys.pop(key_id, None)


def _write_keyring(path: Path, content: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle)
    os.replace(tmp, path)
