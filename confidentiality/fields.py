"""Encrypted model fields. The column holds ciphertext; the attribute holds plaintext.

Reading `obj.field` decrypts (once per instance); assigning plaintext marks it for encryption, done
in `pre_save` with the key of `obj.encryption_scope()` and data bound to model, field, scope and
row id. Lookups on these fields cannot work (ciphertext differs every time): use a blind index.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from confidentiality.keyscope import KeyScope

if TYPE_CHECKING:
    from types import ModuleType


_crypto_module: list[ModuleType] = []
_MISSING = object()
# The primary key's attribute name per model class: the hot paths read the row id straight from the
# instance's __dict__ instead of through `Model.pk` (a property and two getattr calls per use).
_pk_attnames: dict[type, str] = {}


def _crypto() -> ModuleType:
    # Imported late (crypto imports the key models, which use these fields), then kept.
    if not _crypto_module:
        from confidentiality import crypto

        _crypto_module.append(crypto)
    return _crypto_module[0]


def _row_id(instance: models.Model) -> Any:
    """`instance.pk`, without the property machinery (the same object, so identity memos hold)."""
    cls = type(instance)
    attname = _pk_attnames.get(cls)
    if attname is None:
        attname = _pk_attnames[cls] = cls._meta.pk.attname  # type: ignore[union-attr]
    return instance.__dict__.get(attname)


class _Descriptor:
    __slots__ = ("attname", "decode", "dirty_key", "field", "normalise", "plain_key", "text")

    def __init__(self, field: EncryptedField) -> None:
        self.field = field
        # Copied here so that a read or a write costs no attribute hops through the field.
        self.attname = field.attname
        self.plain_key = field.plain_key
        self.dirty_key = field.dirty_key
        self.decode = field.from_bytes
        self.normalise = field.normalise
        self.text = field.text  # a str is stored as it is

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        value = data.get(self.plain_key, _MISSING)
        if value is not _MISSING:
            return value
        ciphertext = data.get(self.attname, _MISSING)
        if ciphertext is _MISSING:
            if instance.pk is not None and not instance._state.adding:
                instance.refresh_from_db(fields=[self.attname])  # a deferred field
            ciphertext = data.get(self.attname)
        if ciphertext is None:
            return None
        field = self.field
        crypto = _crypto_module[0] if _crypto_module else _crypto()
        value = self.decode(crypto.decrypt_value(field.aad_for_read(instance), ciphertext, field, instance))
        data[self.plain_key] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        data = instance.__dict__
        kind = type(value)
        if kind is str and self.text:
            data[self.plain_key] = value
            data[self.dirty_key] = True
        elif value is None or kind is bytes or isinstance(value, memoryview):
            # Loaded from the database (or copied as ciphertext): keep it, forget any plaintext.
            # None too: a NULL loaded from the database must count as loaded, or Django takes the
            # field for deferred and a later save() silently skips it.
            data[self.attname] = value if kind is bytes or value is None else bytes(value)
            data.pop(self.plain_key, None)
            data.pop(self.dirty_key, None)
        else:
            data[self.plain_key] = self.normalise(value)
            data[self.dirty_key] = True


class EncryptedField(models.BinaryField):
    """Base of the encrypted fields; subclasses say how plaintext turns into bytes and back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        self.label_lower = cls._meta.label_lower
        self.plain_key = f"_plain_{self.attname}"
        self.dirty_key = f"_dirty_{self.attname}"
        self.aad_key = f"_aad_{self.attname}"
        self.text = isinstance(self, EncryptedTextField)  # read by the descriptor, set up next
        setattr(cls, self.attname, _Descriptor(self))

    def where(self, instance: models.Model) -> str:
        return f"{instance._meta.label_lower}.{self.attname}#{instance.pk}"

    def scope(self, instance: models.Model) -> KeyScope:
        try:
            return instance.encryption_scope()  # type: ignore[attr-defined,no-any-return]
        except AttributeError:
            if hasattr(instance, "encryption_scope"):
                raise
            raise ImproperlyConfigured(
                f"{instance._meta.label} has encrypted fields but no encryption_scope()"
            ) from None

    def aad(self, instance: models.Model, scope: KeyScope | None = None) -> bytes:
        pk = _row_id(instance)
        if pk is None:
            raise ImproperlyConfigured(
                f"{instance._meta.label} needs a primary key known before saving (use a UUID default)"
            )
        scope = scope or self.scope(instance)
        # Per-instance memo, valid while the row id and the scope are the very same objects.
        data = instance.__dict__
        memo = data.get(self.aad_key)
        if memo is not None and memo[0] is pk and memo[1] is scope:
            return memo[2]  # type: ignore[no-any-return]
        aad: bytes = _crypto().aad_for(self.label_lower, self.attname, scope, pk)
        data[self.aad_key] = (pk, scope, aad)
        return aad

    def aad_for_read(self, instance: models.Model) -> bytes:
        """The AAD for decrypting the stored value: memoised per row id, because the stored
        ciphertext was bound when this instance's scope was first computed (a fresh instance, as
        loaded, always computes it). Encryption (pre_save) always recomputes the scope."""
        data = instance.__dict__
        memo = data.get(self.aad_key)
        if memo is not None:
            attname = _pk_attnames.get(type(instance))
            if attname is not None and memo[0] is data.get(attname):
                return memo[2]  # type: ignore[no-any-return]
        return self.aad(instance)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        data = model_instance.__dict__
        if data.get(self.dirty_key):
            plaintext = data.get(self.plain_key)
            if plaintext is None:
                data[self.attname] = None
            else:
                scope = self.scope(model_instance)
                memo = data.get(self.aad_key)  # the AAD memo of `aad()`, inlined: this runs per value
                if memo is not None and memo[1] is scope and memo[0] is _row_id(model_instance):
                    aad = memo[2]
                else:
                    aad = self.aad(model_instance, scope)
                crypto = _crypto_module[0] if _crypto_module else _crypto()
                data[self.attname] = crypto.encrypt_bytes(
                    scope, aad, plaintext.encode() if self.text else self.to_bytes(plaintext)
                )
            del data[self.dirty_key]
        return data.get(self.attname)

    def value_from_object(self, obj: models.Model) -> Any:
        # Serialisers (dumpdata) see ciphertext, never plaintext. django-auditlog reads fields through
        # the descriptor instead (plaintext): audit.changelog masks every encrypted field for it.
        return obj.__dict__.get(self.attname)

    # Subclasses:
    def normalise(self, value: Any) -> Any:
        return value

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError


