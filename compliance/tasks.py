"""Celery adapters: each task calls one service and reports a count (no arguments, no data)."""

from __future__ import annotations

from celery import shared_task

from compliance import services


@shared_task(name="compliance.tasks.send_training_reminders")
def send_training_reminders() -> int:
    return services.send_training_reminders()


@shared_task(name="compliance.tasks.send_third_party_review_reminders")
def send_third_party_review_reminders() -> int:
    from compliance.thirdparties import send_third_party_review_reminders as remind

    return remind()


@shared_task(name="compliance.tasks.send_nda_reminders")
def send_nda_reminders() -> int:
    return services.send_nda_reminders()


@shared_task(name="compliance.tasks.store_monthly_compliance_report")
def store_monthly_compliance_report() -> str:
    """Beat, on the 1st: the previous month's report, stored encrypted; the firm head is told."""
    from compliance import reports

    return str(reports.store_previous_month_report().pk)


@shared_task(name="compliance.tasks.store_yearly_compliance_report")
def store_yearly_compliance_report() -> str:
    """Beat, on 1 January: the previous year's report."""
    from compliance import reports

    return str(reports.store_previous_year_report().pk)
