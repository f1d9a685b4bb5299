"""The database's own refusal to change audit rows: append-only triggers on PostgreSQL and SQLite.

The triggers are created by a migration (`audit/migrations/0003_append_only.py`). They stop the
application (and anyone using its database account without owner rights) from updating or
deleting audit rows; a superuser or the table owner can still switch them off, which is what the
seal (`audit.sealing`) detects.

Note for later migrations: on SQLite, altering one of these tables rebuilds it and drops its
triggers. Call `install_triggers` again in such a migration; `verify_audit` reports tables whose
triggers are missing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.backends.base.base import BaseDatabaseWrapper

# The audit tables: domain events, reads, the change log and the seal itself.
PROTECTED_TABLES: tuple[str, ...] = (
    "audit_auditevent",
    "audit_accessevent",
    "auditlog_logentry",
    "audit_sealblock",
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fp_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _pg_statements(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS fp_append_only ON "{table}"',
        f'DROP TRIGGER IF EXISTS fp_no_truncate ON "{table}"',
        f'CREATE TRIGGER fp_append_only BEFORE UPDATE OR DELETE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION fp_audit_refuse_change()",
        f'CREATE TRIGGER fp_no_truncate BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION fp_audit_refuse_change()",
    ]


def _sqlite_statements(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS "fp_no_update_{table}"',
        f'DROP TRIGGER IF EXISTS "fp_no_delete_{table}"',
        f'CREATE TRIGGER "fp_no_update_{table}" BEFORE UPDATE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: UPDATE on {table} refused'); END",
        f'CREATE TRIGGER "fp_no_delete_{table}" BEFORE DELETE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: DELETE on {table} refused'); END",
    ]


def install_triggers(connection: BaseDatabaseWrapper, tables: Iterable[str] = PROTECTED_TABLES) -> None:
    """(Re)create the append-only triggers on `tables` (idempotent)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in tables:
                for statement in _pg_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for table in tables:
                for statement in _sqlite_statements(table):
                    cursor.execute(statement)
        else:  # pragma: no cover - the project supports these two only
            raise NotImplementedError(f"append-only triggers for {connection.vendor}")


def remove_triggers(connection: BaseDatabaseWrapper, tables: Iterable[str] = PROTECTED_TABLES) -> None:
    """Drop the triggers: used only to reverse the migration and by `flush` (which empties everything)."""
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER IF EXISTS fp_append_only ON "{table}"')
                cursor.execute(f'DROP TRIGGER IF EXISTS fp_no_truncate ON "{table}"')
            else:
                cursor.execute(f'DROP TRIGGER IF EXISTS "fp_no_update_{table}"')
                cursor.execute(f'DROP TRIGGER IF EXISTS "fp_no_delete_{table}"')


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """Audit tables that have lost (or never had) their append-only triggers."""
    missing = []
    with connection.cursor() as cursor:
        for table in PROTECTED_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                    "AND tgname IN ('fp_append_only', 'fp_no_truncate') AND tgenabled <> 'D'",
                    [f'"{table}"'],
                )
                expected = 2
            else:
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name IN (%s, %s)",
                    [table, f"fp_no_update_{table}", f"fp_no_delete_{table}"],
                )
                expected = 2
            if cursor.fetchone()[0] != expected:
                missing.append(table)
    return missing
