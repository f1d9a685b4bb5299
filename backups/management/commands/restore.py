"""Restore a backup into a named database: `manage.py restore BACKUP_ID --target-database NAME`.

From a backup this system knows (BACKUP_ID, read from a target), or from a file alone
(`--archive PATH`, for disaster recovery when the database that knew the backups is gone).
Refuses to touch a database that holds tables unless `--force` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from backups import archive, queries, services
from backups.archive import ArchiveError
from backups.restoring import TargetDatabase
from backups.targets import configured_targets


class Command(BaseCommand):
    help = "Restore a backup into a named database (PostgreSQL database name, or SQLite file path)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_id", nargs="?", help="a backup id (or its first 8 characters), or 'latest'")
        parser.add_argument("--archive", type=Path, help="restore from this .tar.age file instead of a target")
        parser.add_argument("--target-database", required=True, help="database name (PostgreSQL) or file (SQLite)")
        parser.add_argument("--from", dest="source_target", default="primary", help="target to read the backup from")
        parser.add_argument("--identity", type=Path, help="age identity file (the recovery key); default: drill key")
        parser.add_argument("--media-root", type=Path, help="also write the media files into this directory")
        parser.add_argument("--force", action="store_true", help="replace a database that is not empty")

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connections["default"].vendor
        target_db = TargetDatabase(vendor, options["target_database"])
        identity_path = options["identity"] or Path(settings.FIRMPORTAL_BACKUP_DRILL_IDENTITY_FILE)
        try:
            identities = archive.load_identities([identity_path.read_text(encoding="utf-8")])
        except OSError as exc:
            raise CommandError(f"cannot read the identity file {identity_path}: {exc.strerror}") from exc
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        run = None
        try:
            if options["archive"]:
                with open(options["archive"], "rb") as handle:
                    summary = services.restore_archive(
                        source=handle,
                        target_database=target_db,
                        identities=identities,
                        force=options["force"],
                        media_root=options["media_root"],
                    )
            else:
                if not options["backup_id"]:
                    raise CommandError("name a BACKUP_ID or give --archive PATH")
                run = queries.find_backup(options["backup_id"])
                if run is None:
                    raise CommandError(f"no backup {options['backup_id']!r}")
                target = configured_targets()[options["source_target"]]
                with target.open_read(run.archive_name) as handle:
                    summary = services.restore_archive(
                        source=handle,
                        target_database=target_db,
                        identities=identities,
                        force=options["force"],
                        media_root=options["media_root"],
                        expected_sha256=run.sha256,
                    )
        except services.BackupRefusedError as exc:
            raise CommandError(str(exc)) from exc
        except (ArchiveError, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        # Into the live database (a disaster restore) this row lands in the restored trail itself.
        services.record_restore(run=run, actor=None, database=target_db.name, summary=summary)
        self.stdout.write(
            f"restored backup {summary['backup_id']} into {target_db.name}: {summary['database_parts']} database "
            f"part(s), {summary['media_files']} media file(s), sha256 {summary['sha256']}"
        )
