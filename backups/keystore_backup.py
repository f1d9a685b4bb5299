"""Backups of the key provider's keystore: apart from the database backups, short-lived, and
rewritten after every destruction.

The keystore (crypto slice) holds every data key wrapped under the master key; the database and its
backups hold none. Losing the keystore loses every encrypted value, so it is backed up too — but a
keystore backup made before a destruction still holds the destroyed key, so such backups must not
outlive the destruction. The keystore counts its deletions (`generation`); each backup file carries
the generation it was taken at, and:

- `sync_keystore_backup()` (beat, every 5 minutes, and after every nightly backup) makes a new
  backup whenever the generation moved (a key was destroyed, or a rotation rewrapped the keys) or
  the newest is older than a day, then deletes every backup of an older generation and all but the
  newest `FIRMPORTAL_KEYSTORE_BACKUP_KEEP` of the current one;
- retention's destruction procedure can call it right after a destruction commits to close the
  window at once.

The file is `keystore-<UTC time>-g<generation>.sqlite3.age`: the keystore's SQLite database (taken
with SQLite's online backup API into memory — it is small — and serialised), encrypted with age to
the same recovery recipients as the database backups. It is written through a backup target
(`FIRMPORTAL_KEYSTORE_BACKUP_TARGET`), by default a directory apart from the database backups.
Restore: `age -d -i recovery-identity.txt keystore-….sqlite3.age > keystore.sqlite3`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

import audit.services as audit
from backups import archive
from backups.models import BackupAction
from backups.targets import BackupTarget

NAME = re.compile(r"^keystore-(\d{8}T\d{6}Z)-g(\d+)\.sqlite3\.age$")


def target() -> BackupTarget:
    spec: dict[str, Any] = settings.FIRMPORTAL_KEYSTORE_BACKUP_TARGET
    factory = import_string(str(spec["BACKEND"]))
    built: BackupTarget = factory(name="keystore", **dict(spec.get("OPTIONS", {})))
    return built


def _keystore() -> Any:
    from confidentiality import crypto

    provider: Any = crypto.provider()  # both providers keep their keystore here
    return provider.keystore


def existing() -> list[tuple[datetime, int, str]]:
    """The stored keystore backups as (taken at, generation, name), newest first."""
    found = []
    for name in target().names():
        match = NAME.match(name)
        if match:
            taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append((taken, int(match.group(2)), name))
    return sorted(found, reverse=True)


def _snapshot(path: str) -> tuple[bytes, int]:
    source = sqlite3.connect(path, timeout=30)
    memory = sqlite3.connect(":memory:")
    try:
        source.backup(memory)
        generation = memory.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        return memory.serialize(), int(generation[0]) if generation else 0
    finally:
        memory.close()
        source.close()


def backup_keystore(*, actor: Any) -> str:
    """Take one keystore backup now; returns its name."""
    from backups.services import recipients

    data, generation = _snapshot(str(_keystore().path))
    name = f"keystore-{timezone.now().astimezone(UTC):%Y%m%dT%H%M%SZ}-g{generation}.sqlite3.age"
    store = target()
    upload = store.open_upload(name)
    fanout = archive.HashingFanout({"keystore": upload})
    try:
        archive.encrypt_stream(iter([data]), fanout, recipients())
        if fanout.errors:
            raise archive.ArchiveError(fanout.errors["keystore"])
        upload.commit()
    except BaseException:
        upload.abort()
        raise
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=BackupAction.KEYSTORE_BACKED_UP,
            details={"name": name, "generation": generation, "sha256": fanout.digest.hexdigest()},
        )
    return name


def sync_keystore_backup(*, actor: Any = None, max_age: timedelta = timedelta(days=1)) -> dict[str, Any]:
    """Make a keystore backup if the keystore changed (or the newest is old); delete the ones that
    predate a deletion, and the surplus. Returns what it did."""
    current = _keystore().generation()
    stored = existing()
    made = None
    newest = stored[0] if stored else None
    if newest is None or newest[1] != current or timezone.now() - newest[0] > max_age:
        made = backup_keystore(actor=actor)
        stored = existing()
    keep = int(settings.FIRMPORTAL_KEYSTORE_BACKUP_KEEP)
    newest_generation = stored[0][1] if stored else current
    deleted = []
    same = 0
    store = target()
    for _taken, generation, name in stored:
        if generation == newest_generation and same < keep:
            same += 1
            continue
        store.delete(name)
        deleted.append(name)
    if deleted:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action=BackupAction.KEYSTORE_BACKUPS_PRUNED,
                details={"deleted": deleted, "generation": newest_generation},
            )
    return {"made": made, "deleted": deleted, "generation": current}


def read_backup(name: str, identities: list[Any]) -> sqlite3.Connection:
    """Open a keystore backup (for tests and checks): an in-memory SQLite database."""
    with target().open_read(name) as raw:
        ciphertext = raw.read()
    import pyrage

    data = bytearray(pyrage.decrypt(ciphertext, identities))
    # The keystore runs in WAL mode and its header says so; an in-memory copy must say "rollback
    # journal" (bytes 18-19 = 1) to open. On disk the file opens as it is.
    data[18:20] = b"\x01\x01"
    conn = sqlite3.connect(":memory:")
    conn.deserialize(bytes(data))
    return conn
