"""Print the public half of the audit signing key (PEM), e.g. to keep it as a trusted key after rotation."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand

from audit.keys import load_signing_key


class Command(BaseCommand):
    help = "Print the configured audit signing key's public key (PEM) and its key id."

    def handle(self, *args: Any, **options: Any) -> None:
        key = load_signing_key()
        pem = key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.stderr.write(f"key id {key.key_id}")
        self.stdout.write(pem.decode(), ending="")
