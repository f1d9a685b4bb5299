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
