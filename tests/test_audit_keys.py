"""The seal's signing key lives outside the database and is never made up in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from audit import keys
from audit.checks import signing_key_provisioned


def test_production_without_a_key_refuses_naming_the_variable(tmp_path: Path) -> None:
    with override_settings(FIRMPORTAL_AUDIT_SIGNING_KEY_FILE="", FIRMPORTAL_AUDIT_GENERATE_KEY=False, VAR_DIR=tmp_path):
        with pytest.raises(ImproperlyConfigured, match="FIRMPORTAL_AUDIT_SIGNING_KEY_FILE"):
            keys.load_signing_key()
        assert [message.id for message in signing_key_provisioned()] == ["audit.E001"]
    assert not (tmp_path / "audit").exists()


def test_a_configured_key_that_is_missing_is_not_generated(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with override_settings(FIRMPORTAL_AUDIT_SIGNING_KEY_FILE=str(missing), FIRMPORTAL_AUDIT_GENERATE_KEY=True):
        with pytest.raises(ImproperlyConfigured):
            keys.load_signing_key()
        assert [message.id for message in signing_key_provisioned()] == ["audit.E002"]
    assert not missing.exists()


def test_local_runs_generate_a_private_key_file_once(tmp_path: Path) -> None:
    with override_settings(FIRMPORTAL_AUDIT_SIGNING_KEY_FILE="", FIRMPORTAL_AUDIT_GENERATE_KEY=True, VAR_DIR=tmp_path):
        first = keys.load_signing_key()
        second = keys.load_signing_key()
        path = tmp_path / "audit" / "signing-key.pem"
        assert path.stat().st_mode & 0o777 == 0o600
        assert first.key_id == second.key_id
        assert signing_key_provisioned() == []


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "k.pem"
    call_command("audit_keygen", str(path))
    content = path.read_bytes()
    with pytest.raises(CommandError):
        call_command("audit_keygen", str(path))
    call_command("audit_keygen", str(path), "--if-missing")
    assert path.read_bytes() == content


@pytest.mark.django_db
def test_blocks_signed_with_a_retired_key_verify_when_its_public_key_is_trusted(
    tmp_path: Path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.core.management import call_command

    from audit import sealing
    from audit.models import AccessEvent

    old, new, trusted = tmp_path / "old.pem", tmp_path / "new.pem", tmp_path / "trusted"
    keys.generate_key_file(old)
    keys.generate_key_file(new)
    trusted.mkdir()
    head = str(tmp_path / "head.json")
    with override_settings(FIRMPORTAL_AUDIT_SIGNING_KEY_FILE=str(old), FIRMPORTAL_AUDIT_HEAD_FILE=head):
        AccessEvent.objects.create(action="view", client_ref="c-1")
        with django_capture_on_commit_callbacks(execute=True):
            sealing.seal()
        out = io.StringIO()
        call_command("audit_public_key", stdout=out)
        (trusted / "old.pem").write_text(out.getvalue())
    with override_settings(FIRMPORTAL_AUDIT_SIGNING_KEY_FILE=str(new), FIRMPORTAL_AUDIT_HEAD_FILE=head):
        AccessEvent.objects.create(action="view", client_ref="c-2")
        with django_capture_on_commit_callbacks(execute=True):
            sealing.seal()
        report = sealing.verify()
        assert not report.ok and report.first is not None
        assert "signature invalid" in report.first.describe()  # the old key is not trusted yet
        with override_settings(FIRMPORTAL_AUDIT_TRUSTED_KEYS_DIR=str(trusted)):
            assert sealing.verify().ok
