"""Breach notices: reviewed per client (draft -> published), acknowledged in the portal, texts encrypted
under the client's key (existing plaintext bodies are encrypted here, then the plaintext column is
dropped); stored scheduled compliance reports."""

import confidentiality.fields
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def encrypt_existing_bodies(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Existing notices were published when issued: keep them published, with the body encrypted."""
    from confidentiality import crypto
    from confidentiality.keyscope import KeyScope

    BreachNotice = apps.get_model("compliance", "BreachNotice")
    for notice in BreachNotice.objects.all().iterator():
        scope = KeyScope.for_client(notice.client_ref)
        aad = crypto.aad_for("compliance.breachnotice", "body", scope, notice.pk)
        ciphertext = crypto.encrypt_bytes(scope, aad, (notice.body_plain or "").encode("utf-8"))
        BreachNotice.objects.filter(pk=notice.pk).update(
            body=ciphertext, state="published", published_at=notice.created_at
        )


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0007_nda_reminders'),
        ('confidentiality', '0004_merge_20261125_1607'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StoredComplianceReport',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('month', 'Monthly'), ('year', 'Yearly')], max_length=8, verbose_name='kind')),
                ('period_start', models.DateField(verbose_name='from')),
                ('period_end', models.DateField(verbose_name='until')),
                ('generated_at', models.DateTimeField(verbose_name='generated at')),
            ],
            options={
                'verbose_name': 'stored compliance report',
                'verbose_name_plural': 'stored compliance reports',
                'ordering': ['-period_start', 'kind'],
            },
        ),
        migrations.AddField(
            model_name='breachnotice',
            name='client_details',
            field=confidentiality.fields.EncryptedTextField(blank=True, null=True, verbose_name='what concerns this client'),
        ),
        migrations.AddField(
            model_name='breachnotice',
            name='published_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='breachnotice',
            name='read_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='breachnotice',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='breachnotice',
            name='state',
            field=models.CharField(choices=[('draft', 'Draft (being reviewed)'), ('published', 'Published to the client')], default='draft', max_length=12, verbose_name='state'),
        ),
        migrations.RenameField(model_name='breachnotice', old_name='body', new_name='body_plain'),
        migrations.AddField(
            model_name='breachnotice',
            name='body',
            field=confidentiality.fields.EncryptedTextField(blank=True, null=True, verbose_name='notice'),
        ),
        migrations.RunPython(encrypt_existing_bodies, migrations.RunPython.noop),
        migrations.RemoveField(model_name='breachnotice', name='body_plain'),
        migrations.AlterField(
            model_name='incidentevent',
            name='kind',
            field=models.CharField(choices=[('reported', 'Reported'), ('triaged', 'Triaged'), ('note', 'Note'), ('containment', 'Containment'), ('affected_computed', 'Affected clients computed'), ('affected_reviewed', 'Affected client reviewed'), ('notice_content', 'Notice content set'), ('notices_issued', 'Notices issued'), ('notices_composed', 'Notices composed'), ('notice_published', 'Notice published'), ('authority_report', 'Authority report generated'), ('review', 'Post-incident review'), ('closed', 'Closed')], max_length=24),
        ),
        migrations.AddConstraint(
            model_name='breachnotice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('published_at__isnull', True), ('state', 'draft')), models.Q(('published_at__isnull', False), ('state', 'published')), _connector='OR'), name='breach_notice_published_has_time'),
        ),
        migrations.AddConstraint(
            model_name='breachnotice',
            constraint=models.CheckConstraint(condition=models.Q(('read_at__isnull', True), ('state', 'published'), _connector='OR'), name='breach_notice_read_only_when_published'),
        ),
        migrations.AddField(
            model_name='storedcompliancereport',
            name='file',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='confidentiality.storedfile'),
        ),
        migrations.AddConstraint(
            model_name='storedcompliancereport',
            constraint=models.UniqueConstraint(fields=('kind', 'period_start'), name='stored_compliance_report_once'),
        ),
        migrations.AddConstraint(
            model_name='storedcompliancereport',
            constraint=models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='stored_report_period_ordered'),
        ),
    ]
