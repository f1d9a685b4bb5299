"""Every state change of backups: making them, proving them by restore drills, restoring, pruning.

The long jobs (`perform_backup`, `perform_drill`) are not one transaction: they commit their
progress as they go so the dashboard can show it. Each state change that matters (started,
succeeded, failed, pruned, drill result) is its own short transaction with its audit row, and
alerts go out with `transaction.on_commit`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import audit.services as audit
from accounts.models import StaffRole, User
from backups import archive, hooks, sources
from backups.archive import ArchiveError
from backups.models import (
    BackupAction,
    BackupCopy,
    BackupRun,
    CopyState,
    DrillState,
    RestoreDrill,
    RunState,
    Trigger,
)
from backups.restoring import (
    TargetDatabase,
    create_database,
    database_is_empty,
    restore_stream,
    scratch_database,
)
from backups.targets import BackupTarget, configured_targets

log = logging.getLogger("firmportal.backups")

FORMAT = 1


class BackupRefusedError(Exception):
    """A request that must not go ahead (e.g. restoring over a database that holds data)."""


# --- keys ------------------------------------------------------------------------------------


def recipients() -> list[str]:
    """The age recipients backups are encrypted to (public keys only: the system cannot decrypt
    with them)."""
    configured = list(settings.FIRMPORTAL_BACKUP_RECIPIENTS)
    path = Path(settings.FIRMPORTAL_BACKUP_RECIPIENTS_FILE)
    if not configured and path.exists():
        configured = [
            line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip().startswith("age1")
        ]
    return configured


def drill_identities(identity_file: Path | None = None) -> list[Any]:
    path = identity_file or Path(settings.FIRMPORTAL_BACKUP_DRILL_IDENTITY_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ArchiveError(f"the drill identity file {path} cannot be read ({exc.strerror})") from exc
    return archive.load_identities([text])


# --- alerts ----------------------------------------------------------------------------------


def _alert_recipients() -> list[str]:
    people = User.objects.filter(
        is_active=True,
        groups__name__in=[StaffRole.IT_ADMIN, StaffRole.COMPLIANCE_OFFICER],
    ).exclude(email="")
    return sorted(set(people.values_list("email", flat=True)))


def _alert(*, subject: str, body: str) -> None:
    """E-mail the IT administrators and compliance officers once the caller's transaction commits."""
    to = _alert_recipients()
    if not to:
        log.error("backup alert with nobody to tell: %s", subject)
        return

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
        except Exception:
            log.exception("backup alert could not be mailed: %s", subject)

    transaction.on_commit(send)


# --- making a backup -------------------------------------------------------------------------


@transaction.atomic
def request_backup(*, actor: User | None, trigger: str = Trigger.MANUAL) -> BackupRun:
    """Queue a backup for the worker (after commit)."""
    run = BackupRun.objects.create(trigger=trigger, requested_by=actor)
    from backups import tasks

    transaction.on_commit(lambda: tasks.run_backup.delay(str(run.pk)))
    return run


def backup_now(*, actor: User | None, trigger: str = Trigger.MANUAL) -> BackupRun:
    """Make a backup in this process (manage.py backup)."""
    run = BackupRun.objects.create(trigger=trigger, requested_by=actor)
    return perform_backup(run_id=run.pk)


@transaction.atomic
def _claim(run_id: uuid.UUID) -> BackupRun | None:
    """Mark the run started. A run found already RUNNING was interrupted (its worker died and the
    broker redelivered the task): it is failed and a fresh run takes its place, so a backup is
    neither lost nor counted twice. A finished run is left alone."""
    run = BackupRun.objects.select_for_update().get(pk=run_id)
    if run.state in (RunState.SUCCEEDED, RunState.FAILED, RunState.PRUNED):
        return None
    if run.state == RunState.RUNNING:
        _fail(run, reason=_("interrupted: the worker running it stopped (the task was delivered again)"))
        run = BackupRun.objects.create(trigger=run.trigger, requested_by=run.requested_by)
    now = timezone.now()
    run.state = RunState.RUNNING
    run.started_at = run.heartbeat_at = now
    run.archive_name = f"firmportal-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run.short_id}.tar.age"
    run.recipients = recipients()
    run.save()
    audit.record(
        actor=run.requested_by,
        action=BackupAction.BACKUP_STARTED,
        target=run,
        details={"archive": run.archive_name, "trigger": run.trigger},
    )
    return run


