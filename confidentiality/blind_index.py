"""Blind indexes: exact search over encrypted values without decrypting them.

`compute(scope_or_client_id, field_name, value)` is HMAC-SHA256 of the *normalised* value under a
key that is separate for every (owner, field): derived with HKDF from the owner's index key, a
random 256-bit secret kept in the keystore (outside the database, destroyed with the owner's keys
by `crypto.destroy_scope(..., all_years=True)`). The database holds only the HMACs; without the
keystore they cannot be tested against guesses, and equal values of two clients (or of two
fields) give unrelated indexes.

Normalisation: NFKC (full-width → half-width), trim, case-fold, collapse inner whitespace; for codes
(credit code, voucher and invoice numbers) spaces and hyphens are removed as well, so
"9131 0000-ma1fl0000x" finds "91310000MA1FL0000X".

Usage (see docs/keys-and-backups.md, "Blind indexes"):

    class Invoice(models.Model):
        number = EncryptedTextField()
        number_index = BlindIndexField(source="number", kind="code")
        def encryption_scope(self): return KeyScope.for_client(self.client_id)

    Invoice.objects.filter(client=c, number_index=blind_index.compute(c.pk, "number", typed))

A value searched across all clients (a client's own credit code, to find the client) uses a firm
scope instead: `BlindIndexField(source="credit_code", kind="code", firm_purpose="client-directory")`
and `compute(KeyScope.for_firm("client-directory"), "credit_code", typed)`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from typing import Any

from django.db import models

from confidentiality import crypto
from confidentiality.keyscope import KeyScope

# How each searchable field is normalised; fields not listed are treated as text.
KIND_CODE = "code"
KIND_TEXT = "text"
FIELD_KINDS: dict[str, str] = {
    "credit_code": KIND_CODE,
    "voucher_number": KIND_CODE,
    "invoice_number": KIND_CODE,
    "counterparty": KIND_TEXT,
}

_SPACES = re.compile(r"\s+")
# Spaces, underscores and every dash (hyphen, non-breaking hyphen, figure/en/em dash, minus sign).
_CODE_JUNK = re.compile("[\\s_\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]+")


def normalise(value: str, *, kind: str = KIND_TEXT) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if kind == KIND_CODE:
        return _CODE_JUNK.sub("", text)
    return _SPACES.sub(" ", text)


def _owner_of(scope_or_client_id: KeyScope | uuid.UUID | str) -> str:
    if isinstance(scope_or_client_id, KeyScope):
        return scope_or_client_id.owner  # one index key per owner: a search spans its fiscal years
    return KeyScope.for_client(scope_or_client_id).owner


def _field_key(owner: str, field_name: str) -> bytes:
    info = f"firmportal-blind-index|{owner}|{field_name}".encode()
    name = crypto.index_key_name(owner)
    try:
        return crypto.derived_secret(name, info, create=False)
    except crypto.KeyDestroyedError:
        if crypto.owner_destroyed(owner):
            raise
        return crypto.derived_secret(name, info, create=True)


def compute(
    scope_or_client_id: KeyScope | uuid.UUID | str, field_name: str, value: str, *, kind: str | None = None
) -> str:
    """The blind index (64 hex characters) of `value` for this owner and field."""
    kind = kind or FIELD_KINDS.get(field_name, KIND_TEXT)
    key = _field_key(_owner_of(scope_or_client_id), field_name)
    return hmac.new(key, normalise(value, kind=kind).encode("utf-8"), hashlib.sha256).hexdigest()


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """A column holding the blind index of another (encrypted) field of the same row, kept up to
    date on save. Query with `compute(...)`; the column is indexed but never unique (use a
    constraint on (client, index) where the business needs uniqueness within a client)."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        kind: str | None = None,
        index_name: str | None = None,
        firm_purpose: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.kind = kind
        self.index_name = index_name
        self.firm_purpose = firm_purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        for option in ("source", "kind", "index_name", "firm_purpose"):
            if getattr(self, option):
                kwargs[option] = getattr(self, option)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.source)
        if value is None or value == "":
            index = ""
        else:
            scope: KeyScope | None = (
                KeyScope.for_firm(self.firm_purpose) if self.firm_purpose else model_instance.encryption_scope()  # type: ignore[attr-defined]
            )
            assert scope is not None
            index = compute(scope, self.index_name or self.source, str(value), kind=self.kind)
        setattr(model_instance, self.attname, index)
        return index
