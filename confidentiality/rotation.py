"""Key rotation.

- Master-key rotation rewraps every keystore entry under a new master key. No data is rewritten.
- Data-key rotation gives a scope a new data key and re-encrypts that scope's values in a
  resumable background job (`KeyRotationJob`); the old key is retired at the start and destroyed
  (crypto-shredded) at the end. Models are found by scanning for encrypted fields.

Which rows belong to a scope: a model may define a classmethod
`rows_in_encryption_scope(scope) -> QuerySet`; otherwise a model with `owner`/`year` columns
(StoredFile), a `client` foreign key (client scopes) or a model named `Client` (its own rows) is
narrowed down by those, and every candidate row is still checked against `encryption_scope()`.
A model matching none of these is scanned in full (correct, only slower).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from audit import services as audit
from audit.models import AuditAction
from confidentiality import crypto
from confidentiality.fields import EncryptedField
from confidentiality.keyscope import KeyScope
from confidentiality.models import DataKey, DataKeyState, KeyRotationJob, RotationKind, RotationState

log = logging.getLogger("firmportal.crypto")

BATCH_SIZE = 200


class RotationError(Exception):
    """A rotation cannot start (e.g. the scope has no key, or it was destroyed)."""


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedField]]]:
    """Every installed model with encrypted fields, and those fields."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda item: item[0]._meta.label_lower)


def candidate_rows(model: type[models.Model], scope: KeyScope) -> models.QuerySet[Any]:
    """Rows that may belong to `scope` (a superset; each is checked against encryption_scope())."""
    hook = getattr(model, "rows_in_encryption_scope", None)
    if hook is not None:
        return hook(scope)  # type: ignore[no-any-return]
    names = {f.name for f in model._meta.concrete_fields}
    qs = model._default_manager.all()
    if {"owner", "year"} <= names:
        return qs.filter(owner=scope.owner, year=scope.year)
    if scope.client_id is not None:
        if "client" in names:
            return qs.filter(client_id=scope.client_id)
        if model._meta.model_name == "client":
            return qs.filter(pk=scope.client_id)
    return qs


def _client_ref(owner: str) -> str:
    return owner.split(":", 1)[1] if owner.startswith("client:") else ""


# --- Master key ------------------------------------------------------------------------------


@transaction.atomic
def rotate_master_key(*, actor: Any) -> KeyRotationJob:
    """Put every data key (and keystore secret) under a new master key; retire the old one.

    The local provider makes the new key itself; a KMS provider rewraps under the KMS key its
    options name now (change `key_id`, list the old one in `previous_key_ids`, then run this).
    """
    provider = crypto.provider()
    old_master = provider.current_key_id()
    add = getattr(provider, "add_master_key", None)
    new_master = add() if add is not None else old_master
    started = timezone.now()
    rewrapped = provider.rewrap_all()
    # The database is not touched: the keystore alone records which master key wraps each entry,
    # so a database restored from backup never disagrees with it.
    retire = getattr(provider, "retire_master_key", None)
    retired = []
    if retire is not None:
        for key_id in [k for k in provider.master_key_ids() if k != new_master]:  # type: ignore[attr-defined]
            retire(key_id)
            retired.append(key_id)
    provider.bump_generation()
    crypto.reset_caches()
    job = KeyRotationJob.objects.create(
        kind=RotationKind.MASTER,
        state=RotationState.DONE,
        total=rewrapped,
        done=rewrapped,
        old_master_key_id=old_master,
        new_master_key_id=new_master,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        started_at=started,
        finished_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action=AuditAction.MASTER_KEY_ROTATED,
        target=job,
        details={
            "old_master_key": old_master,
            "new_master_key": new_master,
            "rewrapped": rewrapped,
            "retired": retired,
        },
    )
    return job


# --- Data keys -------------------------------------------------------------------------------


def scopes_of_owner(owner: str) -> list[KeyScope]:
    years = (
        DataKey.objects.filter(owner=owner, state=DataKeyState.ACTIVE)
        .order_by("year")
        .values_list("year", flat=True)
        .distinct()
    )
    return [KeyScope(owner=owner, year=year) for year in years]


def client_owners() -> list[str]:
    return list(
        DataKey.objects.filter(owner__startswith="client:", state=DataKeyState.ACTIVE)
        .order_by("owner")
        .values_list("owner", flat=True)
        .distinct()
    )


def _count(scope: KeyScope) -> int:
    return sum(candidate_rows(model, scope).count() for model, _ in encrypted_models())


