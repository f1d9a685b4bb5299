"""Key rotation: the master key rewraps keys only; data-key rotation re-encrypts a scope in a
resumable job with visible progress, then destroys the old key. Command, pages and console."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import StaffRole, User
from audit.models import AuditEvent
from clients.models import Client, TaxpayerType
from confidentiality import crypto, rotation
from confidentiality.fields import PlainBytes
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState, KeyRotationJob, RotationState, StoredFile
from tests import cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_settling_wait(settings) -> None:  # type: ignore[no-untyped-def]
    # One process in these tests: nothing else can hold a stale "active key" cache.
    settings.FIRMPORTAL_KEY_REVALIDATE_SECONDS = 0
    crypto.reset_caches()


@pytest.fixture
def it_admin(db: None) -> User:
    return cast.make_staff("it_ivan", StaffRole.IT_ADMIN)


def _client(name: str) -> Client:
    return Client.objects.create(name=name, credit_code="91310000MA1FL0000X", taxpayer_type=TaxpayerType.GENERAL)


def _raw_name(client: Client) -> bytes:
    return bytes(Client.objects.filter(pk=client.pk).values_list("name", flat=True).get())  # type: ignore[arg-type]


def _files(scope: KeyScope, n: int) -> list[StoredFile]:
    rows = []
    for i in range(n):
        row = StoredFile(owner=scope.owner, year=scope.year, owner_label="test", size=0, sha256="0" * 64)
        row.name = f"凭证附件-{i}.pdf"
        row.file_key = PlainBytes(os.urandom(32))
        row.save()
        rows.append(row)
    return rows


# --- Master key ------------------------------------------------------------------------------


def test_master_rotation_rewraps_keys_without_rewriting_data(it_admin: User) -> None:
    a, b = _client("甲公司"), _client("乙公司")
    before = {c.pk: _raw_name(c) for c in (a, b)}
    old_master = crypto.provider().current_key_id()
    job = rotation.rotate_master_key(actor=it_admin)
    new_master = crypto.provider().current_key_id()
    assert new_master != old_master and job.new_master_key_id == new_master and job.done >= 2
    # No data rewritten: ciphertext bytes are identical, and still decrypt.
    assert {c.pk: _raw_name(c) for c in (a, b)} == before
    crypto.reset_caches()
    assert Client.objects.get(pk=a.pk).name == "甲公司"
    store = crypto.provider().keystore  # type: ignore[attr-defined]
    for key in DataKey.objects.filter(owner__in=[f"client:{a.pk}", f"client:{b.pk}"]):
        assert store.read(str(key.id))[0] == new_master  # rewrapped in the keystore only
    # The old master key is gone from the keyring, and nothing in the keystore needs it.
    keyring = json.loads(Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["path"]).read_text())
    assert old_master not in keyring["keys"]
    assert set(crypto.provider().keystore.master_key_ids()) == {new_master}  # type: ignore[attr-defined]
    crypto.check_keys()
    event = AuditEvent.objects.get(action="master_key_rotated")
    assert event.actor == it_admin and event.details["old_master_key"] == old_master


# --- Data keys -------------------------------------------------------------------------------


def test_data_key_rotation_reencrypts_the_scope_resumably_and_destroys_the_old_key(
    it_admin: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = _client("轮换公司")
    other = _client("旁观公司")
    scope = KeyScope.for_client(client.pk)
    files = _files(scope, 5)
    other_before = _raw_name(other)
    old_key = DataKey.objects.get(owner=scope.owner, state=DataKeyState.ACTIVE)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = rotation.start_data_key_rotation(scope, actor=it_admin)
    assert len(callbacks) == 1  # the job is queued only after commit
    assert job.total == 6 and job.state == RotationState.QUEUED
    old_key.refresh_from_db()
    assert old_key.state == DataKeyState.RETIRED

    # A worker that dies after two batches: progress and cursor are saved.
    partial = rotation.run_rotation_job(job.id, batch_size=2, max_batches=2)
    assert partial.state == RotationState.RUNNING and partial.done == 3 and partial.cursor
    assert 0 < partial.percent < 100
    # Old data still decrypts meanwhile (retired key), new writes use the new key.
    assert StoredFile.objects.get(pk=files[-1].pk).name == "凭证附件-4.pdf"

    with django_capture_on_commit_callbacks(execute=True):
        done = rotation.run_rotation_job(job.id, batch_size=2)
    assert done.state == RotationState.DONE and done.done == 6 and done.percent == 100
    new_key = done.new_key_id
    assert crypto.key_id_of(_raw_name(client)) == new_key
    for row in StoredFile.objects.filter(owner=scope.owner):
        assert crypto.key_id_of(bytes(row.__dict__["name"])) == new_key
        assert crypto.key_id_of(bytes(row.__dict__["file_key"])) == new_key
    crypto.reset_caches()
    assert Client.objects.get(pk=client.pk).name == "轮换公司"
    assert sorted(f.name for f in StoredFile.objects.filter(owner=scope.owner)) == [
        f"凭证附件-{i}.pdf" for i in range(5)
    ]
    # The old key is destroyed, its material gone; the other client was not touched.
    old_key.refresh_from_db()
    assert old_key.state == DataKeyState.DESTROYED
    assert crypto.provider().get(str(old_key.id), context=old_key.wrap_context()) is None
    assert _raw_name(other) == other_before
    actions = list(AuditEvent.objects.filter(target_id=str(job.id)).values_list("action", flat=True))
    assert actions == ["data_key_rotation_started", "data_key_rotation_completed"]
    # Running a finished job again changes nothing.
    assert rotation.run_rotation_job(job.id).state == RotationState.DONE


def test_starting_twice_returns_the_open_job(it_admin: User) -> None:
    client = _client("重复")
    first = rotation.start_data_key_rotation(KeyScope.for_client(client.pk), actor=it_admin)
    again = rotation.start_data_key_rotation(KeyScope.for_client(client.pk), actor=it_admin)
    assert again.pk == first.pk
    assert DataKey.objects.filter(owner=f"client:{client.pk}").count() == 2


def test_a_tampered_value_fails_the_job_and_destroys_nothing(it_admin: User) -> None:
    client = _client("被篡改")
    raw = bytearray(_raw_name(client))
    raw[-1] ^= 1
    Client.objects.filter(pk=client.pk).update(name=bytes(raw))
    job = rotation.start_data_key_rotation(KeyScope.for_client(client.pk), actor=it_admin)
    with pytest.raises(crypto.DecryptionError):
        rotation.run_rotation_job(job.id)
    job.refresh_from_db()
    assert job.state == RotationState.FAILED and job.error == "DecryptionError"
    assert DataKey.objects.filter(owner=f"client:{client.pk}", state=DataKeyState.RETIRED).exists()
    assert AuditEvent.objects.filter(action="data_key_rotation_failed", target_id=str(job.id)).exists()
    assert AuditEvent.objects.filter(action="decryption_failed").exists()


def test_a_destroyed_scope_cannot_be_rotated(it_admin: User) -> None:
    client = _client("已销毁")
    crypto.destroy_scope(KeyScope.for_client(client.pk), actor=it_admin, reason="test")
    with pytest.raises(rotation.RotationError):
        rotation.start_data_key_rotation(KeyScope.for_client(client.pk), actor=it_admin)


def test_models_with_encrypted_fields_are_discovered() -> None:
    labels = {model._meta.label_lower for model, _ in rotation.encrypted_models()}
    assert {"clients.client", "confidentiality.storedfile"} <= labels


# --- manage.py rotate_keys -----------------------------------------------------------------


def test_command_rotates_a_client_and_the_master_key(it_admin: User, capsys) -> None:  # type: ignore[no-untyped-def]
    client = _client("命令行")
    call_command("rotate_keys", "--client", str(client.pk), "--wait", "--actor", "it_ivan")
    job = KeyRotationJob.objects.get(owner=f"client:{client.pk}")
    assert job.state == RotationState.DONE
    assert Client.objects.get(pk=client.pk).name == "命令行"
    call_command("rotate_keys", "--master")
    assert "Master key rotated" in capsys.readouterr().out


def test_command_refuses_bad_input() -> None:
    with pytest.raises(CommandError, match="say what to rotate"):
        call_command("rotate_keys")
    with pytest.raises(CommandError, match="not a client id"):
        call_command("rotate_keys", "--client", "abc")
    with pytest.raises(CommandError, match="no data keys"):
        call_command("rotate_keys", "--client", "00000000-0000-0000-0000-000000000001")


def test_command_rotates_all_clients() -> None:
    a, b = _client("一"), _client("二")
    call_command("rotate_keys", "--all-clients", "--wait")
    owners = set(KeyRotationJob.objects.filter(state=RotationState.DONE).values_list("owner", flat=True))
    assert {f"client:{a.pk}", f"client:{b.pk}"} <= owners


# --- Pages ---------------------------------------------------------------------------------


def test_key_page_is_for_key_managers_only(it_admin: User, bookkeeper_alice: User, firm_admin: User) -> None:
    response = cast.signed_in(it_admin).get("/staff/keys/")
    assert response.status_code == 200
    assert crypto.provider().current_key_id() in response.content.decode()
    for outsider in (bookkeeper_alice, firm_admin):
        assert cast.signed_in(outsider).get("/staff/keys/").status_code == 404
        assert cast.signed_in(outsider).post("/staff/keys/rotate-master/").status_code == 404
    assert not AuditEvent.objects.filter(action="master_key_rotated").exists()


def test_rotating_from_the_page_is_audited_and_progress_polls(
    it_admin: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = _client("页面")
    http = cast.signed_in(it_admin)
    with django_capture_on_commit_callbacks(execute=False):
        response = http.post("/staff/keys/rotate-data/", {"client_id": str(client.pk)})
    assert response.status_code == 302
    job = KeyRotationJob.objects.get(owner=f"client:{client.pk}")
    assert AuditEvent.objects.get(action="data_key_rotation_started").actor == it_admin
    partial = http.get(f"/staff/keys/jobs/{job.id}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in partial and "<progress" in partial
    rotation.run_rotation_job(job.id)
    partial = http.get(f"/staff/keys/jobs/{job.id}/progress/").content.decode()
    assert "hx-trigger" not in partial and 'value="100"' in partial
    response = http.post("/staff/keys/rotate-master/")
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="master_key_rotated").actor == it_admin


def test_bad_rotation_input_gets_a_clear_message_and_changes_nothing(it_admin: User) -> None:
    http = cast.signed_in(it_admin)
    response = http.post("/staff/keys/rotate-data/", {"client_id": "not-a-uuid"})
    assert response.status_code == 400 and "UUID" in response.content.decode()
    response = http.post("/staff/keys/rotate-data/", {"client_id": "00000000-0000-0000-0000-000000000001"})
    assert response.status_code == 400
    response = http.post("/staff/keys/rotate-data/", {})
    assert response.status_code == 400
    assert not KeyRotationJob.objects.exists()


def test_console_action_needs_the_key_capability(firm_admin: User) -> None:
    client = _client("控制台")
    key = DataKey.objects.get(owner=f"client:{client.pk}")
    data = {"action": "rotate_selected_scopes", "_selected_action": [str(key.pk)]}
    cast.signed_in(firm_admin).post("/console/confidentiality/datakey/", data)
    assert not KeyRotationJob.objects.exists()
    both = cast.make_staff("admin_and_it", StaffRole.FIRM_ADMIN, StaffRole.IT_ADMIN)
    response = cast.signed_in(both).post("/console/confidentiality/datakey/", data)
    assert response.status_code == 302
    assert KeyRotationJob.objects.get(owner=f"client:{client.pk}").started_by == both
