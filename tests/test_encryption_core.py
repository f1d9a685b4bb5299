"""Envelope encryption of model fields: ciphertext at rest, bound to model, field, client and row."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from clients.models import Client, TaxpayerType
from confidentiality import crypto
from confidentiality.models import DataKey, DataKeyState

pytestmark = pytest.mark.django_db

NAME = "上海测试贸易有限公司-canary-7f3a"


def _client(name: str = NAME) -> Client:
    return Client.objects.create(name=name, credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.GENERAL)


def _raw(table: str, column: str, pk: uuid.UUID) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def test_value_round_trips_and_the_column_holds_no_plaintext() -> None:
    client = _client()
    assert Client.objects.get(pk=client.pk).name == NAME
    raw = _raw("clients_client", "name", client.pk)
    assert NAME.encode() not in raw and b"canary-7f3a" not in raw
    assert raw[0] == crypto.FORMAT_V1


def test_values_and_serialisers_see_ciphertext_only() -> None:
    client = _client()
    (value,) = Client.objects.filter(pk=client.pk).values_list("name", flat=True)
    assert NAME.encode() not in bytes(value)  # type: ignore[arg-type]  # values() gives ciphertext bytes
    field = Client._meta.get_field("name")
    assert NAME.encode() not in bytes(field.value_from_object(Client.objects.get(pk=client.pk)))


def test_each_client_gets_its_own_data_key() -> None:
    a, b = _client(), _client("另一家公司")
    assert crypto.key_id_of(_raw("clients_client", "name", a.pk)) != crypto.key_id_of(
        _raw("clients_client", "name", b.pk)
    )
    assert DataKey.objects.filter(owner=f"client:{a.pk}", state=DataKeyState.ACTIVE).count() == 1


def test_ciphertext_copied_to_another_client_fails_to_decrypt() -> None:
    a, b = _client(), _client("另一家公司")
    Client.objects.filter(pk=b.pk).update(name=_raw("clients_client", "name", a.pk))
    with pytest.raises(crypto.DecryptionError):
        _ = Client.objects.get(pk=b.pk).name


def test_ciphertext_copied_to_another_field_of_the_same_row_fails() -> None:
    a = _client()
    Client.objects.filter(pk=a.pk).update(credit_code=_raw("clients_client", "name", a.pk))
    with pytest.raises(crypto.DecryptionError):
        _ = Client.objects.get(pk=a.pk).credit_code


def test_a_flipped_bit_fails_and_is_never_shown() -> None:
    a = _client()
    raw = bytearray(_raw("clients_client", "name", a.pk))
    raw[-1] ^= 0x01
    Client.objects.filter(pk=a.pk).update(name=bytes(raw))
    with pytest.raises(crypto.DecryptionError):
        _ = Client.objects.get(pk=a.pk).name


def test_destroyed_key_makes_the_value_unreadable(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    a = _client()
    key = DataKey.objects.get(owner=f"client:{a.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        crypto.destroy_data_key(key.id, actor=None, reason="test")
    assert crypto.provider().get(str(key.id), context=key.wrap_context()) is None
    with pytest.raises(crypto.KeyDestroyedError):
        _ = Client.objects.get(pk=a.pk).name


def test_wrong_master_key_cannot_unwrap(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from confidentiality.providers import LocalKeyringProvider

    a = _client()
    # Same keystore, but a keyring whose key of the same name is different.
    store = tmp_path / "keystore.sqlite3"
    shutil.copy(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["keystore"], store)
    other = tmp_path / "other-keyring.json"
    LocalKeyringProvider.create(other, key_id=DataKey.objects.get(owner=f"client:{a.pk}").master_key_id, keystore=store)
    settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS = {"path": str(other), "keystore": str(store)}
    crypto.reset_caches()
    try:
        with pytest.raises(crypto.DecryptionError):
            _ = Client.objects.get(pk=a.pk).name
    finally:
        crypto.reset_caches()


def test_floats_are_refused_for_amounts() -> None:
    from confidentiality.fields import EncryptedDecimalField

    with pytest.raises(TypeError):
        EncryptedDecimalField().normalise(0.1)


def test_scopes_of_one_client_year_differ_by_archive_category() -> None:
    from confidentiality.keyscope import KeyScope

    vouchers = KeyScope.for_client("c1", 2015, category="voucher")
    statements = KeyScope.for_client("c1", 2015, category="bank_statement")
    assert vouchers != statements
    assert vouchers.client_id == statements.client_id == "c1"
    assert vouchers.category == "voucher" and KeyScope.for_client("c1").category is None
    with pytest.raises(ValueError):
        KeyScope.for_client("c1", None, category="voucher")


def test_a_tampered_value_raises_a_compliance_alert_without_its_content() -> None:
    from audit.models import Alert, AlertKind

    a = _client()
    raw = bytearray(_raw("clients_client", "name", a.pk))
    raw[-1] ^= 0x01
    Client.objects.filter(pk=a.pk).update(name=bytes(raw))
    with pytest.raises(crypto.DecryptionError):
        _ = Client.objects.get(pk=a.pk).name
    alert = Alert.objects.get(kind=AlertKind.DECRYPTION_FAILED)
    assert str(a.pk) in alert.facts["where"]
    assert NAME not in str(alert.facts)
