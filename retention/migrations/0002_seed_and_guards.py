"""Seed the schedule of 附表一 (2015) and the sign-off slots; refuse deletion of registers."""

from __future__ import annotations

from typing import Any

from django.db import migrations


PG_GUARD = """
CREATE OR REPLACE FUNCTION fp_register_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'archive registers are permanent: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS fp_register_permanent ON retention_register;
CREATE TRIGGER fp_register_permanent BEFORE UPDATE OR DELETE ON retention_register
    FOR EACH ROW EXECUTE FUNCTION fp_register_refuse_change();
"""
PG_UNGUARD = "DROP TRIGGER IF EXISTS fp_register_permanent ON retention_register;"


def seed(apps: Any, schema_editor: Any) -> None:
    from retention.defaults import seed_defaults

    seed_defaults(apps.get_model("retention", "RetentionRule"), apps.get_model("retention", "SignOffSlot"))


def guard(apps: Any, schema_editor: Any) -> None:
    # PostgreSQL only: the test runner's flush (TRUNCATE) still works; on SQLite the model refuses.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD, params=None)


def unguard(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