@transaction.atomic
def start_data_key_rotation(scope: KeyScope, *, actor: Any) -> KeyRotationJob:
    """Retire the scope's key, make a new one, and queue the re-encryption job (after commit).

    Idempotent: while a job for this scope is open, that job is returned (and re-queued)."""
    open_job = (
        KeyRotationJob.objects.select_for_update()
        .filter(kind=RotationKind.DATA, owner=scope.owner, year=scope.year, state__in=["queued", "running"])
        .first()
    )
    if open_job is not None:
        transaction.on_commit(lambda: _enqueue(open_job.id))
        return open_job
    keys = DataKey.objects.select_for_update().filter(owner=scope.owner, year=scope.year)
    old = keys.filter(state=DataKeyState.ACTIVE).first()
    if old is None:
        if keys.filter(state=DataKeyState.DESTROYED).exists():
            raise RotationError(f"the keys of {scope.label} were destroyed")
        raise RotationError(f"{scope.label} has no data key yet: nothing to rotate")
    now = timezone.now()
    DataKey.objects.filter(pk=old.pk).update(state=DataKeyState.RETIRED, retired_at=now)
    version = (keys.aggregate(v=Max("version"))["v"] or 0) + 1
    new = crypto.create_data_key(scope, version=version)
    job = KeyRotationJob.objects.create(
        kind=RotationKind.DATA,
        owner=scope.owner,
        year=scope.year,
        new_key=new,
        total=_count(scope),
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action=AuditAction.DATA_KEY_ROTATION_STARTED,
        target=job,
        client_ref=_client_ref(scope.owner),
        details={"owner": scope.owner, "year": scope.year, "old_key": str(old.id), "new_key": str(new.id)},
    )

    def after_commit() -> None:
        crypto.provider().bump_generation()  # other processes stop encrypting under the old key
        crypto.forget_key(old.id)
        _enqueue(job.id)

    transaction.on_commit(after_commit)
    return job


def start_client_rotation(client_id: uuid.UUID | str, *, actor: Any) -> list[KeyRotationJob]:
    """Rotate every scope of one client: the client-wide key and each fiscal year's and archive
    category's (owners `client:<id>` and `client:<id>#<category>`)."""
    base = f"client:{client_id}"
    owners = (
        DataKey.objects.filter(models.Q(owner=base) | models.Q(owner__startswith=f"{base}#"), state=DataKeyState.ACTIVE)
        .order_by("owner")
        .values_list("owner", flat=True)
        .distinct()
    )
    scopes = [scope for owner in owners for scope in scopes_of_owner(owner)]
    if not scopes:
        raise RotationError(f"client {client_id} has no data keys")
    return [start_data_key_rotation(scope, actor=actor) for scope in scopes]


def start_all_clients_rotation(*, actor: Any) -> list[KeyRotationJob]:
    jobs: list[KeyRotationJob] = []
    for owner in client_owners():
        jobs.extend(start_data_key_rotation(scope, actor=actor) for scope in scopes_of_owner(owner))
    return jobs


def _enqueue(job_id: uuid.UUID) -> None:
    from confidentiality import tasks

    tasks.run_key_rotation.delay(str(job_id))


def resume_open_jobs() -> list[KeyRotationJob]:
    """Queue every open or failed data-key job again; each continues from its cursor."""
    jobs = list(KeyRotationJob.objects.filter(kind=RotationKind.DATA, state__in=["queued", "running", "failed"]))
    for job in jobs:
        retry_job(job.id)
    return jobs


@transaction.atomic
def retry_job(job_id: uuid.UUID) -> KeyRotationJob:
    """Queue a failed or stalled data-key job again; it continues from its saved cursor."""
    job = KeyRotationJob.objects.select_for_update().get(pk=job_id, kind=RotationKind.DATA)
    if job.state == RotationState.DONE:
        return job
    if job.state == RotationState.FAILED:
        job.state = RotationState.QUEUED
        job.error = ""
        job.save(update_fields=["state", "error"])
    transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _reencrypt_batch(
    model: type[models.Model], fields: list[EncryptedField], scope: KeyScope, new_key: uuid.UUID, pks: list[Any]
) -> int:
    """Re-encrypt the values of these rows that are not under `new_key`. Returns values rewritten."""
    rewritten = 0
    for obj in model._default_manager.select_for_update().filter(pk__in=pks).order_by("pk"):
        if obj.encryption_scope() != scope:  # type: ignore[attr-defined]
            continue
        updates = {}
        for field in fields:
            ciphertext = obj.__dict__.get(field.attname)
            if ciphertext is None or crypto.key_id_of(ciphertext) == new_key:
                continue
            aad = field.aad(obj)
            plain = crypto.decrypt_bytes(aad, ciphertext, where=field.where(obj))
            updates[field.attname] = crypto.encrypt_bytes_with(new_key, aad, plain)
        if updates:
            # A queryset update: no save() side effects, no change-log diff of ciphertext.
            model._default_manager.filter(pk=obj.pk).update(**updates)
            rewritten += len(updates)
    return rewritten


