"""Key providers: where the master key and the data-key material live. Chosen by FIRMPORTAL_KEY_PROVIDER.

The database holds no key material at all (see docs/keys-and-backups.md). A provider keeps
`key id -> wrap(master key, material, aad=key identity)` in its *keystore*, a store apart from the
database and from database backups; destroying a key deletes its entry there (crypto-shredding).

- `LocalKeyringProvider`: master keys in a JSON keyring file, the keystore in a SQLite file next to
  it (the embedded default).
- `AwsKmsProvider`: the master key is a KMS key (AWS KMS API: Encrypt / Decrypt with an encryption
  context); the keystore holds the KMS ciphertext blobs.

Both share `Keystore`, a SQLite file that several processes (web workers, Celery) open at once.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

_CHECK_CONTEXT = b"firmportal-keystore-check"


class WrongMasterKeyError(Exception):
    """A wrapped entry does not unwrap: the master key is not the one that wrapped it."""


@runtime_checkable
class KeyProvider(Protocol):
    """What crypto.py needs from a provider. Key ids are strings (a data key's UUID, or a named key)."""

    def current_key_id(self) -> str:
        """The master key that wraps new entries; raises ImproperlyConfigured when it is unusable."""
        ...

    def verify(self) -> None:
        """Start-up check: the master key is present and is the one the keystore was written with."""
        ...

    def put(self, key_id: str, material: bytes, *, context: bytes) -> str:
        """Wrap and store key material; returns the master key id it is wrapped under."""
        ...

    def get(self, key_id: str, *, context: bytes) -> bytes | None:
        """The unwrapped material, or None when it was destroyed (or never stored)."""
        ...

    def delete(self, key_id: str) -> bool:
        """Crypto-shred: remove the material from the keystore for good. True if it was there."""
        ...

    def generation(self) -> int:
        """A counter that grows with every deletion, so other processes notice and drop caches."""
        ...

    def rewrap_all(self) -> int:
        """Rewrap every entry under the current master key (master-key rotation). Returns how many.

        The keystore keeps each entry's (non-secret) context, so this needs no database."""
        ...

    def bump_generation(self) -> None:
        """Tell other processes to drop their cached keys (after a rotation step)."""
        ...


class Keystore:
    """A SQLite file of wrapped key material, safe for several processes (WAL, busy timeout).

    Deleted entries are overwritten (`secure_delete`) and the write-ahead log is truncated after
    each deletion, so the wrapped material does not linger in free pages or in the WAL file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ImproperlyConfigured(
                f"The keystore {self.path} does not exist. It holds every data key: restore it from its "
                "backup, or create an empty one with `manage.py init_keyring` on a new installation."
            )

    @staticmethod
    def create(path: str | os.PathLike[str]) -> Keystore:
        target = Path(path)
        if target.exists():
            raise FileExistsError(f"{target} exists; refusing to overwrite a keystore")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        store = Keystore(target)
        with store._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS entry (
                    key_id TEXT PRIMARY KEY,
                    master_key_id TEXT NOT NULL,
                    wrapped BLOB NOT NULL,
                    context BLOB NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS master_check (master_key_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO meta VALUES ('generation', 0);
                """
            )
        return store

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, key_id: str) -> tuple[str, bytes] | None:
        with self._connect() as conn:
            row = conn.execute("SELECT master_key_id, wrapped FROM entry WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def write(self, key_id: str, master_key_id: str, wrapped: bytes, context: bytes) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO entry (key_id, master_key_id, wrapped, context, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, master_key_id, wrapped, context, time.time()),
            )

    def delete(self, key_id: str) -> bool:
        with self.transaction() as conn:
            deleted = conn.execute("DELETE FROM entry WHERE key_id = ?", (key_id,)).rowcount
            conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'generation'")
        with self._connect() as conn:
            # Move the overwritten pages into the main file and empty the WAL, so no copy remains.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)

    def bump(self) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'generation'")

    def generation(self) -> int:
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def entries(self) -> list[tuple[str, str, bytes, bytes]]:
        """Every entry as (key id, master key id, wrapped material, context)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT key_id, master_key_id, wrapped, context FROM entry")
            return [(str(k), str(m), bytes(w), bytes(c)) for k, m, w, c in rows]

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM entry").fetchone()[0])

    def master_key_ids(self) -> dict[str, int]:
        with self._connect() as conn:
            return {str(m): int(n) for m, n in conn.execute("SELECT master_key_id, count(*) FROM entry GROUP BY 1")}

    def check_value(self, master_key_id: str) -> bytes | None:
        with self._connect() as conn:
            row = conn.execute("SELECT wrapped FROM master_check WHERE master_key_id = ?", (master_key_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_check_value(self, master_key_id: str, wrapped: bytes) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO master_check VALUES (?, ?)", (master_key_id, wrapped))

    def replace_all(self, rows: list[tuple[str, str, bytes]]) -> None:
        """Rewrite entries (key id, master key id, wrapped) in one transaction."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE entry SET master_key_id = ?, wrapped = ? WHERE key_id = ?", [(m, w, k) for k, m, w in rows]
            )
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _WrappingProvider:
    """Keystore bookkeeping shared by providers; subclasses wrap and unwrap under master keys."""

    keystore: Keystore

    def current_key_id(self) -> str:
        raise NotImplementedError

    def _wrap(self, material: bytes, context: bytes) -> tuple[str, bytes]:
        raise NotImplementedError

    def _unwrap(self, master_key_id: str, wrapped: bytes, context: bytes) -> bytes:
        raise NotImplementedError

    def verify(self) -> None:
        current = self.current_key_id()
        check = self.keystore.check_value(current)
        if check is None:
            _, wrapped = self._wrap(_CHECK_CONTEXT, _CHECK_CONTEXT)
            self.keystore.set_check_value(current, wrapped)
        else:
            try:
                self._unwrap(current, check, _CHECK_CONTEXT)
            except WrongMasterKeyError as exc:
                raise ImproperlyConfigured(
                    f"Wrong master key: master key {current!r} does not open the keystore {self.keystore.path} "
                    "(it was written with a different key of that name). Restore the right keyring."
                ) from exc
        for master_id, count in self.keystore.master_key_ids().items():
            if master_id != current and not self._knows(master_id):
                raise ImproperlyConfigured(
                    f"Missing master key: {count} data keys in {self.keystore.path} are wrapped under master key "
                    f"{master_id!r}, which the key provider does not have. Restore the keyring that holds it."
                )

    def _knows(self, master_key_id: str) -> bool:
        return master_key_id == self.current_key_id()

    def put(self, key_id: str, material: bytes, *, context: bytes) -> str:
        master_id, wrapped = self._wrap(material, context)
        self.keystore.write(key_id, master_id, wrapped, context)
        return master_id

    def get(self, key_id: str, *, context: bytes) -> bytes | None:
        entry = self.keystore.read(key_id)
        if entry is None:
            return None
        return self._unwrap(entry[0], entry[1], context)

    def delete(self, key_id: str) -> bool:
        return self.keystore.delete(key_id)

    def generation(self) -> int:
        return self.keystore.generation()

    def bump_generation(self) -> None:
        self.keystore.bump()

    def import_wrapped(self, key_id: str, master_key_id: str, wrapped: bytes, context: bytes) -> None:
        """Move an already wrapped entry in (the migration of keys out of the database)."""
        self.keystore.write(key_id, master_key_id, wrapped, context)

    def rewrap_all(self) -> int:
        current = self.current_key_id()
        rows = []
        for key_id, master_id, wrapped, context in self.keystore.entries():
            if master_id == current:
                continue
            material = self._unwrap(master_id, wrapped, context)
            rows.append((key_id, *self._wrap(material, context)))
        self.keystore.replace_all(rows)
        return len(rows)


