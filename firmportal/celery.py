"""The Celery app and its one beat schedule: when FirmPortal's jobs run is visible here."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firmportal.settings")

app = Celery("firmportal")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_configure.connect
def _configure_transport(sender: Celery, **_: object) -> None:
    from django.conf import settings

    embedded = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS_EMBEDDED", None)
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and embedded:
        for key in ("data_folder_in", "processed_folder"):
            Path(embedded[key]).mkdir(parents=True, exist_ok=True)
        sender.conf.broker_transport_options = dict(embedded)
    else:
        sender.conf.broker_transport_options = {
            "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT_SECONDS,
        }


@signals.worker_init.connect
def _refuse_without_master_key(**_: object) -> None:
    """A worker refuses to start without a usable master key, naming the problem."""
    import sys

    from django.core.exceptions import ImproperlyConfigured

    from confidentiality.crypto import check_keys

    try:
        check_keys()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; only an exit stops the worker.
        sys.stderr.write(f"Refusing to start the worker: {exc}\n")
        raise SystemExit(78) from exc


app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The worker's pulse: /healthz reports degraded when it stops.
    "heartbeat": {"task": "firmportal.tasks.heartbeat", "schedule": 60.0},
    # Audit: seal new entries into the signed chain; judge new events against the alert rules;
    # verify the whole trail every night (an integrity alert when it fails).
    "audit-seal": {"task": "audit.tasks.seal_audit_trail", "schedule": 180.0},
    "audit-alerts": {"task": "audit.tasks.evaluate_alerts", "schedule": 60.0},
    "audit-verify": {"task": "audit.tasks.verify_audit_trail", "schedule": crontab(hour=2, minute=30)},
    # Compliance: training expiry reminders, every morning.
    "compliance-training-reminders": {
        "task": "compliance.tasks.send_training_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "compliance-nda-reminders": {
        "task": "compliance.tasks.send_nda_reminders",
        "schedule": crontab(hour=7, minute=10),
    },
    "compliance-third-party-review-reminders": {
        "task": "compliance.tasks.send_third_party_review_reminders",
        "schedule": crontab(hour=7, minute=5),
    },
    # Compliance reports for the firm head: the previous month's on the 1st, the previous year's on
    # 1 January; stored encrypted, the firm head is e-mailed a link.
    "compliance-report-monthly": {
        "task": "compliance.tasks.store_monthly_compliance_report",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "compliance-report-yearly": {
        "task": "compliance.tasks.store_yearly_compliance_report",
        "schedule": crontab(month_of_year=1, day_of_month=1, hour=6, minute=30),
    },
    # Retention: appraise what expired, and requeue destruction runs whose worker died.
    "retention-daily": {"task": "retention.run_daily", "schedule": crontab(hour=2, minute=30)},
    "retention-resume": {"task": "retention.resume_destruction_runs", "schedule": 600.0},
    # Backups: nightly at 02:30 (then GFS pruning), a restore drill every Sunday at 04:00, and a
    # sweep every 10 minutes that fails runs whose worker died mid-way.
    "backup-nightly": {"task": "backups.tasks.nightly_backup", "schedule": crontab(hour=2, minute=30)},
    "backup-drill-weekly": {"task": "backups.tasks.weekly_drill", "schedule": crontab(hour=4, minute=0, day_of_week=0)},
    "backup-reap-interrupted": {"task": "backups.tasks.reap_interrupted", "schedule": 600.0},
    # The keystore backup follows the keystore: rewritten within 5 minutes of any destruction.
    "keystore-backup-sync": {"task": "backups.tasks.sync_keystore_backup", "schedule": 300.0},
    # Crypto-shredding that a crash interrupted after commit is finished within the hour.
    "shred-pending-keys": {"task": "confidentiality.tasks.shred_pending_keys", "schedule": 3600.0},
    # Access: clean up assignments, temporary grants and delegations past their end date (access
    # itself already stopped at the end date: the access layer checks it on every request).
    "access-expire": {"task": "confidentiality.tasks.expire_access", "schedule": 300.0},
    # Data rights: access-and-copy packages past their download period lose their encrypted file.
    "datarights-purge-packages": {"task": "datarights.purge_expired_packages", "schedule": crontab(minute=15)},
}
# Later slices add their jobs here, in this one place (backups, retention).
# Later slices add their jobs here, in this one place (backups, retention, audit sealing).
