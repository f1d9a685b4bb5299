"""Append-only: the database refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) on audit tables."""

from django.db import migrations


def install(apps, schema_editor):
    from audit.db import install_triggers

    install_triggers(schema_editor.connection)


def remove(apps, schema_editor):
    from audit.db import remove_triggers

    remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_seal_blocks"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(install, remove)]
