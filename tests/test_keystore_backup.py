"""The keystore is backed up apart from the database, encrypted to the recovery key, and its backups
never outlive a destruction: after a scope is destroyed the older keystore backups are replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from backups import keystore_backup
from backups.models import BackupAction
from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey
from tests.backup_support import ensure_backup_keys, make_client, recovery_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def keystore_dir(tmp_path: Path, settings: Any) -> Path:
    ensure_backup_keys()
    directory = tmp_path / "keystore-backups"
    settings.FIRMPORTAL_KEYSTORE_BACKUP_TARGET = {
        "BACKEND": "backups.targets.LocalDirectoryTarget",
        "OPTIONS": {"path": str(directory)},
    }
    return directory


def _key_ids(name: str) -> set[str]:
    conn = keystore_backup.read_backup(name, [recovery_identity()])
    return {row[0] for row in conn.execute("SELECT key_id FROM entry")}


def test_keystore_backup_is_encrypted_and_holds_every_entry(keystore_dir: Path) -> None:
    a = make_client()
    name = keystore_backup.backup_keystore(actor=None)
    stored = (keystore_dir / name).read_bytes()
    assert stored.startswith(b"age-encryption.org/v1")
    key = DataKey.objects.get(owner=f"client:{a.pk}")
    assert str(key.pk) in _key_ids(name)
    assert AuditEvent.objects.filter(action=BackupAction.KEYSTORE_BACKED_UP).exists()


def test_sync_does_nothing_when_the_keystore_did_not_change(keystore_dir: Path) -> None:
    make_client()
    first = keystore_backup.sync_keystore_backup()
    assert first["made"]
    again = keystore_backup.sync_keystore_backup()
    assert again["made"] is None and again["deleted"] == []


def test_a_destruction_replaces_every_older_keystore_backup(
    keystore_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    doomed, kept = make_client("待销毁客户"), make_client("保留客户")
    before = keystore_backup.sync_keystore_backup()["made"]
    doomed_key = str(DataKey.objects.get(owner=f"client:{doomed.pk}").pk)
    kept_key = str(DataKey.objects.get(owner=f"client:{kept.pk}").pk)
    assert {doomed_key, kept_key} <= _key_ids(before)

    with django_capture_on_commit_callbacks(execute=True):  # the keystore deletion runs on commit
        crypto.destroy_scope(KeyScope.for_client(doomed.pk), actor=None, reason="retention")
    outcome = keystore_backup.sync_keystore_backup()

    assert outcome["made"] and before in outcome["deleted"]
    assert sorted(p.name for p in keystore_dir.iterdir()) == [outcome["made"]]
    ids = _key_ids(outcome["made"])
    assert doomed_key not in ids and kept_key in ids
    assert AuditEvent.objects.filter(action=BackupAction.KEYSTORE_BACKUPS_PRUNED).exists()


def test_keeps_only_a_few_of_the_same_generation(keystore_dir: Path, settings: Any) -> None:
    settings.FIRMPORTAL_KEYSTORE_BACKUP_KEEP = 2
    make_client()
    for _ in range(3):
        keystore_backup.backup_keystore(actor=None)
        __import__("time").sleep(1.05)  # names carry the second
    keystore_backup.sync_keystore_backup()
    assert len(list(keystore_dir.iterdir())) == 2
