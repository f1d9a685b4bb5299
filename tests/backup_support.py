"""Helpers for the backup tests: targets in a temporary directory, the test run's age keys."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pyrage
import pytest
from django.conf import settings
from django.core.management import call_command

from clients.models import Client, TaxpayerType

CANARY = "上海备份金丝雀贸易有限公司-canary-b7c1"


def ensure_backup_keys() -> None:
    call_command("backup_recovery_key", "--if-missing", verbosity=0)


def recovery_identity() -> Any:
    path = Path(settings.FIRMPORTAL_BACKUP_RECIPIENTS_FILE).parent / "recovery-identity.txt"
    line = next(x for x in path.read_text().splitlines() if x.startswith("AGE-SECRET-KEY-"))
    return pyrage.x25519.Identity.from_str(line)


def local_targets(base: Path) -> dict[str, Any]:
    return {
        "primary": {"BACKEND": "backups.targets.LocalDirectoryTarget", "OPTIONS": {"path": str(base / "primary")}},
        "offsite": {"BACKEND": "backups.targets.LocalDirectoryTarget", "OPTIONS": {"path": str(base / "offsite")}},
    }


@pytest.fixture
def backup_dirs(tmp_path: Path, settings: Any) -> Path:
    ensure_backup_keys()
    settings.FIRMPORTAL_BACKUP_TARGETS = local_targets(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"  # only this test's media files, not other tests' leftovers
    return tmp_path


def make_client(name: str = CANARY) -> Client:
    return Client.objects.create(name=name, credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.GENERAL)


def open_archive(path: Path) -> tarfile.TarFile:
    """Decrypt with the recovery key and open the tar, as `age -d | tar -x` would."""
    plain = pyrage.decrypt(path.read_bytes(), [recovery_identity()])
    return tarfile.open(fileobj=io.BytesIO(plain), mode="r:")


def encrypted_value_count(*, limit: int = 50) -> int:
    """How many encrypted fields a drill of a backup taken now will read: up to `limit` rows of every
    model with encrypted fields, each of its encrypted fields (empty ones read as empty). Other
    slices' rows count too, so the expectation follows the schema instead of a fixed number."""
    from confidentiality.rotation import encrypted_models

    return sum(min(model._default_manager.count(), limit) * len(fields) for model, fields in encrypted_models())
