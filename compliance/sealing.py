"""INTERIM encryption of whistleblower texts, until `confidentiality.crypto` lands on main.

Shaped like the coming API (`encrypt_bytes(scope, aad, data)` / `decrypt_bytes(scope, aad, blob)`)
so switching is a one-line change per call: replace `seal("whistleblowing", ...)` with
`confidentiality.crypto.encrypt_bytes(KeyScope.for_firm("whistleblowing"), ...)` (and the model's
`body_sealed` with an `EncryptedTextField`). Until then: AES-256-GCM with a key derived by HKDF
from DJANGO_SECRET_KEY for the purpose, a random 96-bit nonce, and the row's identity as AAD, so
a ciphertext moved to another row or field does not decrypt. Never plaintext at rest.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = b"i1"  # interim format marker; the real API's blobs carry their own header


def _key(purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"firmportal-interim-seal", info=purpose.encode()).derive(
        settings.SECRET_KEY.encode()
    )


def seal(purpose: str, aad: bytes, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(_key(purpose)).encrypt(nonce, data, aad)


def unseal(purpose: str, aad: bytes, blob: bytes) -> bytes:
    blob = bytes(blob)
    if not blob.startswith(VERSION):
        raise ValueError("unknown sealed format")
    nonce, body = blob[2:14], blob[14:]
    return AESGCM(_key(purpose)).decrypt(nonce, body, aad)