def _sweep(job: KeyRotationJob, *, batch_size: int, max_batches: int | None, resumable: bool) -> tuple[bool, int]:
    """Walk every encrypted model's candidate rows in primary-key order. Returns (finished, batches)."""
    assert job.new_key_id is not None
    scope = job.scope
    batches = 0
    for model, fields in encrypted_models():
        label = model._meta.label_lower
        if resumable and label in job.models_done:
            continue
        cursor: Any = None
        if resumable and job.current_model == label and job.cursor:
            cursor = model._meta.pk.to_python(job.cursor)  # type: ignore[union-attr]
        while True:
            if max_batches is not None and batches >= max_batches:
                return False, batches
            qs = candidate_rows(model, scope).order_by("pk")
            if cursor is not None:
                qs = qs.filter(pk__gt=cursor)
            pks = list(qs.values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            with transaction.atomic():
                _reencrypt_batch(model, fields, scope, job.new_key_id, pks)
                cursor = pks[-1]
                if resumable:
                    KeyRotationJob.objects.filter(pk=job.pk).update(
                        current_model=label, cursor=str(cursor), done=models.F("done") + len(pks)
                    )
            batches += 1
        if resumable:
            job.models_done = [*job.models_done, label]
            KeyRotationJob.objects.filter(pk=job.pk).update(models_done=job.models_done, current_model="", cursor="")
    return True, batches


def run_rotation_job(
    job_id: uuid.UUID, *, batch_size: int | None = None, max_batches: int | None = None
) -> KeyRotationJob:
    """Run (or resume) a data-key rotation job. Safe to run again at any point: values already under
    the new key are skipped, and progress is saved with each batch. `max_batches` stops early (tests)."""
    job = KeyRotationJob.objects.get(pk=job_id)
    if job.kind != RotationKind.DATA or not job.is_open:
        return job
    batch_size = batch_size or int(getattr(settings, "FIRMPORTAL_ROTATION_BATCH_SIZE", BATCH_SIZE))
    KeyRotationJob.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=timezone.now())
    KeyRotationJob.objects.filter(pk=job.pk).update(state=RotationState.RUNNING)
    job.refresh_from_db()
    try:
        finished, _ = _sweep(job, batch_size=batch_size, max_batches=max_batches, resumable=True)
        if not finished:
            job.refresh_from_db()
            return job
        _settle(job)
        # Final pass: values another process wrote under the old key before it noticed the rotation.
        _sweep(job, batch_size=batch_size, max_batches=None, resumable=False)
        return _finish(job)
    except Exception as exc:
        _fail(job, exc)
        raise


def _settle(job: KeyRotationJob) -> None:
    """Wait until every process has dropped its cached 'active key' (bounded by the revalidation
    interval), so no process still encrypts new values under the old key."""
    interval = float(getattr(settings, "FIRMPORTAL_KEY_REVALIDATE_SECONDS", 5))
    assert job.created_at is not None
    until = job.created_at + timedelta(seconds=2 * interval + 1)
    wait = (until - timezone.now()).total_seconds()
    if wait > 0:
        time.sleep(min(wait, 120))


@transaction.atomic
def _finish(job: KeyRotationJob) -> KeyRotationJob:
    job = KeyRotationJob.objects.select_for_update().get(pk=job.pk)
    if not job.is_open:
        return job
    actor = job.started_by
    retired = list(DataKey.objects.filter(owner=job.owner, year=job.year, state=DataKeyState.RETIRED))
    for key in retired:
        crypto.destroy_data_key(key.id, actor=actor, reason=f"rotated out by job {job.id}")
    job.state = RotationState.DONE
    job.done = max(job.done, job.total)
    job.total = job.done
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "done", "total", "finished_at"])
    audit.record(
        actor=actor,
        action=AuditAction.DATA_KEY_ROTATION_COMPLETED,
        target=job,
        client_ref=_client_ref(job.owner),
        details={
            "owner": job.owner,
            "year": job.year,
            "rows": job.done,
            "destroyed_keys": [str(k.id) for k in retired],
            "new_key": str(job.new_key_id),
        },
    )
    return job


def _fail(job: KeyRotationJob, exc: Exception) -> None:
    # Nothing is destroyed on failure: the retired key still decrypts what was not re-encrypted.
    # `retry_job` (the page's retry button, `rotate_keys --resume`) continues from the cursor.
    message = f"{type(exc).__name__}"[:300]
    if isinstance(exc, crypto.DecryptionError) and not isinstance(exc, crypto.KeyDestroyedError):
        # The batch's transaction rolled back the first report: record it for good, outside it.
        crypto.report_decryption_failure(where=exc.where, key_id=exc.key_id, reason="authentication")
    with transaction.atomic():
        KeyRotationJob.objects.filter(pk=job.pk).update(state=RotationState.FAILED, error=message)
        audit.record(
            actor=job.started_by,
            action=AuditAction.DATA_KEY_ROTATION_FAILED,
            target=job,
            client_ref=_client_ref(job.owner),
            details={"owner": job.owner, "year": job.year, "error": message, "done": job.done},
        )
    log.error("key rotation job %s failed: %s", job.id, message)