class EncryptedTextField(EncryptedField):
    # What django-stubs' mypy plugin takes the attribute to be (plaintext, not the column's bytes;
    # it adds None only for fields declared with null=True explicitly).
    _pyi_private_set_type: str | None  # type: ignore[assignment]
    _pyi_private_get_type: str  # type: ignore[assignment]

    def normalise(self, value: Any) -> str:
        return str(value)

    def to_bytes(self, value: str) -> bytes:
        return value.encode("utf-8")

    def from_bytes(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedDecimalField(EncryptedField):
    _pyi_private_set_type: Decimal | str | None  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def normalise(self, value: Any) -> Decimal:
        if isinstance(value, float):
            raise TypeError("amounts are exact: pass a Decimal or a string, never a float")
        return Decimal(value)

    def to_bytes(self, value: Decimal) -> bytes:
        return str(value).encode("ascii")

    def from_bytes(self, data: bytes) -> Decimal:
        return Decimal(data.decode("ascii"))


class EncryptedJSONField(EncryptedField):
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))


class EncryptedBinaryField(EncryptedField):
    """Raw bytes (e.g. a per-file key). Assign `bytearray` or wrap in `PlainBytes` to mark as plaintext:
    a plain `bytes` assignment is taken as ciphertext loaded from the database."""

    _pyi_private_set_type: PlainBytes | bytearray | bytes | None
    _pyi_private_get_type: bytes

    def normalise(self, value: Any) -> bytes:
        return bytes(value.value if isinstance(value, PlainBytes) else value)

    def to_bytes(self, value: bytes) -> bytes:
        return value

    def from_bytes(self, data: bytes) -> bytes:
        return data


class PlainBytes:
    """Marks bytes assigned to an EncryptedBinaryField as plaintext to encrypt."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value
