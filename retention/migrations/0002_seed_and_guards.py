"""Seed the schedule of 附表一 (2015) and the sign-off slots; refuse deletion of registers."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SLOTS = [
    # code, label, purpose, staff role, electronic only, position
    ("firm_head", "单位负责人", "sign", "firm_head", False, 1),
    ("archives_head", "档案管理机构负责人", "sign", "archivist", False, 2),
    ("accounting_head", "会计管理机构负责人", "sign", "manager", False, 3),
    ("archives_handler", "档案管理机构经办人", "sign", "archivist", False, 4),
    ("accounting_handler", "会计管理机构经办人", "sign", "manager", False, 5),
    ("it_head", "信息系统管理机构", "sign", "it_admin", True, 6),
    ("supervise_archives", "档案管理机构监销人", "supervise", "archivist", False, 1),
    ("supervise_accounting", "会计管理机构监销人", "supervise", "manager", False, 2),
    ("supervise_it", "信息系统管理机构监销人", "supervise", "it_admin", True, 3),
]

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
    from retention.schedule import LEGAL_MINIMUM

    RetentionRule = apps.get_model("retention", "RetentionRule")
    SignOffSlot = apps.get_model("retention", "SignOffSlot")
    for category, period in LEGAL_MINIMUM.items():
        RetentionRule.objects.get_or_create(category=str(category), defaults={"years": period.years})
    for code, label, purpose, role, electronic_only, position in SLOTS:
        SignOffSlot.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "purpose": purpose,
                "staff_role": role,
                "electronic_only": electronic_only,
                "position": position,
            },
        )


def guard(apps: Any, schema_editor: Any) -> None:
    # PostgreSQL only: the test runner's flush (TRUNCATE) still works; on SQLite the model refuses.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)


def unguard(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
