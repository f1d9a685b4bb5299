"""The Ed25519 key that signs audit seals. It lives in a file outside the database.

`FIRMPORTAL_AUDIT_SIGNING_KEY_FILE` names the file (PKCS#8 PEM). When it is not set, a key under
`VAR_DIR/audit/` is used, and created on first use only when `FIRMPORTAL_AUDIT_GENERATE_KEY` is on
(its default follows `FIRMPORTAL_HTTPS=0`, i.e. `make run` and the tests). Production must point
at a provisioned key: nothing is generated silently, and `check --deploy` says so.

Verification after a key change: public keys of earlier keys may be listed, one PEM per file, in
the directory `FIRMPORTAL_AUDIT_TRUSTED_KEYS_DIR`; each block names the key that signed it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def key_path() -> Path:
    configured = settings.FIRMPORTAL_AUDIT_SIGNING_KEY_FILE
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit" / "signing-key.pem"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    key_id: str

    def sign(self, message: bytes) -> str:
        return self.private_key.sign(message).hex()


def generate_key_file(path: Path) -> None:
    """Write a new key to `path` (mode 0600); refuses to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_signing_key() -> SigningKey:
    """The signing key; fails loudly, naming the variable, when it is missing."""
    path = key_path()
    if not path.exists():
        if settings.FIRMPORTAL_AUDIT_SIGNING_KEY_FILE or not settings.FIRMPORTAL_AUDIT_GENERATE_KEY:
            raise ImproperlyConfigured(
                f"The audit signing key {path} does not exist. Set FIRMPORTAL_AUDIT_SIGNING_KEY_FILE to a "
                "provisioned Ed25519 key (create one with `manage.py audit_keygen PATH`)."
            )
        with contextlib.suppress(FileExistsError):  # another process made it first
            generate_key_file(path)
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"The audit signing key {path} cannot be read: {exc}") from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"The audit signing key {path} is not an Ed25519 key.")
    return SigningKey(private_key=private_key, key_id=key_id(private_key.public_key()))


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys that may have signed blocks: the current key's, plus any listed earlier ones."""
    current = load_signing_key().private_key.public_key()
    keys = {key_id(current): current}
    directory = settings.FIRMPORTAL_AUDIT_TRUSTED_KEYS_DIR
    if directory:
        for path in sorted(Path(directory).glob("*.pem")):
            public_key = serialization.load_pem_public_key(path.read_bytes())
            if isinstance(public_key, Ed25519PublicKey):
                keys[key_id(public_key)] = public_key
    return keys