def _progress(run_id: uuid.UUID, note: str, done: int | None = None) -> None:
    fields: dict[str, Any] = {"heartbeat_at": timezone.now(), "progress_note": note[:200]}
    if done is not None:
        fields["progress_bytes"] = done
    BackupRun.objects.filter(pk=run_id).update(**fields)


def _fail(run: BackupRun, *, reason: str) -> None:
    """Record the failure with its audit row and alert (call inside a transaction)."""
    run.state = RunState.FAILED
    run.finished_at = timezone.now()
    run.failure_reason = reason
    run.save()
    BackupCopy.objects.filter(run=run, state=CopyState.WRITING).update(state=CopyState.FAILED, failure_reason=reason)
    audit.record(
        actor=run.requested_by,
        action=BackupAction.BACKUP_FAILED,
        target=run,
        details={"archive": run.archive_name, "reason": reason[:500]},
    )
    with translation.override(settings.LANGUAGE_CODE):
        _alert(
            subject=_("[FirmPortal] Backup failed: %(name)s") % {"name": run.archive_name or run.pk},
            body=_("The backup %(id)s failed.\n\nReason: %(reason)s\n\nSee /staff/backups/.")
            % {"id": run.pk, "reason": reason},
        )


def _manifest_head(run: BackupRun, snapshot: sources.Snapshot, media: list[tuple[str, Path]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "backup_id": str(run.pk),
        "created_at": run.started_at.isoformat() if run.started_at else None,
        "database": {"vendor": snapshot.vendor, "member": snapshot.member_prefix},
        "schema": snapshot.schema,
        "row_counts": snapshot.row_counts,
        "audit_seal_head": snapshot.audit_head,
        "media": {"files": len(media), "bytes": sum(path.stat().st_size for _, path in media)},
        "recipients": run.recipients,
        "keys": "none: data keys live in the key provider's keystore, which is backed up separately",
    }


def _plaintext(head: dict[str, Any], snapshot: sources.Snapshot, media: list[tuple[str, Path]]) -> Iterator[bytes]:
    now = time.time()
    yield from archive.tar_member(
        archive.MANIFEST_MEMBER, json.dumps(head, indent=1, sort_keys=True).encode("utf-8"), mtime=now
    )
    yield from archive.tar_parts(snapshot.member_prefix, snapshot.dump, mtime=now)
    for name, path in media:
        yield from archive.tar_file_member(name, path, mtime=now)
    yield from archive.tar_end()


def perform_backup(*, run_id: uuid.UUID) -> BackupRun:
    """Make the backup of a claimed run: stream it to every target, verify each copy, record it."""
    claimed = _claim(run_id)
    if claimed is None:
        return BackupRun.objects.get(pk=run_id)
    run = claimed
    stale = float(settings.FIRMPORTAL_BACKUP_STALE_SECONDS)
    targets = configured_targets()
    uploads: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, target in targets.items():
        BackupCopy.objects.create(
            run=run, target=name, backend=target.backend, location=target.location(run.archive_name)
        )
        try:
            target.cleanup_partials(older_than_seconds=stale)
            uploads[name] = target.open_upload(run.archive_name)
        except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
            errors[name] = archive.describe_error(exc)
    try:
        if not uploads:
            raise ArchiveError("no target could be opened")
        fanout = archive.HashingFanout(
            uploads,
            on_progress=lambda n: _progress(run.pk, _("Writing the archive"), n),
            rate_limit=settings.FIRMPORTAL_BACKUP_RATE_LIMIT,
        )
        media = sources.media_files()
        with sources.database_snapshot() as snapshot:
            head = _manifest_head(run, snapshot, media)
            _progress(run.pk, _("Writing the archive"), 0)
            archive.encrypt_stream(_plaintext(head, snapshot, media), fanout, run.recipients)
        errors.update(fanout.errors)
        for name in list(uploads):
            if name in errors:
                continue
            try:
                uploads[name].commit()
            except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
                errors[name] = archive.describe_error(exc)
    except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
        for upload in uploads.values():
            upload.abort()
        reason = exc.args[0] if isinstance(exc, ArchiveError) else archive.describe_error(exc)
        if errors:
            reason += " (" + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())) + ")"
        with transaction.atomic():
            _fail(BackupRun.objects.select_for_update().get(pk=run.pk), reason=str(reason))
        log.error("backup %s failed: %s", run.pk, reason)
        return BackupRun.objects.get(pk=run.pk)
    for name in errors:
        if name in uploads:
            uploads[name].abort()
    digest, size = fanout.digest.hexdigest(), fanout.size
    _progress(run.pk, _("Verifying the stored copies"), size)
    for name, target in targets.items():
        if name not in errors:
            problem = _verify_copy(target, run.archive_name, digest=digest, size=size)
            if problem:
                errors[name] = problem
    manifest = dict(head)
    manifest["archive"] = {"name": run.archive_name, "size": size, "sha256": digest}
    manifest["copies"] = {
        name: {"backend": t.backend, "location": t.location(run.archive_name), "size": size, "sha256": digest}
        for name, t in targets.items()
        if name not in errors
    }
    for name, target in targets.items():
        if name not in errors:
            try:
                target.put_small(run.archive_name + ".manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
            except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
                errors[name] = _("manifest not written: %(error)s") % {"error": archive.describe_error(exc)}
    return _finish(run.pk, manifest=manifest, digest=digest, size=size, errors=errors)


def _verify_copy(target: BackupTarget, filename: str, *, digest: str, size: int) -> str:
    """Re-read a stored copy and hash it; returns the problem, or "" when it matches."""
    try:
        with target.open_read(filename) as handle:
            reader = archive.HashingReader(handle)
            while reader.read(archive.COPY_CHUNK):
                pass
    except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
        return _("the stored copy cannot be read back: %(error)s") % {"error": archive.describe_error(exc)}
    if reader.size != size or reader.digest.hexdigest() != digest:
        return _(
            "the stored copy differs from what was written (size %(got)s, expected %(want)s; SHA-256 mismatch)"
        ) % {
            "got": reader.size,
            "want": size,
        }
    return ""


@transaction.atomic
def _finish(
    run_id: uuid.UUID, *, manifest: dict[str, Any], digest: str, size: int, errors: dict[str, str]
) -> BackupRun:
    run = BackupRun.objects.select_for_update().get(pk=run_id)
    now = timezone.now()
    for copy in BackupCopy.objects.filter(run=run):
        if copy.target in errors:
            copy.state, copy.failure_reason = CopyState.FAILED, errors[copy.target]
        else:
            copy.state, copy.size, copy.sha256, copy.verified_at = CopyState.VERIFIED, size, digest, now
        copy.save()
    run.manifest, run.sha256, run.size = manifest, digest, size
    run.progress_bytes = size
    if errors:
        _fail(run, reason="; ".join(f"{name}: {problem}" for name, problem in sorted(errors.items())))
        return run
    run.state, run.finished_at, run.progress_note = RunState.SUCCEEDED, now, ""
    run.save()
    audit.record(
        actor=run.requested_by,
        action=BackupAction.BACKUP_SUCCEEDED,
        target=run,
        details={"archive": run.archive_name, "size": size, "sha256": digest, "targets": sorted(manifest["copies"])},
    )
    return run


@transaction.atomic
def reap_interrupted_runs(*, now: datetime | None = None) -> list[BackupRun]:
    """Fail runs and drills whose heartbeat stopped (their process died, e.g. SIGKILL); remove their
    partial files. Called before every backup and drill, and by beat."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.FIRMPORTAL_BACKUP_STALE_SECONDS)
    reaped = []
    for run in BackupRun.objects.select_for_update().filter(state=RunState.RUNNING, heartbeat_at__lt=cutoff):
        _fail(
            run,
            reason=_("interrupted: no progress since %(when)s (the process running it died)")
            % {"when": run.heartbeat_at},
        )
        reaped.append(run)
    for drill in RestoreDrill.objects.select_for_update().filter(state=DrillState.RUNNING, heartbeat_at__lt=cutoff):
        _fail_drill(drill, reason=_("interrupted: the process running the drill died"))
    if reaped:
        for target in configured_targets().values():
            try:
                target.cleanup_partials(older_than_seconds=0)
            except Exception:
                log.exception("partial files of %s could not be removed", target.name)
    return reaped


# --- restore drills --------------------------------------------------------------------------


@transaction.atomic
def request_drill(*, run: BackupRun, actor: User | None, target: str = "primary") -> RestoreDrill:
    drill = RestoreDrill.objects.create(run=run, target=target, requested_by=actor, heartbeat_at=timezone.now())
    from backups import tasks

    transaction.on_commit(lambda: tasks.run_drill.delay(str(drill.pk)))
    return drill


def drill_now(
    *, run: BackupRun, actor: User | None, target: str = "primary", identity_file: Path | None = None
) -> RestoreDrill:
    drill = RestoreDrill.objects.create(run=run, target=target, requested_by=actor, heartbeat_at=timezone.now())
    return perform_drill(drill_id=drill.pk, identity_file=identity_file)


def latest_good_backup() -> BackupRun | None:
    return BackupRun.objects.filter(state=RunState.SUCCEEDED).order_by("-created_at").first()


def _drill_progress(drill_id: uuid.UUID, note: str) -> None:
    RestoreDrill.objects.filter(pk=drill_id).update(heartbeat_at=timezone.now(), progress_note=note[:200])


def perform_drill(*, drill_id: uuid.UUID, identity_file: Path | None = None) -> RestoreDrill:
    """Restore the backup into a scratch database and check it; record the result."""
    drill = RestoreDrill.objects.select_related("run").get(pk=drill_id)
    if drill.state != DrillState.RUNNING or drill.finished_at is not None:
        return drill
    run = drill.run
    results: dict[str, Any] = {"archive": run.archive_name, "target": drill.target}
    try:
        if run.state != RunState.SUCCEEDED:
            raise ArchiveError(_("the backup is not a good backup (state: %(state)s)") % {"state": run.state})
        target = configured_targets()[drill.target]
        identities = drill_identities(identity_file)
        _drill_progress(drill.pk, _("Restoring into a scratch database"))
        with scratch_database() as scratch:
            with target.open_read(run.archive_name) as raw:
                reader = archive.HashingReader(raw)
                with archive.decrypted(reader, identities) as plain:
                    restored = restore_stream(plain, scratch)
            results["sha256"] = "ok"
            if reader.digest.hexdigest() != run.sha256 or reader.size != run.size:
                raise ArchiveError(_("the stored copy's SHA-256 differs from the manifest"))
            results["media_files"] = restored.media_files
            if restored.media_files != run.manifest.get("media", {}).get("files"):
                raise ArchiveError(
                    _("media files: %(got)s restored, manifest says %(want)s")
                    % {"got": restored.media_files, "want": run.manifest.get("media", {}).get("files")}
                )
            _drill_progress(drill.pk, _("Checking the restored data"))
            with scratch.alias() as alias:
                results["row_counts"] = _check_row_counts(alias, run.manifest.get("row_counts", {}))
                results["audit"] = hooks.verify_restored_audit(alias, run.manifest.get("audit_seal_head", {}))
                if results["audit"]["status"] == "failed":
                    raise ArchiveError(_("audit check failed: %(detail)s") % {"detail": results["audit"]["detail"]})
                results["decryption"] = decrypt_sample(alias, limit=settings.FIRMPORTAL_BACKUP_DRILL_SAMPLE)
                if results["decryption"]["failed"]:
                    raise ArchiveError(
                        _("%(n)s sampled values failed to decrypt") % {"n": results["decryption"]["failed"]}
                    )
    except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
        reason = exc.args[0] if isinstance(exc, ArchiveError) and exc.args else archive.describe_error(exc)
        with transaction.atomic():
            locked = RestoreDrill.objects.select_for_update().get(pk=drill.pk)
            locked.results = results
            _fail_drill(locked, reason=str(reason))
        return RestoreDrill.objects.get(pk=drill.pk)
    with transaction.atomic():
        locked = RestoreDrill.objects.select_for_update().get(pk=drill.pk)
        locked.state, locked.finished_at, locked.results, locked.progress_note = (
            DrillState.PASSED,
            timezone.now(),
            results,
            "",
        )
        locked.save()
        audit.record(
            actor=drill.requested_by,
            action=BackupAction.DRILL_PASSED,
            target=run,
            details={"drill": str(drill.pk), "archive": run.archive_name, "tables": len(results["row_counts"])},
        )
    return RestoreDrill.objects.get(pk=drill.pk)


def _fail_drill(drill: RestoreDrill, *, reason: str) -> None:
    drill.state, drill.finished_at, drill.failure_reason = DrillState.FAILED, timezone.now(), reason
    drill.save()
    audit.record(
        actor=drill.requested_by,
        action=BackupAction.DRILL_FAILED,
        target=drill.run,
        details={"drill": str(drill.pk), "archive": drill.run.archive_name, "reason": reason[:500]},
    )
    with translation.override(settings.LANGUAGE_CODE):
        _alert(
            subject=_("[FirmPortal] Restore drill failed: %(name)s") % {"name": drill.run.archive_name},
            body=_(
                "The restore drill %(id)s of backup %(backup)s failed.\n\nReason: %(reason)s\n\nSee /staff/backups/."
            )
            % {"id": drill.pk, "backup": drill.run.pk, "reason": reason},
        )


def _check_row_counts(alias: str, expected: dict[str, int]) -> dict[str, Any]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        vendor = connections[alias].vendor
        tables = sources._pg_tables(cursor) if vendor == "postgresql" else sources._sqlite_tables(cursor)
        got = sources.table_row_counts(cursor, tables, vendor)
    wrong = {t: {"restored": got.get(t), "manifest": n} for t, n in expected.items() if got.get(t) != n}
    extra = sorted(set(got) - set(expected))
    if wrong or extra:
        raise ArchiveError(
            _("row counts differ from the manifest: %(wrong)s")
            % {"wrong": json.dumps({"differ": wrong, "extra": extra})}
        )
    return {"tables": len(expected), "rows": sum(expected.values()), "status": "match"}


def encrypted_models() -> Iterator[tuple[type[Any], list[str]]]:
    from confidentiality.fields import EncryptedField

    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if names:
            yield model, names


def decrypt_sample(alias: str, *, limit: int) -> dict[str, Any]:
    """Decrypt up to `limit` rows of each model with encrypted fields, read from `alias`, with the
    keys the system holds now. Values of destroyed (crypto-shredded) scopes count as `shredded`."""
    from confidentiality import crypto

    crypto.reset_caches()  # the keystore as it is now, not as a cache remembers it
    counts = {"decrypted": 0, "shredded": 0, "failed": 0, "models": 0}
    for model, names in encrypted_models():
        counts["models"] += 1
        for obj in model._default_manager.using(alias).order_by("pk")[:limit]:
            for name in names:
                try:
                    getattr(obj, name)
                except crypto.KeyDestroyedError:
                    counts["shredded"] += 1
                except crypto.DecryptionError:
                    counts["failed"] += 1
                else:
                    counts["decrypted"] += 1
    return counts


# --- restore ---------------------------------------------------------------------------------


def restore_archive(
    *,
    source: Any,
    target_database: TargetDatabase,
    identities: list[Any],
    force: bool,
    media_root: Path | None = None,
    expected_sha256: str = "",
) -> dict[str, Any]:
    """Restore an archive (an open binary stream) into a named database. Refuses a database that
    holds tables unless `force` (then the database is dropped and created afresh)."""
    state = database_is_empty(target_database)
    if state is False and not force:
        raise BackupRefusedError(
            _("the database %(name)s is not empty; restore refuses to overwrite it without --force")
            % {"name": target_database.name}
        )
    create_database(target_database, replace=state is False)
    reader = archive.HashingReader(source)
    with archive.decrypted(reader, identities) as plain:
        restored = restore_stream(plain, target_database, media_root=media_root)
    if expected_sha256 and reader.digest.hexdigest() != expected_sha256:
        raise ArchiveError(_("the archive's SHA-256 differs from the manifest"))
    return {
        "backup_id": restored.manifest.get("backup_id"),
        "database_parts": restored.database_parts,
        "media_files": restored.media_files,
        "sha256": reader.digest.hexdigest(),
        "row_counts": restored.manifest.get("row_counts", {}),
    }


@transaction.atomic
def record_restore(*, run: BackupRun | None, actor: User | None, database: str, summary: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        action=BackupAction.BACKUP_RESTORED,
        target=run,
        details={"database": database, "backup_id": summary.get("backup_id"), "sha256": summary.get("sha256")},
    )


# --- retention -------------------------------------------------------------------------------


def gfs_keep(
    runs: Iterable[BackupRun], *, daily: int, weekly: int, monthly: int, now: datetime | None = None
) -> set[uuid.UUID]:
    """Grandfather-father-son over calendar periods: the newest good backup of each of the last
    `daily` days, `weekly` ISO weeks and `monthly` months, counted back from today."""
    tz = timezone.get_current_timezone()
    today = (now or timezone.now()).astimezone(tz).date()
    days = {today - timedelta(days=n) for n in range(daily)}
    weeks = {(today - timedelta(weeks=n)).isocalendar()[:2] for n in range(weekly)}
    months = set()
    year, month = today.year, today.month
    for _n in range(monthly):
        months.add((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    newest: dict[Any, BackupRun] = {}
    for run in runs:
        local = run.created_at.astimezone(tz)
        for key, allowed in (
            (("d", local.date()), local.date() in days),
            (("w", local.isocalendar()[:2]), local.isocalendar()[:2] in weeks),
            (("m", (local.year, local.month)), (local.year, local.month) in months),
        ):
            if allowed and (key not in newest or newest[key].created_at < run.created_at):
                newest[key] = run
    return {run.pk for run in newest.values()}


def prune_backups(*, actor: User | None) -> list[BackupRun]:
    """Delete good backups that GFS does not keep, except held ones; failed runs' leftovers too.
    Every deletion is audited."""
    keep_cfg = settings.FIRMPORTAL_BACKUP_KEEP
    good = list(BackupRun.objects.filter(state=RunState.SUCCEEDED))
    keep = gfs_keep(good, daily=keep_cfg["daily"], weekly=keep_cfg["weekly"], monthly=keep_cfg["monthly"])
    newest = latest_good_backup()
    if newest is not None:
        keep.add(newest.pk)
    targets = configured_targets()
    pruned = []
    for run in good:
        if run.pk in keep or run.held:
            continue
        pruned.append(_prune_one(run, targets=targets, actor=actor, keep_policy=keep_cfg))
    return pruned


@transaction.atomic
def _prune_one(
    run: BackupRun, *, targets: dict[str, BackupTarget], actor: User | None, keep_policy: dict[str, int]
) -> BackupRun:
    run = BackupRun.objects.select_for_update().get(pk=run.pk)
    if run.held or run.state != RunState.SUCCEEDED:
        return run
    deleted = []
    for copy in run.copies.all():
        target = targets.get(copy.target)
        if target is None:
            continue
        target.delete(run.archive_name)
        target.delete(run.archive_name + ".manifest.json")
        copy.state = CopyState.PRUNED
        copy.save()
        deleted.append(copy.target)
    run.state, run.pruned_at = RunState.PRUNED, timezone.now()
    run.save()
    audit.record(
        actor=actor,
        action=BackupAction.BACKUP_PRUNED,
        target=run,
        details={"archive": run.archive_name, "targets": deleted, "policy": keep_policy},
    )
    return run


@transaction.atomic
def place_backup_hold(run: BackupRun, *, reason: str, actor: User | None) -> BackupRun:
    run = BackupRun.objects.select_for_update().get(pk=run.pk)
    run.held, run.hold_reason = True, reason[:200]
    run.save()
    audit.record(actor=actor, action=BackupAction.BACKUP_HOLD_PLACED, target=run, details={"reason": reason[:200]})
    return run


@transaction.atomic
def release_backup_hold(run: BackupRun, *, actor: User | None) -> BackupRun:
    run = BackupRun.objects.select_for_update().get(pk=run.pk)
    run.held, run.hold_reason = False, ""
    run.save()
    audit.record(actor=actor, action=BackupAction.BACKUP_HOLD_RELEASED, target=run)
    return run
