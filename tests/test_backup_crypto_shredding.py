"""Crypto-shredding reaches backups: a backup made before a scope was destroyed cannot yield that
scope's plaintext, while every other record in it still decrypts.

Relies on the crypto slice's keystore: key material lives outside the database (and so outside
these backups), and `crypto.destroy_scope` deletes it there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from backups import services
from backups.models import DrillState, RunState
from backups.restoring import scratch_database
from clients.models import Client
from confidentiality import crypto
from confidentiality.keyscope import KeyScope
from tests import backup_support
from tests.backup_support import make_client

backup_dirs = backup_support.backup_dirs

pytestmark = pytest.mark.django_db(transaction=True)


def _decrypt_all(alias: str) -> dict[str, str]:
    outcome = {}
    for client in Client.objects.using(alias).all():
        try:
            _ = client.name
            outcome[str(client.pk)] = "decrypted"
        except crypto.KeyDestroyedError:
            outcome[str(client.pk)] = "shredded"
    return outcome


def test_an_old_backup_cannot_yield_a_destroyed_scope_but_yields_the_others(backup_dirs: Path) -> None:
    doomed, kept = make_client("待销毁客户"), make_client("保留客户")
    values = backup_support.encrypted_value_count()
    run = services.backup_now(actor=None)
    assert run.state == RunState.SUCCEEDED
    crypto.destroy_scope(KeyScope.for_client(doomed.pk), actor=None, reason="test")
    crypto.reset_caches()
    drill = services.drill_now(run=run, actor=None)
    assert drill.state == DrillState.PASSED, drill.failure_reason
    # The doomed client's two values are shredded; every other value in the backup decrypts.
    assert drill.results["decryption"]["shredded"] == 2
    assert drill.results["decryption"]["decrypted"] == values - 2
    with scratch_database() as scratch:
        from backups import archive
        from backups.restoring import restore_stream
        from backups.targets import configured_targets

        with (
            configured_targets()["offsite"].open_read(run.archive_name) as raw,
            archive.decrypted(raw, services.drill_identities()) as plain,
        ):
            restore_stream(plain, scratch)
        with scratch.alias() as alias:
            assert _decrypt_all(alias) == {str(doomed.pk): "shredded", str(kept.pk): "decrypted"}


def test_a_backup_holds_no_usable_data_key(backup_dirs: Path) -> None:
    """No table of a restored backup holds any data key's wrapped material from the keystore."""
    make_client()
    run = services.backup_now(actor=None)
    provider: Any = crypto.provider()
    materials = [wrapped for _id, _master, wrapped, _ctx in provider.keystore.entries()]
    assert materials
    with scratch_database() as scratch:
        from backups import archive
        from backups.restoring import restore_stream
        from backups.targets import configured_targets

        with (
            configured_targets()["primary"].open_read(run.archive_name) as raw,
            archive.decrypted(raw, services.drill_identities()) as plain,
        ):
            restore_stream(plain, scratch)
        with scratch.alias() as alias, connections[alias].cursor() as cursor:
            tables = connections[alias].introspection.table_names(cursor)
            assert "confidentiality_datakey" in tables
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
                for row in cursor.fetchall():
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            assert not any(m in bytes(value) for m in materials), f"key material in {table}"


def test_the_drill_reports_shredded_values_apart_from_failures(backup_dirs: Path) -> None:
    """With the key of one client gone from the live system, the drill of an older backup counts
    that client's values as shredded (not as failures) and decrypts the others."""
    doomed, _kept = make_client("待销毁客户"), make_client("保留客户")
    values = backup_support.encrypted_value_count()
    run = services.backup_now(actor=None)
    crypto.destroy_scope(KeyScope.for_client(doomed.pk), actor=None, reason="test")
    crypto.reset_caches()
    drill = services.drill_now(run=run, actor=None)
    assert drill.state == DrillState.PASSED, drill.failure_reason
    decryption = drill.results["decryption"]
    assert (decryption["decrypted"], decryption["shredded"], decryption["failed"]) == (values - 2, 2, 0)
