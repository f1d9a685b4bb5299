"""Key material lives in the keystore, outside the database; destroying a key shreds every copy."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from clients.models import Client, TaxpayerType
from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState
from confidentiality.providers import Keystore, LocalKeyringProvider

ROOT = Path(__file__).resolve().parent.parent


def _client(name: str = "客户甲") -> Client:
    return Client.objects.create(name=name, credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.GENERAL)


def _keystore_path() -> Path:
    return Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["keystore"])


def _keystore_bytes() -> bytes:
    path = _keystore_path()
    data = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(f"{path}{suffix}")
        if extra.exists():
            data += extra.read_bytes()
    return data


@pytest.mark.django_db
def test_the_database_holds_no_key_material() -> None:
    client = _client()
    key = DataKey.objects.get(owner=f"client:{client.pk}")
    material = crypto.provider().get(str(key.id), context=key.wrap_context())
    assert material is not None and len(material) == 32
    assert "wrapped_key" not in {f.name for f in DataKey._meta.get_fields()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM confidentiality_datakey")
        for row in cursor.fetchall():
            for value in row:
                blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                assert material not in blob and material.hex().encode() not in blob
    # The keystore holds it wrapped, never in the clear.
    assert material not in _keystore_bytes()
    assert crypto.provider().keystore.read(str(key.id)) is not None  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_destroying_a_scope_shreds_its_material_and_leaves_other_scopes_readable(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    a, b = _client("甲公司"), _client("乙公司")
    key_a = DataKey.objects.get(owner=f"client:{a.pk}")
    wrapped_a = crypto.provider().keystore.read(str(key_a.id))[1]  # type: ignore[attr-defined]
    assert wrapped_a in _keystore_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        destroyed = crypto.destroy_scope(KeyScope.for_client(a.pk), actor=None, reason="retention ended")
    assert destroyed == 1
    key_a.refresh_from_db()
    assert key_a.state == DataKeyState.DESTROYED and key_a.destroyed_at is not None
    # Gone from the keystore file and its write-ahead log, not merely unlinked from an index.
    assert crypto.provider().keystore.read(str(key_a.id)) is None  # type: ignore[attr-defined]
    assert wrapped_a not in _keystore_bytes()
    with pytest.raises(crypto.KeyDestroyedError):
        _ = Client.objects.get(pk=a.pk).name
    assert Client.objects.get(pk=b.pk).name == "乙公司"
    # Nothing new may be written under the destroyed scope.
    with pytest.raises(crypto.KeyDestroyedError):
        crypto.encrypt_bytes(KeyScope.for_client(a.pk), b"aad", b"new data")
    event = AuditEvent.objects.get(action="data_key_destroyed", target_id=str(key_a.id))
    assert event.details["reason"] == "retention ended" and event.client_ref == str(a.pk)


@pytest.mark.django_db
def test_a_database_backup_made_before_destruction_is_useless_for_that_scope(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    a = _client("备份里的公司")
    key = DataKey.objects.get(owner=f"client:{a.pk}")
    # "Backup": every column of the key row and the client row, as a dump would hold them.
    backup_key_state = DataKey.objects.filter(pk=key.pk).values().get()
    with django_capture_on_commit_callbacks(execute=True):
        crypto.destroy_data_key(key.id, actor=None, reason="test")
    # "Restore" the old rows: the key row looks active again, the ciphertext is intact.
    DataKey.objects.filter(pk=key.pk).update(state=backup_key_state["state"], destroyed_at=None)
    crypto.reset_caches()
    with pytest.raises(crypto.KeyDestroyedError):
        _ = Client.objects.get(pk=a.pk).name


@pytest.mark.django_db
def test_destruction_takes_effect_in_this_process_at_once_even_before_commit() -> None:
    a = _client("缓存中的公司")
    assert Client.objects.get(pk=a.pk).name == "缓存中的公司"  # key now cached
    crypto.destroy_scope(KeyScope.for_client(a.pk), actor=None, reason="test")
    with pytest.raises(crypto.KeyDestroyedError):
        _ = Client.objects.get(pk=a.pk).name


@pytest.mark.django_db
def test_another_process_destroying_a_key_is_noticed_within_the_revalidation_bound(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIRMPORTAL_KEY_REVALIDATE_SECONDS = 0
    crypto.reset_caches()  # the next check is due now, then after 0 s each time
    a = _client("另一进程")
    key = DataKey.objects.get(owner=f"client:{a.pk}")
    assert Client.objects.get(pk=a.pk).name == "另一进程"  # cached in this process
    opts = settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from confidentiality.providers import LocalKeyringProvider as P;"
        f"print(P({opts['path']!r}, keystore={opts['keystore']!r}).delete({str(key.id)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    with pytest.raises(crypto.KeyDestroyedError):
        _ = Client.objects.get(pk=a.pk).name


def test_several_processes_write_the_keystore_at_once(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    LocalKeyringProvider.create(keyring)
    code = (
        "import sys, os; sys.path.insert(0, '.');"
        "from confidentiality.providers import LocalKeyringProvider as P;"
        f"p = P({str(keyring)!r});"
        "[p.put(f'{sys.argv[1]}-{i}', os.urandom(32), context=b'c') for i in range(60)]"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, f"w{n}"], cwd=ROOT) for n in range(4)]
    assert all(proc.wait(timeout=120) == 0 for proc in procs)
    provider = LocalKeyringProvider(keyring)
    assert len(provider.keystore.entries()) == 240
    assert provider.get("w3-59", context=b"c") is not None


# --- Start-up refuses without the right master key ------------------------------------------------


def _errors(settings, options: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    from confidentiality.checks import master_key_available

    settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS = options
    crypto.reset_caches()
    try:
        return [error.msg for error in master_key_available()]
    finally:
        crypto.reset_caches()


def test_check_names_a_missing_keyring(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (msg,) = _errors(settings, {"path": str(tmp_path / "nope.json"), "keystore": str(tmp_path / "ks.sqlite3")})
    assert "Missing master key" in msg and "nope.json" in msg


def test_check_names_a_missing_keystore(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    LocalKeyringProvider.create(tmp_path / "keyring.json")
    (msg,) = _errors(settings, {"path": str(tmp_path / "keyring.json"), "keystore": str(tmp_path / "gone.sqlite3")})
    assert "keystore" in msg and "gone.sqlite3" in msg


def test_check_names_a_wrong_master_key(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    right = LocalKeyringProvider.create(tmp_path / "right.json", key_id="mk-same")
    right.verify()  # records the check value of mk-same
    LocalKeyringProvider.create(tmp_path / "wrong.json", key_id="mk-same", keystore=right.keystore.path)
    (msg,) = _errors(settings, {"path": str(tmp_path / "wrong.json"), "keystore": str(right.keystore.path)})
    assert "Wrong master key" in msg and "mk-same" in msg


def test_check_names_a_master_key_the_keyring_lost(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    provider = LocalKeyringProvider.create(tmp_path / "keyring.json", key_id="mk-old")
    provider.put("k1", os.urandom(32), context=b"c")
    # A keyring restored from the wrong backup: it only knows a newer key.
    LocalKeyringProvider.create(tmp_path / "newer.json", key_id="mk-new", keystore=provider.keystore.path)
    (msg,) = _errors(settings, {"path": str(tmp_path / "newer.json"), "keystore": str(provider.keystore.path)})
    assert "Missing master key" in msg and "mk-old" in msg


def test_check_passes_with_the_right_keys(settings) -> None:  # type: ignore[no-untyped-def]
    assert _errors(settings, dict(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS)) == []


def _env_with_keyring(path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FIRMPORTAL_KEY_PROVIDER_OPTIONS", None)
    env["FIRMPORTAL_KEYRING_FILE"] = str(path)
    env["FIRMPORTAL_KEYSTORE_FILE"] = str(path.parent / "keystore.sqlite3")
    return env


def test_the_web_app_refuses_to_start_without_the_master_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import firmportal.wsgi"],
        cwd=ROOT,
        env=_env_with_keyring(tmp_path / "missing.json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "Missing master key" in out.stderr and "missing.json" in out.stderr


def test_manage_py_check_refuses_without_the_master_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env_with_keyring(tmp_path / "missing.json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0 and "confidentiality.E001" in out.stderr and "Missing master key" in out.stderr


@pytest.mark.worker
def test_a_worker_refuses_to_start_without_the_master_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "firmportal", "worker", "--pool=solo", "-l", "INFO"],
        cwd=ROOT,
        env=_env_with_keyring(tmp_path / "missing.json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "Missing master key" in out.stdout + out.stderr


def test_init_keyring_creates_keyring_and_keystore_and_never_overwrites(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS = {
        "path": str(tmp_path / "k" / "keyring.json"),
        "keystore": str(tmp_path / "k" / "keystore.sqlite3"),
    }
    call_command("init_keyring")
    before = (tmp_path / "k" / "keyring.json").read_bytes()
    call_command("init_keyring", "--if-missing")
    with pytest.raises(SystemExit):
        call_command("init_keyring")
    assert (tmp_path / "k" / "keyring.json").read_bytes() == before
    Keystore(tmp_path / "k" / "keystore.sqlite3")  # opens


@pytest.mark.django_db
def test_a_scope_never_keyed_can_be_destroyed_and_stays_closed() -> None:
    scope = KeyScope.for_client(uuid.uuid4(), fiscal_year=2019)
    assert crypto.destroy_scope(scope, actor=None, reason="nothing there") == 0
    with pytest.raises(crypto.KeyDestroyedError):
        crypto.active_key_id(scope)
