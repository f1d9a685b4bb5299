"""Key material leaves the database: each wrapped data key moves into the key provider's keystore
(a file outside the database and its backups), then the `wrapped_key` column is dropped.

The wrapped bytes are moved as they are (same master key, same AAD), so nothing is unwrapped here.
Run with the keyring and keystore of the installation in place (`manage.py init_keyring` creates
an empty keystore beside an existing keyring).
"""

from django.db import migrations, models


def move_material_to_keystore(apps, schema_editor):  # type: ignore[no-untyped-def]
    DataKey = apps.get_model("confidentiality", "DataKey")
    rows = list(
        DataKey.objects.exclude(wrapped_key__isnull=True).values_list("id", "owner", "year", "master_key_id", "wrapped_key")
    )
    if not rows:
        return
    from confidentiality import crypto

    store = crypto.provider()
    for key_id, owner, year, master_key_id, wrapped in rows:
        # The same context the old column was wrapped with (DataKey.wrap_context).
        context = f"firmportal-datakey|{key_id}|{owner}|{year if year is not None else '-'}".encode()
        store.import_wrapped(str(key_id), master_key_id, bytes(wrapped), context)  # type: ignore[attr-defined]
    DataKey.objects.update(wrapped_key=None)


def refuse_to_move_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    DataKey = apps.get_model("confidentiality", "DataKey")
    if DataKey.objects.exclude(state="destroyed").exists():
        raise RuntimeError("Key material is not copied back into the database: restore the old schema from backup.")


class Migration(migrations.Migration):
    dependencies = [
        ("confidentiality", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="datakey", name="destroyed_key_has_no_material"),
        migrations.RunPython(move_material_to_keystore, refuse_to_move_back),
        migrations.RemoveField(model_name="datakey", name="wrapped_key"),
        migrations.AddField(
            model_name="datakey", name="retired_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AlterField(
            model_name="datakey", name="master_key_id", field=models.CharField(blank=True, max_length=200)
        ),
        migrations.RunSQL(
            "UPDATE confidentiality_datakey SET destroyed_at = created_at "
            "WHERE state = 'destroyed' AND destroyed_at IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="datakey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("destroyed_at__isnull", False), ("state", "destroyed")),
                    models.Q(models.Q(("state", "destroyed"), _negated=True), ("destroyed_at__isnull", True)),
                    _connector="OR",
                ),
                name="destroyed_key_has_destroyed_at",
            ),
        ),
    ]
