"""Encrypted model fields. The column holds ciphertext; the attribute holds plaintext.

Reading `obj.field` decrypts (once per instance); assigning plaintext marks it for encryption, done
in `pre_save` with the key of `obj.encryption_scope()` and data bound to model, field, scope and
row id. Lookups on these fields cannot work (ciphertext differs every time): use a blind index.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from confidentiality import crypto

_MISSING = object()


class _Descriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        plain_key = self.field.plain_key
        if plain_key in data:
            return data[plain_key]
        if self.field.attname not in data and instance.pk is not None and not instance._state.adding:
            instance.refresh_from_db(fields=[self.field.attname])  # a deferred field
        ciphertext = data.get(self.field.attname)
        if ciphertext is None:
            return None
        value = self.field.from_bytes(
            crypto.decrypt_bytes(self.field.aad(instance), ciphertext, where=self.field.where(instance))
        )
        data[plain_key] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        data = instance.__dict__
        if value is None or isinstance(value, bytes | memoryview):
            # Loaded from the database (or copied as ciphertext): keep it, forget any plaintext.
            # None too: a NULL loaded from the database must count as loaded, or Django takes the
            # field for deferred and a later save() silently skips it.
            data[self.field.attname] = None if value is None else bytes(value)
            data.pop(self.field.plain_key, None)
            data.pop(self.field.dirty_key, None)
        else:
            data[self.field.plain_key] = self.field.normalise(value)
            data[self.field.dirty_key] = True


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
        setattr(cls, self.attname, _Descriptor(self))

    @property
    def plain_key(self) -> str:
        return f"_plain_{self.attname}"

    @property
    def dirty_key(self) -> str:
        return f"_dirty_{self.attname}"

    def where(self, instance: models.Model) -> str:
        return f"{instance._meta.label_lower}.{self.attname}#{instance.pk}"

    def scope(self, instance: models.Model) -> crypto.KeyScope:
        scope_of = getattr(instance, "encryption_scope", None)
        if scope_of is None:
            raise ImproperlyConfigured(f"{instance._meta.label} has encrypted fields but no encryption_scope()")
        return scope_of()

    def aad(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ImproperlyConfigured(
                f"{instance._meta.label} needs a primary key known before saving (use a UUID default)"
            )
        return crypto.aad_for(instance._meta.label_lower, self.attname, self.scope(instance), instance.pk)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        data = model_instance.__dict__
        if data.get(self.dirty_key):
            plaintext = data.get(self.plain_key)
            data[self.attname] = (
                None
                if plaintext is None
                else crypto.encrypt_bytes(
                    self.scope(model_instance), self.aad(model_instance), self.to_bytes(plaintext)
                )
            )
            data.pop(self.dirty_key, None)
        return data.get(self.attname)

    def value_from_object(self, obj: models.Model) -> Any:
        # Serialisers and diff tools (django-auditlog, dumpdata) see ciphertext, never plaintext.
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
