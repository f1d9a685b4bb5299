"""Blind indexes: keyed, per client and field, normalised, with the key in the keystore."""

from __future__ import annotations

import uuid

import pytest
from django.db import models
from django.test.utils import isolate_apps

from confidentiality import blind_index, crypto, rotation
from confidentiality.fields import EncryptedTextField
from confidentiality.keyscope import KeyScope

pytestmark = pytest.mark.django_db

CODE = "91310000MA1FL0000X"


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_codes_are_normalised_before_hashing() -> None:
    client = uuid.uuid4()
    expected = blind_index.compute(client, "credit_code", CODE)
    for typed in (
        "91310000ma1fl0000x",
        " 9131 0000-MA1F L0000X ",
        _full_width(CODE),
        "91310000—MA1FL0000X",
    ):
        assert blind_index.compute(client, "credit_code", typed) == expected
    assert blind_index.compute(client, "credit_code", "91310000MA1FL0000Y") != expected
    assert len(expected) == 64 and CODE.lower() not in expected


def test_text_keeps_inner_words_but_folds_case_and_width() -> None:
    client = uuid.uuid4()
    a = blind_index.compute(client, "counterparty", "上海  Acme  贸易")
    assert a == blind_index.compute(client, "counterparty", " 上海 ACME 贸易 ")
    assert a == blind_index.compute(
        client, "counterparty", "上海\u3000" + _full_width("Acme") + "\u3000贸易"
    )  # full-width space and letters
    assert a != blind_index.compute(client, "counterparty", "上海Acme贸易")


def test_keys_differ_per_client_and_per_field() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert blind_index.compute(a, "invoice_number", "NO-001") != blind_index.compute(b, "invoice_number", "NO-001")
    assert blind_index.compute(a, "invoice_number", "001") != blind_index.compute(a, "voucher_number", "001")
    # A client's fiscal-year scopes share the client's index, so one search spans the years.
    assert blind_index.compute(KeyScope.for_client(a, 2024), "voucher_number", "记-001") == blind_index.compute(
        a, "voucher_number", "记-001"
    )


def test_the_index_key_lives_in_the_keystore_and_survives_master_rotation() -> None:
    client = uuid.uuid4()
    before = blind_index.compute(client, "invoice_number", "12345678")
    name = crypto.index_key_name(f"client:{client}")
    assert crypto.provider().keystore.read(name) is not None  # type: ignore[attr-defined]
    rotation.rotate_master_key(actor=None)
    crypto.reset_caches()
    assert blind_index.compute(client, "invoice_number", "12345678") == before


def test_destroying_the_client_destroys_its_index_key(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = uuid.uuid4()
    crypto.encrypt_bytes(KeyScope.for_client(client), b"aad", b"x")  # the client has a key
    blind_index.compute(client, "invoice_number", "12345678")
    with django_capture_on_commit_callbacks(execute=True):
        crypto.destroy_scope(KeyScope.for_client(client), actor=None, reason="test", all_years=True)
    assert crypto.provider().keystore.read(crypto.index_key_name(f"client:{client}")) is None  # type: ignore[attr-defined]
    with pytest.raises(crypto.KeyDestroyedError):
        blind_index.compute(client, "invoice_number", "12345678")


@isolate_apps("confidentiality")
def test_blind_index_field_follows_its_encrypted_source() -> None:
    class Invoice(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        client_id = models.UUIDField()
        number = EncryptedTextField()
        number_index = blind_index.BlindIndexField(source="number", kind="code", index_name="invoice_number")
        code = EncryptedTextField()
        code_index = blind_index.BlindIndexField(source="code", kind="code", firm_purpose="client-directory")

        class Meta:
            app_label = "confidentiality"

        def __str__(self) -> str:
            return "invoice"

        def encryption_scope(self) -> KeyScope:
            return KeyScope.for_client(self.client_id)

    client = uuid.uuid4()
    invoice = Invoice(client_id=client, number="No. 0012-34", code=CODE)
    field = Invoice._meta.get_field("number_index")
    assert field.pre_save(invoice, True) == blind_index.compute(client, "invoice_number", "no.001234")
    code_field = Invoice._meta.get_field("code_index")
    assert code_field.pre_save(invoice, True) == blind_index.compute(
        KeyScope.for_firm("client-directory"), "code", CODE.lower()
    )
    invoice.number = ""
    assert field.pre_save(invoice, False) == ""
    *_, kwargs = field.deconstruct()
    assert kwargs["source"] == "number" and kwargs["kind"] == "code" and "editable" not in kwargs
