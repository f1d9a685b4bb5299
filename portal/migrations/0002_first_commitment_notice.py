"""The first published version of the firm's commitment to its clients (text in portal/seed.py).

Firm text, not client data. Later versions are drafted and published by the compliance desk at
/staff/compliance/commitment/; this migration only adds version 1 when there is none yet.
"""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from portal.seed import ensure_first_commitment

    ensure_first_commitment(apps.get_model("portal", "CommitmentNotice"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
