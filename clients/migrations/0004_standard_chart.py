"""Seed the standard chart of accounts of the 小企业会计准则 (idempotent; codes never change)."""

from django.db import migrations


def seed_chart(apps, schema_editor):
    from clients.chart import STANDARD_ACCOUNTS

    Account = apps.get_model("clients", "Account")
    for standard in STANDARD_ACCOUNTS:
        Account.objects.update_or_create(
            client=None,
            code=standard.code,
            defaults={
                "name_zh": standard.name_zh,
                "name_en": standard.name_en,
                "category": standard.category,
                "normal_side": standard.normal_side,
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_books")]

    operations = [migrations.RunPython(seed_chart, migrations.RunPython.noop)]
