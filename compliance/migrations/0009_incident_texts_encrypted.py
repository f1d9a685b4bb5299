"""Incident texts (what happened, the Art. 57 parts, lessons) and timeline texts are encrypted under
the firm's incident key: they may name clients and what was exposed. Existing plaintext is encrypted
here, then the plaintext columns are dropped."""

import confidentiality.fields
from django.db import migrations

INCIDENT_FIELDS = {
    "description": "what happened",
    "data_kinds": "kinds of data involved",
    "cause": "cause",
    "possible_harm": "possible harm",
    "remedies": "remedies taken",
    "client_actions": "what the client can do",
    "contact": "contact",
    "lessons": "lessons learned",
}
EVENT_FIELDS = {"text": None}


def _encrypt(apps, model_name, fields):  # type: ignore[no-untyped-def]
    from confidentiality import crypto
    from confidentiality.keyscope import KeyScope

    scope = KeyScope.for_firm("incidents")
    model = apps.get_model("compliance", model_name)
    label = f"compliance.{model_name}"
    for row in model.objects.all().iterator():
        values = {}
        for name in fields:
            plain = getattr(row, f"{name}_plain") or ""
            values[name] = crypto.encrypt_bytes(scope, crypto.aad_for(label, name, scope, row.pk), plain.encode("utf-8"))
        model.objects.filter(pk=row.pk).update(**values)


def encrypt_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    _encrypt(apps, "incident", INCIDENT_FIELDS)
    _encrypt(apps, "incidentevent", EVENT_FIELDS)


def _operations():  # type: ignore[no-untyped-def]
    before, after = [], []
    for model_name, fields in (("incident", INCIDENT_FIELDS), ("incidentevent", EVENT_FIELDS)):
        for name, label in fields.items():
            before.append(migrations.RenameField(model_name=model_name, old_name=name, new_name=f"{name}_plain"))
            kwargs = {"verbose_name": label} if label else {}
            before.append(
                migrations.AddField(
                    model_name=model_name,
                    name=name,
                    field=confidentiality.fields.EncryptedTextField(blank=True, null=True, **kwargs),
                )
            )
            after.append(migrations.RemoveField(model_name=model_name, name=f"{name}_plain"))
    return [*before, migrations.RunPython(encrypt_existing, migrations.RunPython.noop), *after]


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0008_breach_notices_reviewed_stored_reports"),
    ]

    operations = _operations()
