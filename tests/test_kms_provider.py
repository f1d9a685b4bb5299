"""The KMS-backed provider against a real KMS API endpoint (moto's server mode, a separate process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

from confidentiality.providers import AwsKmsProvider, Keystore  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def kms_endpoint() -> Iterator[str]:
    port = _free_port()
    env = dict(
        os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="cn-north-1"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def kms(kms_endpoint: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("kms", region_name="cn-north-1", endpoint_url=kms_endpoint)


def _provider(kms, key_id: str, store: Path, **kwargs) -> AwsKmsProvider:  # type: ignore[no-untyped-def]
    return AwsKmsProvider(key_id=key_id, keystore=store, client=kms, **kwargs)


def test_kms_provider_wraps_binds_and_shreds(kms, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key_id = kms.create_key(Description="firmportal master")["KeyMetadata"]["KeyId"]
    Keystore.create(tmp_path / "ks.sqlite3")
    provider = _provider(kms, key_id, tmp_path / "ks.sqlite3")
    provider.verify()
    material = os.urandom(32)
    master = provider.put("dk-1", material, context=b"firmportal-datakey|dk-1|client:a|-")
    assert master == provider.current_key_id() and master.startswith("arn:")
    assert provider.get("dk-1", context=b"firmportal-datakey|dk-1|client:a|-") == material
    assert material not in (tmp_path / "ks.sqlite3").read_bytes()
    # The encryption context binds the blob to its key identity.
    from confidentiality.providers import WrongMasterKeyError

    with pytest.raises(WrongMasterKeyError):
        provider.get("dk-1", context=b"firmportal-datakey|dk-1|client:b|-")
    assert provider.delete("dk-1") is True
    assert provider.get("dk-1", context=b"firmportal-datakey|dk-1|client:a|-") is None


def test_kms_master_rotation_rewraps_under_the_new_key(kms, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = kms.create_key()["KeyMetadata"]["KeyId"]
    new = kms.create_key()["KeyMetadata"]["KeyId"]
    Keystore.create(tmp_path / "ks.sqlite3")
    first = _provider(kms, old, tmp_path / "ks.sqlite3")
    material = os.urandom(32)
    first.put("dk-1", material, context=b"c1")
    # Configured with the new key only: start-up names the key the keystore still needs.
    with pytest.raises(ImproperlyConfigured, match="Missing master key"):
        _provider(kms, new, tmp_path / "ks.sqlite3").verify()
    second = _provider(kms, new, tmp_path / "ks.sqlite3", previous_key_ids=[first.current_key_id()])
    second.verify()
    assert second.rewrap_all() == 1
    assert set(second.keystore.master_key_ids()) == {second.current_key_id()}
    # The old KMS key can now be disabled: everything still opens.
    kms.disable_key(KeyId=old)
    assert _provider(kms, new, tmp_path / "ks.sqlite3").get("dk-1", context=b"c1") == material


def test_a_disabled_or_unknown_kms_key_refuses_to_start(kms, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    Keystore.create(tmp_path / "ks.sqlite3")
    with pytest.raises(ImproperlyConfigured, match="Missing master key"):
        _provider(kms, "alias/does-not-exist", tmp_path / "ks.sqlite3").current_key_id()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ImproperlyConfigured, match="Disabled"):
        _provider(kms, key_id, tmp_path / "ks.sqlite3").verify()