class LocalKeyringProvider(_WrappingProvider):
    """Master keys in a JSON keyring file: {"current": id, "keys": {id: base64 32-byte key}}.

    The keystore defaults to `keystore.sqlite3` beside the keyring. Both live apart from the
    database and from database backups (see docs/keys-and-backups.md).
    """

    def __init__(self, path: str | os.PathLike[str], keystore: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ImproperlyConfigured(
                f"Missing master key: the keyring {self.path} does not exist. Create it with "
                "`manage.py init_keyring` or set FIRMPORTAL_KEYRING_FILE to the right file."
            ) from exc
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"The master keyring {self.path} cannot be read: {exc}") from exc
        try:
            self._keys = {key_id: base64.b64decode(value) for key_id, value in raw["keys"].items()}
            self._current = str(raw["current"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ImproperlyConfigured(f"The master keyring {self.path} is malformed ({exc}).") from exc
        if self._current not in self._keys:
            raise ImproperlyConfigured(
                f"The master keyring {self.path} names current key {self._current!r}, which it lacks."
            )
        if any(len(key) != 32 for key in self._keys.values()):
            raise ImproperlyConfigured(f"The master keyring {self.path} holds a key that is not 256 bits.")
        self.keystore = Keystore(Path(keystore) if keystore else self.path.parent / "keystore.sqlite3")
        self._aeads: dict[str, AESGCM] = {}

    def current_key_id(self) -> str:
        return self._current

    def _knows(self, master_key_id: str) -> bool:
        return master_key_id in self._keys

    def _aead(self, master_key_id: str) -> AESGCM:
        aead = self._aeads.get(master_key_id)
        if aead is None:
            try:
                aead = self._aeads[master_key_id] = AESGCM(self._keys[master_key_id])
            except KeyError as exc:
                raise ImproperlyConfigured(f"Missing master key: the keyring lacks key {master_key_id!r}.") from exc
        return aead

    def _wrap(self, material: bytes, context: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self._current, nonce + self._aead(self._current).encrypt(nonce, material, context)

    def _unwrap(self, master_key_id: str, wrapped: bytes, context: bytes) -> bytes:
        aead = self._aead(master_key_id)
        try:
            return aead.decrypt(wrapped[:12], wrapped[12:], context)
        except InvalidTag as exc:
            raise WrongMasterKeyError(f"entry does not unwrap under master key {master_key_id!r}") from exc

    # Keyring maintenance (init_keyring and master-key rotation).
    @staticmethod
    def create(
        path: str | os.PathLike[str], *, key_id: str | None = None, keystore: str | os.PathLike[str] | None = None
    ) -> LocalKeyringProvider:
        """Create a keyring (and, when missing, an empty keystore beside it)."""
        target = Path(path)
        if target.exists():
            raise FileExistsError(f"{target} exists; refusing to overwrite a keyring")
        target.parent.mkdir(parents=True, exist_ok=True)
        key_id = key_id or f"mk-{secrets.token_hex(4)}"
        _write_keyring(target, {"current": key_id, "keys": {key_id: base64.b64encode(os.urandom(32)).decode()}})
        store_path = Path(keystore) if keystore else target.parent / "keystore.sqlite3"
        if not store_path.exists():
            Keystore.create(store_path)
        return LocalKeyringProvider(target, keystore=store_path)

    def add_master_key(self) -> str:
        """Add a new master key and make it current; old keys stay until every entry is rewrapped."""
        key_id = f"mk-{secrets.token_hex(4)}"
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        raw["keys"][key_id] = base64.b64encode(os.urandom(32)).decode()
        raw["current"] = key_id
        _write_keyring(self.path, raw)
        self._keys[key_id] = base64.b64decode(raw["keys"][key_id])
        self._current = key_id
        self.verify()  # writes the check value of the new key
        return key_id

    def retire_master_key(self, key_id: str) -> None:
        """Remove an old master key from the keyring; refuses while any entry is wrapped under it."""
        if key_id == self._current:
            raise ValueError("the current master key cannot be retired")
        if self.keystore.master_key_ids().get(key_id):
            raise ValueError(f"entries are still wrapped under {key_id}: rewrap first")
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        raw["keys"].pop(key_id, None)
        _write_keyring(self.path, raw)
        self._keys.pop(key_id, None)
        self._aeads.pop(key_id, None)

    def master_key_ids(self) -> list[str]:
        return sorted(self._keys)


class AwsKmsProvider(_WrappingProvider):
    """The master key is an AWS KMS key; entries are KMS `Encrypt` ciphertext blobs in the keystore.

    Options (FIRMPORTAL_KEY_PROVIDER_OPTIONS): `key_id` (KMS key id, ARN or alias: the current
    master key), `keystore` (path of the SQLite keystore), and optionally `region_name`,
    `endpoint_url` (a KMS-compatible endpoint), `previous_key_ids` (older KMS keys still allowed to
    decrypt until every entry is rewrapped). Credentials come from boto3's usual chain.
    The encryption context binds each blob to its data key's identity, as the AAD does locally.
    """

    def __init__(
        self,
        key_id: str,
        keystore: str | os.PathLike[str],
        region_name: str | None = None,
        endpoint_url: str | None = None,
        previous_key_ids: list[str] | None = None,
        client: Any = None,
    ) -> None:
        if not key_id:
            raise ImproperlyConfigured("Missing master key: the KMS provider needs options['key_id'].")
        try:
            import boto3
        except ImportError as exc:  # pragma: no cover - boto3 is in requirements.lock
            raise ImproperlyConfigured("The KMS key provider needs boto3 installed.") from exc
        self._key_id = key_id
        self._previous = set(previous_key_ids or [])
        self._client = client or boto3.client("kms", region_name=region_name, endpoint_url=endpoint_url)
        self.keystore = Keystore(keystore)
        self._arn: str | None = None

    def current_key_id(self) -> str:
        if self._arn is None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                meta = self._client.describe_key(KeyId=self._key_id)["KeyMetadata"]
            except (ClientError, BotoCoreError) as exc:
                raise ImproperlyConfigured(
                    f"Missing master key: KMS key {self._key_id!r} is not usable: {exc}"
                ) from exc
            if meta.get("KeyState") != "Enabled":
                raise ImproperlyConfigured(
                    f"Missing master key: KMS key {self._key_id!r} is {meta.get('KeyState')}, not Enabled."
                )
            self._arn = str(meta["Arn"])
        return self._arn

    def _knows(self, master_key_id: str) -> bool:
        return master_key_id == self.current_key_id() or master_key_id in self._previous

    @staticmethod
    def _context(context: bytes) -> dict[str, str]:
        return {"firmportal": base64.b64encode(context).decode()}

    def _wrap(self, material: bytes, context: bytes) -> tuple[str, bytes]:
        arn = self.current_key_id()
        out = self._client.encrypt(KeyId=arn, Plaintext=material, EncryptionContext=self._context(context))
        return arn, bytes(out["CiphertextBlob"])

    def _unwrap(self, master_key_id: str, wrapped: bytes, context: bytes) -> bytes:
        from botocore.exceptions import ClientError

        try:
            out = self._client.decrypt(
                KeyId=master_key_id, CiphertextBlob=wrapped, EncryptionContext=self._context(context)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"InvalidCiphertextException", "IncorrectKeyException"}:
                raise WrongMasterKeyError(f"KMS refuses to decrypt under {master_key_id!r}: {code}") from exc
            raise ImproperlyConfigured(f"KMS key {master_key_id!r} cannot decrypt: {exc}") from exc
        return bytes(out["Plaintext"])


def _write_keyring(path: Path, content: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle)
    os.replace(tmp, path)
